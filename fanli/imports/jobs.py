"""File imports started from a page: a preview (nothing written) and the import itself; and the
schedule's sweep of import batches whose process is gone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from fanli.common.jobs import JobProgress, interrupted_sweep, job_handler

from .services import import_batches_interrupted_fail, import_file, import_preview
from .uploads import upload_read


@job_handler("import_preview")
def preview(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    progress.stage(gettext_noop("checking every row"))
    result = import_preview(kind=params["kind"], content=upload_read(params["upload"]), filename=params["filename"],
                            actor=actor, partial=params["partial"],
                            allow_unmatched_returns=params.get("allow_unmatched_returns", False), progress=progress)
    return {**result, "upload": params["upload"]}


@job_handler("import")
def import_(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    progress.stage(gettext_noop("importing"))
    batch = import_file(kind=params["kind"], content=upload_read(params["upload"]), filename=params["filename"],
                        actor=actor, partial=params["partial"],
                        allow_unmatched_returns=params.get("allow_unmatched_returns", False), progress=progress)
    return {"batch": batch.pk, "status": batch.status, "kind": batch.kind, "filename": batch.source_name,
            "unmatched_returns_allowed": batch.unmatched_returns_allowed,
            "rows_total": batch.rows_total, "rows_created": batch.rows_created, "rows_updated": batch.rows_updated,
            "rows_unchanged": batch.rows_unchanged, "rows_rejected": batch.rows_rejected, "errors": batch.errors}


interrupted_sweep(import_batches_interrupted_fail)
