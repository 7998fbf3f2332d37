"""JSON API endpoints for file imports and their batches.

Thin: parse, call a service or selector, shape the answer. The operations keep the tag and the
operation ids they had when imports lived in the sales app, so the API document is unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import File, Form, Path, Query, Router, Schema
from ninja.files import UploadedFile

from fanli.accounts.permissions import permission
from fanli.common.exceptions import ValidationFailed
from fanli.common.paging import FewPage
from fanli.common.schemas import ErrorOut

from .models import ImportBatch
from .registry import import_kinds
from .selectors import import_batch_get, import_batch_list
from .services import import_file

router = Router(tags=["sales"])


class RowErrorOut(Schema):
    line: int | None
    column: str | None
    reason: str


class ImportBatchOut(Schema):
    id: int
    kind: str
    source_name: str
    source_sha256: str
    status: str
    partial: bool
    unmatched_returns_allowed: bool
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    errors: list[RowErrorOut]
    started_at: datetime
    finished_at: datetime | None


def _batch_out(batch: ImportBatch) -> dict:
    return ImportBatchOut.from_orm(batch).model_dump(mode="json")


# Registered before POST /imports/{kind} so that a numeric id is not taken for a kind.
@router.get("/imports/{int:batch_id}", response={200: ImportBatchOut, 404: ErrorOut}, summary="One import and its errors",
            operation_id="fanli_sales_api_import_detail")
@permission("view")
def import_detail(request: HttpRequest, batch_id: Annotated[int, Path(ge=1)]) -> ImportBatch:
    return import_batch_get(batch_id=batch_id)


@router.post(
    "/imports/{kind}",
    response={200: ImportBatchOut, 409: ErrorOut, 422: ErrorOut},
    summary="Import a CSV or XLSX file (grades, customers, products or sales)",
    operation_id="fanli_sales_api_import_upload",
)
@permission("import")
def import_upload(
    request: HttpRequest,
    kind: Annotated[str, Path(pattern=r"^[a-z][a-z_]*$", description="grades, customers, products or sales")],
    file: Annotated[UploadedFile, File()],
    partial: Annotated[bool, Form()] = False,
    allow_unmatched_returns: Annotated[bool, Form()] = False,
) -> ImportBatch:
    """All-or-nothing by default: any bad row refuses the file (422, ``details`` holds the batch
    with every error). With ``partial`` the good records are written and the bad rows reported.
    Sales returns are checked against their invoices unless ``allow_unmatched_returns``. 409
    ``import_concurrent`` when a concurrent import wrote the same records first: run it again."""
    if kind not in import_kinds():
        raise ValidationFailed(
            f"unknown import kind {kind!r}", details={"kind": kind, "expected": sorted(import_kinds())},
            code="unknown_import_kind",
        )
    batch = import_file(
        kind=kind, content=file.read(), filename=file.name or "upload.csv", actor=request.user, partial=partial,
        allow_unmatched_returns=allow_unmatched_returns,
    )
    if batch.status == ImportBatch.Status.FAILED:
        raise ValidationFailed(
            f"{batch.source_name} was refused: {len(batch.errors)} error(s); nothing was written",
            details=_batch_out(batch),
            code="import_refused",
        )
    return batch


@router.get("/imports", response=list[ImportBatchOut], summary="Recent imports", operation_id="fanli_sales_api_import_list")
@permission("view")
def import_list(request: HttpRequest, page: Query[FewPage]) -> list[ImportBatch]:
    return import_batch_list(limit=page.limit, offset=page.offset)
