"""Import batches move from the sales app to this one: the model only. Its table keeps its name
(``sales_importbatch``) and its rows, so the database is not touched."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _content_type_moved(apps, schema_editor):
    """Permissions and log entries of batches follow the model to its new app."""
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="imports", model="importbatch").exists():
        content_types.objects.filter(app_label="sales", model="importbatch").update(app_label="imports")


def _content_type_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="sales", model="importbatch").exists():
        content_types.objects.filter(app_label="imports", model="importbatch").update(app_label="sales")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("sales", "0005_importbatch_runner"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportBatch",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=20)),
                        ("source_name", models.CharField(max_length=255)),
                        ("source_sha256", models.CharField(max_length=64)),
                        ("status", models.CharField(choices=[("running", "Running"), ("done", "Done"), ("failed", "Failed")], default="running", max_length=10)),
                        ("partial", models.BooleanField(default=False)),
                        ("unmatched_returns_allowed", models.BooleanField(default=False, help_text="Returns were accepted without checking them against the invoice they reverse.")),
                        ("rows_total", models.PositiveIntegerField(default=0)),
                        ("rows_created", models.PositiveIntegerField(default=0)),
                        ("rows_updated", models.PositiveIntegerField(default=0)),
                        ("rows_unchanged", models.PositiveIntegerField(default=0)),
                        ("rows_rejected", models.PositiveIntegerField(default=0)),
                        ("errors", models.JSONField(blank=True, default=list)),
                        ("started_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("runner", models.CharField(blank=True, help_text="host:pid of the process running it", max_length=120)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "sales_importbatch",
                        "ordering": ["-started_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_type_moved, _content_type_back),
    ]
