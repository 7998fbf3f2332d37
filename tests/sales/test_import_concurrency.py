"""Two identical imports at once, and imports that an error stops: one winner, a documented
answer for the other, and never a batch left running.

The imports run in two threads with their own connections. Both finish planning (reading what
is stored) before either writes, so both decide to create the same documents; the database's
unique document number then decides the winner. On SQLite the writers queue (``BEGIN
IMMEDIATE``); on PostgreSQL the second insert waits for the first transaction and then fails.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from fanli.common.exceptions import Conflict
from fanli.common.jobs import job_start
from fanli.common.models import Job
from fanli.imports import services
from fanli.imports.models import ImportBatch
from fanli.imports.services import import_file
from fanli.imports.uploads import upload_store
from fanli.sales import importing
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, make_master_data, sales_planner_wrap, sales_row

CONTENT = csv_bytes(SALES_HEADER, [
    sales_row("INV-1", line=1), sales_row("INV-1", line=2, sku="SKU-2"), sales_row("INV-2", customer="C002"),
])


def _both_plan_before_either_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    barrier = threading.Barrier(2)

    def then_wait(plan: Any) -> Any:
        def plan_then_wait(**arguments: Any) -> importing.SalesPlan:
            planned = plan(**arguments)
            barrier.wait(timeout=30)
            return planned
        return plan_then_wait

    sales_planner_wrap(monkeypatch, then_wait)


def _run_twice_at_once(work: Any) -> tuple[list[Any], list[BaseException]]:
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_identical_imports_at_once_end_with_one_winner_and_a_run_again_conflict(monkeypatch):
    make_master_data()
    _both_plan_before_either_writes(monkeypatch)

    results, errors = _run_twice_at_once(
        lambda: import_file(kind="sales", content=CONTENT, filename="sales.csv", actor=None)
    )

    assert [(batch.status, batch.rows_created) for batch in results] == [("done", 3)]
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert errors[0].code == "import_concurrent"
    assert errors[0].message.startswith("sales.csv: another import wrote some of these records at the same time")
    loser = ImportBatch.objects.get(pk=errors[0].details["batch"])
    assert (loser.status, loser.rows_created, loser.finished_at is not None) == ("failed", 0, True)
    assert loser.errors == [{"line": None, "column": None, "reason": services.CONCURRENT_IMPORT_REASON}]
    assert not ImportBatch.objects.filter(status="running").exists()
    assert (SalesDocument.objects.count(), SalesLine.objects.count()) == (2, 3)
    monkeypatch.undo()
    again = import_file(kind="sales", content=CONTENT, filename="sales.csv", actor=None)
    assert (again.status, again.rows_unchanged, again.rows_created) == ("done", 3, 0)


@pytest.mark.django_db(transaction=True)
def test_the_loser_of_two_identical_api_imports_gets_409_import_concurrent(monkeypatch, staff_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from fanli.common.services import api_token_create

    make_master_data()
    token = api_token_create(user=staff_user, name="erp")
    _both_plan_before_either_writes(monkeypatch)

    def post() -> Any:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        upload = SimpleUploadedFile("sales.csv", CONTENT, content_type="text/csv")
        return client.post("/api/imports/sales", {"file": upload})

    responses, errors = _run_twice_at_once(post)

    assert errors == []
    assert sorted(response.status_code for response in responses) == [200, 409]
    conflict = next(response for response in responses if response.status_code == 409).json()
    assert conflict["code"] == "import_concurrent"
    assert "run the import again" in conflict["message"]
    assert not ImportBatch.objects.filter(status="running").exists()
    assert SalesDocument.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_imports_returning_the_last_units_of_one_invoice_at_once_accept_only_one(monkeypatch):
    make_master_data()
    assert import_file(kind="sales", content=csv_bytes(SALES_HEADER, [sales_row("INV-1", quantity="2")]),
                       filename="inv.csv", actor=None).status == "done"
    _both_plan_before_either_writes(monkeypatch)
    numbers = iter(["RET-A", "RET-B"])
    files = [csv_bytes(SALES_HEADER, [sales_row(next(numbers), kind="return", reverses="INV-1", quantity="2")])
             for _ in range(2)]

    results, errors = _run_twice_at_once(
        lambda: import_file(kind="sales", content=files.pop(), filename="ret.csv", actor=None)
    )

    assert [batch.status for batch in results] == ["done"]
    assert [(type(error), error.code) for error in errors] == [(Conflict, "import_concurrent")]
    assert SalesDocument.objects.filter(kind="return").count() == 1
    assert not ImportBatch.objects.filter(status="running").exists()


@pytest.mark.django_db
def test_an_unexpected_error_while_writing_ends_the_batch_failed_with_the_reason_and_writes_nothing(
    master_data, monkeypatch
):
    def broken_insert(*arguments: Any, **keywords: Any) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(importing, "_insert_lines", broken_insert)

    with pytest.raises(ZeroDivisionError):
        import_file(kind="sales", content=CONTENT, filename="sales.csv", actor=None)

    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_created, batch.finished_at is not None) == ("failed", 0, True)
    assert batch.errors == [{"line": None, "column": None, "reason": (
        f"the import stopped on an unexpected error (ZeroDivisionError); nothing was written; "
        f"the server log has the details (import {batch.pk})")}]
    assert SalesDocument.objects.count() == 0


@pytest.mark.django_db
def test_an_unexpected_error_while_reading_the_file_ends_the_batch_failed(master_data, monkeypatch):
    def broken_read(**keywords: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(services, "read_table", broken_read)

    with pytest.raises(MemoryError):
        import_file(kind="customers", content=b"code,name\n", filename="c.csv", actor=None)

    assert list(ImportBatch.objects.values_list("kind", "status")) == [("customers", "failed")]


@pytest.mark.django_db
def test_an_import_job_that_dies_ends_both_the_job_and_its_batch_failed(master_data, monkeypatch, staff_user):
    monkeypatch.setattr(importing, "_insert_lines", lambda *arguments, **keywords: 1 / 0)
    stored = upload_store(content=CONTENT, filename="sales.csv")

    job = job_start(kind="import", actor=staff_user, title="Import sales.csv",
                    params={"kind": "sales", "upload": stored, "filename": "sales.csv", "partial": False})

    job = Job.objects.get(pk=job.pk)
    assert (job.state, job.error["code"]) == ("failed", "internal_error")
    assert list(ImportBatch.objects.values_list("status", flat=True)) == ["failed"]
