"""Importing a file: one batch per attempt, the kind's planner, all-or-nothing, and the sweep.

Design overview
---------------
``import_file`` is the one service behind ``fanli import`` and ``POST /api/imports/{kind}``:

1. an ``ImportBatch`` row is created (status running) so every attempt leaves a record;
2. ``fanli.imports.tabular`` reads the bytes (CSV or XLSX) into rows with their line numbers;
3. the kind's planner (registered by its app, see ``fanli.imports.registry``) validates every
   row against lookups prepared once and decides, per record, create / update / unchanged /
   rejected, reading only;
4. if the file is refused (any error without ``partial``) nothing is written and the batch is
   saved as failed with every error; otherwise the plan is applied, and the batch (counts,
   errors) and an audit event are written in the same transaction.

A kind may ask to write while it reads (``ImportKind.writes_while_reading``: a large sales load
on PostgreSQL, where the database then inserts while the file is still being parsed): planning
and applying then run in one transaction, a file with any error is rolled back whole before it
is refused, and a file the planner gives up on (``WritingAbandoned``) is read again the usual way.
Partial imports and previews always go the usual way.

``import_preview`` runs the same planner and ``apply`` and rolls everything back.

Whatever ends an import, its batch ends: done, or failed with the reason, written in a
transaction of its own after the import's work was rolled back. Losing a race with a concurrent
import of the same records is the ``Conflict`` ``import_concurrent`` ("run the import again").
A batch records the process running it (``runner``, ``host:pid``); when that process is killed
outright nothing above runs, so ``import_batches_interrupted_fail`` (run by the schedule's tick)
ends such a batch failed. Its import wrote nothing (it commits all at once), and the batch's
final write is conditional on the batch still running, so a batch ended that way never gets
written afterwards.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone

from fanli.accounts.controls import require
from fanli.common.dbstats import statistics_refresh_on_commit
from fanli.common.exceptions import Conflict, FanliError, ValidationFailed
from fanli.common.jobs import runner_gone, runner_here, runner_on_this_host
from fanli.common.services import audit_record

from .models import ImportBatch
from .registry import ImportKind, ImportRaceLost, WritingAbandoned, import_kinds
from .tabular import FileRefused, ImportCounts, ImportPlan, Row, RowError, read_table

Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)

CONCURRENT_IMPORT_REASON = (
    "another import wrote some of these records at the same time; nothing was written: run the import "
    "again (what the other import wrote is then reported unchanged)"
)


# --------------------------------------------------------------------------- file import


def import_file(
    *,
    kind: str,
    path: Path | None = None,
    content: bytes | None = None,
    filename: str,
    actor: Any,
    partial: bool = False,
    allow_unmatched_returns: bool = False,
    progress: Progress | None = None,
) -> ImportBatch:
    """Import one CSV or XLSX file of ``kind``; answer its batch (``status`` failed if refused).

    ``allow_unmatched_returns`` (sales only) accepts returns that name no invoice or take back
    more than their invoice still has. Raises ``Conflict`` ``import_concurrent`` when a concurrent
    import wrote the same records first; the batch is then failed with that reason, as it is
    when anything else stops the import.
    """
    require(actor, "import")
    import_kind = _kind(kind)
    unmatched = allow_unmatched_returns and import_kind.unmatched_returns
    unmatched_returns_right(actor, unmatched)
    if content is None:
        if path is None:
            raise ValidationFailed("give either a path or the file content", code="no_import_source")
        sha256 = _file_sha256(path)  # the file is read as a stream, never held whole
    else:
        sha256 = hashlib.sha256(content).hexdigest()
    options = _options(import_kind, actor, unmatched)
    batch = ImportBatch.objects.create(
        kind=kind,
        source_name=filename[:255],
        source_sha256=sha256,
        partial=partial,
        unmatched_returns_allowed=unmatched,
        actor=actor if getattr(actor, "pk", None) else None,
        status=ImportBatch.Status.RUNNING,
        runner=runner_here(),
    )
    try:
        return _import_into(batch=batch, import_kind=import_kind, content=content, path=path, filename=filename,
                            actor=actor, partial=partial, progress=progress, options=options)
    except BaseException as error:
        _batch_fail_after_error(batch=batch, actor=actor, error=error)
        raise


def _import_into(
    *, batch: ImportBatch, import_kind: ImportKind, content: bytes | None, path: Path | None,
    filename: str, actor: Any,
    partial: bool, progress: Progress | None, options: dict[str, Any],
) -> ImportBatch:
    planner = import_kind.plan
    try:
        table = read_table(content=content, path=path, filename=filename)
        if import_kind.writes_while_reading is not None and import_kind.writes_while_reading(table, partial):
            done = _import_writing_while_reading(batch=batch, planner=planner, table=table, actor=actor,
                                                 progress=progress, options=options)
            if done is not None:
                return done
            table = read_table(content=content, path=path, filename=filename)  # the usual way, from the start
        plan = planner(table=table, partial=partial, progress=progress, **options)
    except FileRefused as refused:
        return _batch_refuse(batch=batch, actor=actor, errors=[error.as_dict() for error in refused.errors])
    try:
        return _plan_apply(batch=batch, plan=plan, actor=actor, partial=partial, progress=progress)
    finally:
        plan.close()


def _import_writing_while_reading(
    *, batch: ImportBatch, planner: Callable[..., ImportPlan], table: Any, actor: Any, progress: Progress | None,
    options: dict[str, Any],
) -> ImportBatch | None:
    """Plan and apply in one transaction, the planner writing what it accepts as it reads (all or
    nothing: a file with any error is rolled back whole, then refused). None when the planner gave
    the file up for the usual way."""
    refused: ImportPlan | None = None
    try:
        with transaction.atomic():
            plan = planner(table=table, partial=False, progress=progress, writing_batch=batch, **options)
            try:
                if plan.errors:
                    refused = plan
                    transaction.set_rollback(True)
                else:
                    counts = plan.apply(batch=batch)
                    batch.status = ImportBatch.Status.DONE
                    batch_finish(batch=batch, actor=actor, plan=plan, counts=counts)
            finally:
                plan.close()
    except WritingAbandoned:
        log.info("import %s: planned again the usual way", batch.pk)
        return None
    except (IntegrityError, ImportRaceLost):
        _concurrent(batch=batch, actor=actor, rows_total=0)
    if refused is not None:
        return _batch_refuse(batch=batch, actor=actor, errors=refused.errors.as_list(), rows_total=refused.rows_total)
    if progress is not None:
        progress(plan.rows_total, plan.rows_total)
    return batch


def _concurrent(*, batch: ImportBatch, actor: Any, rows_total: int) -> NoReturn:
    error = RowError(None, None, CONCURRENT_IMPORT_REASON).as_dict()
    _batch_refuse(batch=batch, actor=actor, rows_total=rows_total, errors=[error])
    raise Conflict(
        f"{batch.source_name}: {CONCURRENT_IMPORT_REASON}",
        details={"batch": batch.pk, "errors": [error]},
        code="import_concurrent",
    ) from None


def _plan_apply(
    *, batch: ImportBatch, plan: ImportPlan, actor: Any, partial: bool, progress: Progress | None
) -> ImportBatch:
    if plan.errors and not partial:
        return _batch_refuse(
            batch=batch, actor=actor, errors=plan.errors.as_list(), rows_total=plan.rows_total
        )
    try:
        with transaction.atomic():
            counts = plan.apply(batch=batch)
            accepted = counts.created + counts.updated + counts.unchanged
            batch.status = ImportBatch.Status.FAILED if plan.errors and not accepted else ImportBatch.Status.DONE
            batch_finish(batch=batch, actor=actor, plan=plan, counts=counts)
    except (IntegrityError, ImportRaceLost):
        _concurrent(batch=batch, actor=actor, rows_total=plan.rows_total)
    if progress is not None:
        progress(plan.rows_total, plan.rows_total)
    return batch


PREVIEW_ROWS = 50


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def unmatched_returns_right(actor: Any, asked: bool) -> None:
    """Accepting returns that their invoice does not cover switches a control off: only those who
    settle and approve (finance, administrators) may ask for it; it is recorded either way."""
    if asked:
        require(actor, "settle")


def import_preview(
    *, kind: str, content: bytes, filename: str, actor: Any, partial: bool = False,
    allow_unmatched_returns: bool = False, progress: Progress | None = None,
) -> dict[str, Any]:
    """What importing the file would do, computed by the import itself and rolled back: the same
    checks and the same counts, and nothing written (no batch either).

    Answers ``refused`` (the file as a whole cannot be read), ``would_import`` (False when an
    all-or-nothing import would refuse it), per-outcome counts (as if the good rows were imported),
    every row error, and the first rows of the file with their line numbers.
    """
    require(actor, "import")
    import_kind = _kind(kind)
    unmatched = allow_unmatched_returns and import_kind.unmatched_returns
    unmatched_returns_right(actor, unmatched)
    options = _options(import_kind, actor, unmatched)
    first_rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {"kind": kind, "filename": filename, "partial": partial,
                              "allow_unmatched_returns": unmatched, "refused": False,
                              "would_import": True, "rows_total": 0, "rows_created": 0, "rows_updated": 0,
                              "rows_unchanged": 0, "rows_rejected": 0, "errors": [], "first_rows": first_rows,
                              "header": []}
    with transaction.atomic():
        try:
            table = read_table(content=content, filename=filename)
            result["header"] = list(table.header)
            rows = table.rows

            def recorded() -> Iterable[Row]:
                for row in rows:
                    if len(first_rows) < PREVIEW_ROWS:
                        first_rows.append({"line": row.line, "cells": list(row.cells)})
                    yield row

            table.rows = iter(recorded())
            plan = import_kind.plan(table=table, partial=partial, progress=progress, **options)
        except FileRefused as refused:
            result.update(refused=True, would_import=False, errors=[error.as_dict() for error in refused.errors])
            return result
        try:
            batch = ImportBatch.objects.create(kind=kind, source_name=filename[:255], partial=partial,
                                               source_sha256=hashlib.sha256(content).hexdigest())
            counts = plan.apply(batch=batch)
            transaction.set_rollback(True)  # a preview writes nothing
        finally:
            plan.close()
    errors = plan.errors.as_list()
    lines_with_errors = {error["line"] for error in errors if error.get("line") is not None}
    for row in first_rows:
        row["error"] = row["line"] in lines_with_errors
    result.update(would_import=partial or not errors, rows_total=plan.rows_total, rows_created=counts.created,
                  rows_updated=counts.updated, rows_unchanged=counts.unchanged, rows_rejected=plan.rows_rejected,
                  errors=errors)
    return result


def _kind(kind: str) -> ImportKind:
    import_kind = import_kinds().get(kind)
    if import_kind is None:
        raise ValidationFailed(f"unknown import kind {kind!r}", code="unknown_import_kind",
                               details={"kind": kind, "expected": sorted(import_kinds())})
    return import_kind


def _options(import_kind: ImportKind, actor: Any, unmatched: bool) -> dict[str, Any]:
    """The planner's options for ``actor`` (the kind refuses a user who may not import it)."""
    options = import_kind.options(actor)
    if import_kind.unmatched_returns:
        options["allow_unmatched_returns"] = unmatched
    return options


def _batch_refuse(
    *, batch: ImportBatch, actor: Any, errors: list[dict[str, Any]], rows_total: int = 0
) -> ImportBatch:
    with transaction.atomic():
        batch.status = ImportBatch.Status.FAILED
        batch.rows_total = rows_total
        batch.rows_created = batch.rows_updated = batch.rows_unchanged = 0
        batch.rows_rejected = rows_total
        batch.errors = errors
        batch.finished_at = timezone.now()
        batch.save()
        audit_record(
            actor=actor, action=f"import.{batch.kind}.refused", object_type="import_batch", object_id=batch.pk,
            data={"source": batch.source_name, "rows_total": rows_total, "errors": len(errors),
                  "unmatched_returns_allowed": batch.unmatched_returns_allowed},
        )
    return batch


def _batch_fail_after_error(*, batch: ImportBatch, actor: Any, error: BaseException) -> None:
    """End a batch that an error stopped: failed, with the reason, in a transaction of its own
    (the import's own work has been rolled back by then). Never hides the original error."""
    try:
        if ImportBatch.objects.filter(pk=batch.pk).values_list("status", flat=True).first() != "running":
            return  # already ended, e.g. failed as the loser of a concurrent import
    except Exception:
        log.exception("import %s could not be read back after an error", batch.pk)
        return
    if isinstance(error, FanliError):
        reason = error.message
    else:
        log.error("import %s (%s, %s) stopped on an unexpected error", batch.pk, batch.kind, batch.source_name,
                  exc_info=error)
        reason = (f"the import stopped on an unexpected error ({type(error).__name__}); nothing was written; "
                  f"the server log has the details (import {batch.pk})")
    try:
        _batch_refuse(batch=batch, actor=actor, errors=[RowError(None, None, reason).as_dict()])
    except Exception:  # the database itself may be what failed: the original error still goes up
        log.exception("import %s could not be marked failed", batch.pk)


def batch_finish(*, batch: ImportBatch, actor: Any, plan: ImportPlan, counts: ImportCounts) -> None:
    """Write the batch's outcome in the import's transaction, only while the batch is still running:
    one already ended as interrupted (see ``import_batches_interrupted_fail``) rolls the import back."""
    batch.rows_total = plan.rows_total
    batch.rows_created = counts.created
    batch.rows_updated = counts.updated
    batch.rows_unchanged = counts.unchanged
    batch.rows_rejected = plan.rows_rejected
    batch.errors = plan.errors.as_list()
    batch.finished_at = timezone.now()
    ended = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.RUNNING).update(
        status=batch.status, rows_total=batch.rows_total, rows_created=batch.rows_created,
        rows_updated=batch.rows_updated, rows_unchanged=batch.rows_unchanged, rows_rejected=batch.rows_rejected,
        errors=batch.errors, finished_at=batch.finished_at,
    )
    if not ended:
        raise Conflict(
            f"{batch.source_name}: import {batch.pk} was ended as interrupted while it ran; nothing was written: "
            "run it again",
            details={"batch": batch.pk}, code="import_interrupted",
        )
    if plan.tables_written and counts.created:
        statistics_refresh_on_commit(plan.tables_written, rows_written=counts.created)
    audit_record(
        actor=actor, action=f"import.{batch.kind}", object_type="import_batch", object_id=batch.pk,
        data={
            "source": batch.source_name, "status": batch.status, "partial": batch.partial,
            "unmatched_returns_allowed": batch.unmatched_returns_allowed,
            "rows_total": batch.rows_total, "rows_created": counts.created, "rows_updated": counts.updated,
            "rows_unchanged": counts.unchanged, "rows_rejected": batch.rows_rejected,
        },
    )


RUNNING_AT_MOST = timedelta(hours=6)
INTERRUPTED_REASON = (
    "the import was interrupted (its process ended) before it finished; nothing was written: run it again"
)


def import_batches_interrupted_fail(*, now: datetime | None = None) -> list[int]:
    """End as failed every running batch whose process is gone: it ran on this machine and its pid
    is no longer alive (killed, the server stopped or restarted), or it ran on another machine (or
    recorded none) and has been running for more than ``RUNNING_AT_MOST``. Each gets one error
    saying so and an audit event ``import.<kind>.interrupted``. Answers the ids it ended."""
    now = now or timezone.now()
    hours = int(RUNNING_AT_MOST.total_seconds() // 3600)
    ended = []
    for batch in ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING).only(
        "pk", "kind", "source_name", "runner", "started_at"
    ):
        if runner_gone(batch.runner):
            reason = INTERRUPTED_REASON
        elif not runner_on_this_host(batch.runner) and now - batch.started_at > RUNNING_AT_MOST:
            reason = (f"the import did not finish within {hours} hours and counts as interrupted (it ran in "
                      f"{batch.runner or 'a process it did not record'}, which cannot be checked from here); "
                      "nothing was written: run it again")
        else:
            continue
        with transaction.atomic():
            if not ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.RUNNING).update(
                status=ImportBatch.Status.FAILED, errors=[RowError(None, None, reason).as_dict()], finished_at=now,
                rows_created=0, rows_updated=0, rows_unchanged=0,
            ):
                continue  # it ended by itself meanwhile
            audit_record(actor=None, action=f"import.{batch.kind}.interrupted", object_type="import_batch",
                         object_id=batch.pk, data={"source": batch.source_name, "runner": batch.runner,
                                                   "reason": reason})
        ended.append(batch.pk)
    if ended:
        log.warning("import batches %s were interrupted and are marked failed", ended)
    return ended


