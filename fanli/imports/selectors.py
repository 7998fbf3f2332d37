"""Reads of import batches (no writes here)."""

from __future__ import annotations

from fanli.common.exceptions import NotFound

from .models import ImportBatch


def import_batch_list(*, limit: int = 20, offset: int = 0) -> list[ImportBatch]:
    return list(ImportBatch.objects.order_by("-started_at", "-id")[max(offset, 0): max(offset, 0) + max(limit, 0)])


def import_batch_get(*, batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"no import {batch_id}", details={"id": batch_id})
    return batch
