from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="rows_updated",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
