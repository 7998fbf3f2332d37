"""An import whose process is killed outright (SIGKILL, power loss, a restart) runs none of its own
error handling: the schedule's sweep ends its batch failed, and the import wrote nothing.

The imports run in a real child process on the test database (a file on SQLite, the test
database on PostgreSQL). The child pauses inside its write transaction, after writing every
document and before the batch's final write, so the kill lands while rows are written but not
committed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from fanli.common.exceptions import Conflict
from fanli.common.jobs import interrupted_fail_all, runner_here
from fanli.common.models import AuditEvent
from fanli.common.schedule import tick
from fanli.imports.models import ImportBatch
from fanli.imports.services import INTERRUPTED_REASON, import_batches_interrupted_fail, import_file
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, make_master_data, sales_planner_wrap, sales_row

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, sys, time
from pathlib import Path
import django
django.setup()
from fanli.imports import services

signals = Path(sys.argv[1])
finish = services.batch_finish

def pause_before_finishing(**arguments):
    (signals / "written").touch()
    while not (signals / "go").exists():
        time.sleep(0.05)
    finish(**arguments)

services.batch_finish = pause_before_finishing
batch = services.import_file(kind="sales", path=Path(sys.argv[2]), filename="sales.csv", actor=None)
print(batch.status, batch.rows_created)
"""


def _database_url() -> str:
    """The test database, for a child process that opens it as its own."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    return f"postgres://{user}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}/{database['NAME']}"


def _start_import(tmp_path: Path) -> subprocess.Popen[str]:
    """A child process importing 200 invoices; answers once it has written them all in its
    transaction and waits (until ``tmp_path / "go"`` exists) before finishing."""
    make_master_data()
    content = csv_bytes(SALES_HEADER, [sales_row(f"INV-{number:03}") for number in range(200)])
    (tmp_path / "sales.csv").write_bytes(content)
    environment = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "fanli.settings"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), str(tmp_path / "sales.csv")],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "written").exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"the child import did not reach its write: {child.communicate()}")
        time.sleep(0.05)
    return child


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_while_writing_is_ended_failed_by_the_sweep_and_wrote_nothing(tmp_path):
    child = _start_import(tmp_path)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.runner) == ("running", f"{socket.gethostname()}:{child.pid}")

    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    tick()  # the schedule's tick runs the sweep

    batch.refresh_from_db()
    assert (batch.status, batch.rows_created, batch.finished_at is not None) == ("failed", 0, True)
    assert batch.errors == [{"line": None, "column": None, "reason": INTERRUPTED_REASON}]
    assert INTERRUPTED_REASON == (
        "the import was interrupted (its process ended) before it finished; nothing was written: run it again"
    )
    assert (SalesDocument.objects.count(), SalesLine.objects.count()) == (0, 0)
    event = AuditEvent.objects.get(action="import.sales.interrupted")
    assert (event.object_type, event.object_id, event.actor) == ("import_batch", str(batch.pk), None)
    assert event.data == {"source": "sales.csv", "runner": batch.runner, "reason": INTERRUPTED_REASON}
    assert import_batches_interrupted_fail() == []  # ended once
    again = import_file(kind="sales", path=tmp_path / "sales.csv", filename="sales.csv", actor=None)
    assert (again.status, again.rows_created) == ("done", 200)


@pytest.mark.django_db(transaction=True)
def test_the_running_import_of_a_live_process_is_left_alone_by_the_sweep_and_then_finishes(tmp_path):
    child = _start_import(tmp_path)
    try:
        assert import_batches_interrupted_fail() == []
        interrupted_fail_all()  # what the tick runs (the rest of the tick would wait for SQLite's writer)
        assert ImportBatch.objects.get().status == "running"
        assert not AuditEvent.objects.filter(action="import.sales.interrupted").exists()
    finally:
        (tmp_path / "go").touch()
        output, errors = child.communicate(timeout=60)

    assert (child.returncode, output) == (0, "done 200\n"), errors
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_created, batch.errors) == ("done", 200, [])
    assert SalesDocument.objects.count() == 200


@pytest.mark.django_db
def test_a_batch_of_another_host_or_of_no_recorded_process_ends_only_after_six_hours_of_running():
    def running(name: str, runner: str, hours: float) -> ImportBatch:
        batch = ImportBatch.objects.create(kind="sales", source_name=name, runner=runner)
        ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now() - timedelta(hours=hours))
        return batch

    elsewhere_old = running("old.csv", "other-host:4242", 6.1)
    running("recent.csv", "other-host:4242", 5.9)
    unrecorded_old = running("unrecorded.csv", "", 30)
    running("here.csv", runner_here(), 30)  # this process: alive, however long it runs

    assert sorted(import_batches_interrupted_fail()) == sorted([elsewhere_old.pk, unrecorded_old.pk])
    assert dict(ImportBatch.objects.values_list("source_name", "status")) == {
        "old.csv": "failed", "recent.csv": "running", "unrecorded.csv": "failed", "here.csv": "running",
    }
    assert ImportBatch.objects.get(pk=elsewhere_old.pk).errors == [{"line": None, "column": None, "reason": (
        "the import did not finish within 6 hours and counts as interrupted (it ran in other-host:4242, which "
        "cannot be checked from here); nothing was written: run it again"
    )}]
    assert "(it ran in a process it did not record," in ImportBatch.objects.get(pk=unrecorded_old.pk).errors[0]["reason"]


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_batch_the_sweep_ended_while_it_ran_writes_nothing(monkeypatch):
    make_master_data()

    def swept_while_planning(plan: Any) -> Any:
        def planner(**arguments: Any) -> Any:
            # as if it had run for hours on another host: the sweep ends it (committed) before it writes
            ImportBatch.objects.update(runner="other-host:1", started_at=timezone.now() - timedelta(hours=7))
            assert len(import_batches_interrupted_fail()) == 1
            return plan(**arguments)
        return planner

    sales_planner_wrap(monkeypatch, swept_while_planning)
    with pytest.raises(Conflict) as raised:
        import_file(kind="sales", content=csv_bytes(SALES_HEADER, [sales_row("INV-1")]), filename="late.csv",
                    actor=None)

    assert raised.value.code == "import_interrupted"
    assert raised.value.message.startswith("late.csv: import ")
    assert raised.value.message.endswith(" was ended as interrupted while it ran; nothing was written: run it again")
    assert (SalesDocument.objects.count(), SalesLine.objects.count()) == (0, 0)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_created) == ("failed", 0)
    assert batch.errors[0]["reason"].startswith("the import did not finish within 6 hours")
    assert list(AuditEvent.objects.filter(action__startswith="import.").values_list("action", flat=True)) == [
        "import.sales.interrupted"
    ]
