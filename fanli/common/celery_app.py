"""Celery for Fanli's jobs and schedule, used when ``FANLI_BROKER_URL`` is set.

Without a broker nothing here runs: jobs run in a thread of the web process and the schedule
ticks there (the embedded default, ``fanli.common.jobs`` and ``fanli.common.schedule``). With one
(Redis, e.g. ``redis://127.0.0.1:6379/0``):

- ``job_start`` records the ``Job`` row as before and, once its transaction commits, sends the
  job's id to the queue ``FANLI_JOB_QUEUE`` (``fanli``); a worker (``fanli worker``) takes it and
  runs the same handler the thread would (``job_run``). A job runs once: the worker claims the
  queued row before it starts, so a message delivered twice, or for a job the sweep already
  ended, runs nothing.
- Celery beat (``fanli beat``) sends ``schedule_tick`` every ``FANLI_TICK_SECONDS`` (30); the
  worker that takes it runs the schedule's tick: each due time is claimed by its unique
  ``ScheduledRun`` row (ADR 3) and its job sent to the queue. So a due task runs once however
  many beats and workers there are; missed due times coalesce and are caught up as before.
  Ticks expire after one interval, so a queue that was blocked does not replay old ticks.

Messages carry only ids: what a job does and how it ended is in its row, its progress in the
cache (Redis too, ``FANLI_REDIS_URL``, when workers run on other machines). There is no result
backend.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")

JOB_TASK = "fanli.job_run"
TICK_TASK = "fanli.schedule_tick"

app = Celery("fanli")
app.config_from_object("django.conf:settings", namespace="CELERY")


@worker_process_init.connect
def _heap_settle(**_: object) -> None:
    """A worker process lives long: its start-up objects leave the collector's scans (``heap``)."""
    from .heap import settle

    settle()


@app.task(name=JOB_TASK, ignore_result=True)
def job_run(job_id: int) -> None:
    from .jobs import job_run_queued

    job_run_queued(job_id)


@app.task(name=TICK_TASK, ignore_result=True)
def schedule_tick() -> None:
    from .schedule import tick

    tick()


def job_send(job_id: int) -> None:
    """Put the job on the queue (the broker and queue of the settings now in force)."""
    with app.connection_for_write(settings.FANLI_BROKER_URL) as connection:
        app.send_task(JOB_TASK, args=[job_id], queue=settings.FANLI_JOB_QUEUE, connection=connection,
                      retry=True, retry_policy={"max_retries": 3, "interval_start": 0, "interval_step": 0.5})

