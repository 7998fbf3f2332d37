"""The schedule: what is due runs once, missed runs coalesce, overrides, the month-end accrual."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from fanli.common.models import Job, ScheduledRun
from fanli.common.schedule import next_runs, tick

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def ran(runs) -> list[tuple[str, str]]:
    return [(run.task, run.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")) for run in runs]


def test_due_tasks_run_once_each_and_missed_runs_coalesce():
    first = tick(at("2026-11-24T03:10"))
    # a first start looks back a day: the month-end accrual (1 November) is older than that
    assert ran(first) == [("points-expiry", "11-24 01:15"), ("segments", "11-24 02:00"), ("warnings", "11-24 02:30")]
    assert [(j.kind, j.state, j.params) for j in Job.objects.order_by("id")] == [
        ("points_expire", "done", {"day": "2026-11-24"}), ("segments", "done", {"today": "2026-11-24"}),
        ("warnings", "done", {"today": "2026-11-24"})]
    assert tick(at("2026-11-24T03:11")) == []  # nothing twice
    assert ran(tick(at("2026-11-25T02:05"))) == [("points-expiry", "11-25 01:15"), ("segments", "11-25 02:00")]
    # the server was down for three nights: each task runs once, for the latest due time
    assert ran(tick(at("2026-11-28T09:00"))) == [("points-expiry", "11-28 01:15"), ("segments", "11-28 02:00"),
                                                  ("warnings", "11-28 02:30")]
    assert ScheduledRun.objects.count() == 8 and not Job.objects.exclude(state="done").exists()


def test_month_end_accruals_run_on_the_first_for_the_month_just_ended():
    tick(at("2026-11-30T23:00"))
    [accrual] = ran(tick(at("2026-12-01T03:00:20")))[-1:]
    assert accrual == ("month-end-accruals", "12-01 03:00")
    job = Job.objects.get(kind="accrual")
    assert (job.params, job.state) == ({"month": "2026-11", "today": "2026-12-01"}, "done")


def test_a_time_claimed_by_another_process_is_not_run_again(settings):
    ScheduledRun.objects.create(task="warnings", due_at=at("2026-11-24T02:30"))
    assert ("warnings", "11-24 02:30") not in ran(tick(at("2026-11-24T03:00")))
    assert not Job.objects.filter(kind="warnings").exists()


def test_overrides_move_or_switch_off_a_task(settings):
    settings.FANLI_SCHEDULE = {"warnings": "0 7 * * *", "points-expiry": "off", "segments": "off",
                               "month-end-accruals": "off", "notices": "off"}
    assert ran(tick(at("2026-11-24T06:59"))) == [("warnings", "11-23 07:00")]  # a first start looks back a day
    assert ran(tick(at("2026-11-24T07:00"))) == [("warnings", "11-24 07:00")]
    assert Job.objects.filter(kind="warnings").count() == 2 and not Job.objects.exclude(kind="warnings").exists()
    assert [row["task"] for row in next_runs(at("2026-11-24T07:01"))] == ["warnings"]
