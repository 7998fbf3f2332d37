"""The schedule: nightly segments and warnings, month-end accruals and daily points expiry.

Each task has a crontab line (``minute hour day month weekday``, in ``TIME_ZONE``) and the job
it starts. ``tick(now)`` finds, per task, the latest due time not yet run (missed ones since the
last run are coalesced into one; on a first start it looks back ``CATCH_UP``), *claims* it with a
unique ``ScheduledRun`` row, and starts the job. Because the claim is a unique row, any number of
processes may tick at once and each due time still runs exactly once.

Where the ticks come from:

- **embedded** (the default, ``FANLI_SCHEDULER=embedded``): a thread in the web server process
  ticks every ``TICK_SECONDS``; jobs run in threads there, as jobs started from a page do. No
  other server is needed.
- **Celery** (``FANLI_BROKER_URL`` set; ``FANLI_SCHEDULER`` then defaults to ``off``): ``fanli
  beat`` sends a tick every ``FANLI_TICK_SECONDS`` and a worker runs it; the jobs go to the
  workers' queue (``fanli.common.celery_app``).
- **a process of its own** (production without Celery): ``FANLI_SCHEDULER=off`` on the web servers
  and ``fanli scheduler`` run by the service manager; or ``fanli scheduler --once`` from cron
  every minute.

Crontab lines can be changed per task with ``FANLI_SCHEDULE`` (``{"warnings": "0 6 * * *"}``,
or ``"off"``). Cron expressions are parsed by APScheduler's ``CronTrigger``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from .jobs import interrupted_fail_all, job_start
from .models import ScheduledRun
from .periods import PeriodKind, period_containing

log = logging.getLogger(__name__)
TICK_SECONDS = 30
CATCH_UP = timedelta(hours=24)


@dataclass(frozen=True)
class Task:
    name: str
    cron: str
    kind: str
    title: str
    params: Callable[[date], dict[str, Any]]


def _previous_month(day: date) -> dict[str, Any]:
    return {"month": period_containing(day, PeriodKind.MONTH).previous().key, "today": day.isoformat()}


TASKS = (
    Task("points-expiry", "15 1 * * *", "points_expire", "Daily points expiry", lambda d: {"day": d.isoformat()}),
    Task("segments", "0 2 * * *", "segments", "Nightly segments and score cards", lambda d: {"today": d.isoformat()}),
    Task("warnings", "30 2 * * *", "warnings", "Nightly warnings", lambda d: {"today": d.isoformat()}),
    Task("month-end-accruals", "0 3 1 * *", "accrual", "Month-end accruals", _previous_month),
    Task("notices", "*/5 * * * *", "notices_deliver", "Send notices to customers (and retry)", lambda d: {}),
)


# Asked when a task is due: False leaves it unclaimed (no run, no job) until a later tick finds
# work. Registered by the app that owns the work (``fanli.notices``: e-mails waiting to be sent).
_CONDITIONS: dict[str, Callable[[], bool]] = {}


def task_condition(name: str) -> Callable[[Callable[[], bool]], Callable[[], bool]]:
    def register(condition: Callable[[], bool]) -> Callable[[], bool]:
        _CONDITIONS[name] = condition
        return condition
    return register


def tasks() -> list[tuple[Task, CronTrigger]]:
    """The tasks that are on, each with its trigger (``FANLI_SCHEDULE`` overrides applied)."""
    overrides: dict[str, str] = getattr(settings, "FANLI_SCHEDULE", {}) or {}
    zone = ZoneInfo(settings.TIME_ZONE)
    found = []
    for task in TASKS:
        line = overrides.get(task.name, task.cron)
        if line.strip().lower() == "off":
            continue
        found.append((task, CronTrigger.from_crontab(line, timezone=zone)))
    return found


def _latest_due(trigger: CronTrigger, after: datetime, now: datetime) -> datetime | None:
    due, fire = None, trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while fire is not None and fire <= now:
        due, fire = fire, trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return due


def tick(now: datetime | None = None, *, inline: bool | None = None) -> list[ScheduledRun]:
    """Start what is due and not yet claimed; answers the runs this call claimed. ``inline``
    runs the jobs one after the other in this call (``fanli scheduler --once``)."""
    now = now or timezone.now()
    interrupted_fail_all()
    started = []
    for task, trigger in tasks():
        last = ScheduledRun.objects.filter(task=task.name).order_by("-due_at").values_list("due_at", flat=True).first()
        due = _latest_due(trigger, max(last, now - CATCH_UP) if last else now - CATCH_UP, now)
        condition = _CONDITIONS.get(task.name)
        if due is None or (condition is not None and not condition()):
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(task=task.name, due_at=due)
        except IntegrityError:
            continue  # another process claimed it
        day = timezone.localtime(due).date()
        try:
            run.job = job_start(kind=task.kind, params=task.params(day), actor=None, title=task.title, inline=inline)
            run.save(update_fields=["job"])
        except Exception:  # the claim stays: the schedule moves on; the log and the job page say why
            log.exception("scheduled task %s due %s could not start", task.name, due)
        started.append(run)
    return started


def next_runs(now: datetime | None = None) -> list[dict[str, Any]]:
    """Each task's next due time and its last run, for the operations page and the command."""
    now = now or timezone.now()
    rows = []
    for task, trigger in tasks():
        last = ScheduledRun.objects.filter(task=task.name).select_related("job").first()
        rows.append({"task": task.name, "title": task.title, "cron": str(trigger),
                     "next": trigger.get_next_fire_time(None, now), "last": last})
    return rows


_started = threading.Event()


def scheduler_loop(stop: threading.Event, *, seconds: int = TICK_SECONDS) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            tick()
        except Exception:  # a database hiccup must not end the schedule
            log.exception("scheduler tick failed")
        stop.wait(seconds)


def embedded_start() -> bool:
    """Start the ticking thread in this process once, when ``FANLI_SCHEDULER`` is ``embedded``."""
    if getattr(settings, "FANLI_SCHEDULER", "embedded") != "embedded" or _started.is_set():
        return False
    _started.set()
    threading.Thread(target=scheduler_loop, args=(threading.Event(),), name="fanli-scheduler", daemon=True).start()
    return True
