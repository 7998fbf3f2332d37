from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class ImportBatch(models.Model):
    """One file (or API call) loaded into Fanli, with its outcome and every row error."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("import status", "Running")
        DONE = "done", pgettext_lazy("import status", "Done")
        FAILED = "failed", pgettext_lazy("import status", "Failed")

    kind = models.CharField(max_length=20)
    source_name = models.CharField(max_length=255)
    source_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    partial = models.BooleanField(default=False)
    unmatched_returns_allowed = models.BooleanField(
        default=False,
        help_text="Returns were accepted without checking them against the invoice they reverse.",
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runner = models.CharField(max_length=120, blank=True, help_text="host:pid of the process running it")

    class Meta:
        # The table was created by the sales app, where batches lived first; it keeps its name.
        db_table = "sales_importbatch"
        ordering = ["-started_at"]
