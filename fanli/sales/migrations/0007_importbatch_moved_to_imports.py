"""Import batches now belong to the imports app (``imports.0001_initial``). The documents' link
points there; the table, its rows and the foreign key in the database stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0006_period_covering_index"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="salesdocument",
                    name="batch",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="documents", to="imports.importbatch"),
                ),
                migrations.DeleteModel(name="ImportBatch"),
            ],
            database_operations=[],
        ),
    ]
