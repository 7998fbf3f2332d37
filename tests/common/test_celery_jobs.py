"""Jobs and the schedule in real Celery workers and beats (``fanli worker``, ``fanli beat``) on the
real Redis at 127.0.0.1:6379, against this test's own database: a settlement started here runs in a
worker, a due task is started by beat's tick in a worker, and with two workers and two beats a due
task still runs once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command

from fanli.common.jobs import job_run_queued, job_start, job_status
from fanli.common.models import AuditEvent, Job, ScheduledRun
from fanli.rebates.models import Statement
from fanli.rebates.services import policy_apply
from tests.builders import catalog, customer, invoice
from tests.processes import ROOT, fanli_env, fanli_start, stop, wait_for

BROKER_URL = "redis://127.0.0.1:6379/11"  # a database of its own; each test its own queue, removed after
ONLY_SEGMENTS = {"points-expiry": "off", "warnings": "off", "month-end-accruals": "off"}  # segments: 02:00 daily
POLICY = """
code: dist-q
name: Distributor quarterly tiers
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
eligibility: {kinds: [distributor]}
calculation:
  type: tiers
  mode: retroactive
  tiers:
    - {from: 0, rate_percent: 1}
    - {from: 100000, rate_percent: 2}
    - {from: 300000, rate_percent: 3}
"""


@dataclass
class Broker:
    queue: str
    logs: Path
    env: dict[str, str]
    processes: list = field(default_factory=list)

    def start(self, command: str, name: str, *args: str) -> Path:
        log = self.logs / f"{name}.log"
        self.processes.append(fanli_start(command, *args, env=self.env, log=log))
        return log


@pytest.fixture
def broker(transactional_db, settings, tmp_path):
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2, decode_responses=True)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not reachable at 127.0.0.1:6379: start it (.ci/run does)")
    queue = f"fanli-test-{uuid.uuid4().hex[:12]}"
    settings.FANLI_JOBS_INLINE = False
    settings.FANLI_BROKER_URL = BROKER_URL
    settings.FANLI_JOB_QUEUE = queue
    env = fanli_env(FANLI_BROKER_URL=BROKER_URL, FANLI_JOB_QUEUE=queue, FANLI_TICK_SECONDS="0.3",
                    FANLI_SCHEDULE=json.dumps(ONLY_SEGMENTS))
    found = Broker(queue=queue, logs=tmp_path, env=env)
    yield found
    stop(*found.processes)
    for key in client.scan_iter():
        if queue in key:
            client.delete(key)
        elif key.startswith("_kombu.binding."):
            for member in client.smembers(key):
                if queue in member:
                    client.srem(key, member)
    assert not [key for key in client.scan_iter() if queue in key]


def _finished(job: Job) -> Job | None:
    job.refresh_from_db()
    return job if job.state in (Job.State.DONE, Job.State.FAILED) else None


def _runner_pid(job: Job) -> int:
    return int(job.runner.rpartition(":")[2])


def test_a_settlement_job_and_a_scheduled_task_run_in_a_celery_worker_not_in_the_web_process(broker):
    catalog()
    policy_apply(text=POLICY, actor=None)
    invoice(customer("C001"), date(2026, 1, 5), ("TEA-1", "350000"))
    broker.start("worker", "worker", "--concurrency", "1")
    broker.start("beat", "beat")

    job = job_start(kind="settlement", params={"period": "2026-Q1", "today": "2026-04-02"}, actor=None,
                    title="Settle 2026-Q1")
    assert job.state == Job.State.QUEUED  # sent, not run here
    wait_for(lambda: _finished(job), seconds=60, what="the worker to run the settlement")
    assert (job.state, job.error) == (Job.State.DONE, {})
    assert _runner_pid(job) != os.getpid()
    assert [s.amount_minor for s in Statement.objects.all()] == [1_050_000]
    status = job_status(job)  # the worker's progress, through the shared cache
    assert (status.percent, status.finished) == (100, True)

    run = wait_for(lambda: ScheduledRun.objects.filter(job__state=Job.State.DONE).first(), seconds=60,
                   what="beat's tick to start the due segments task in the worker")
    assert run.task == "segments"
    assert (run.job.kind, run.job.error) == ("segments", {})
    assert _runner_pid(run.job) != os.getpid()
    assert sorted(Job.objects.values_list("kind", flat=True)) == ["segments", "settlement"]


def test_a_due_task_runs_once_with_two_workers_and_two_beats(broker):
    workers = [broker.start("worker", f"worker{n}", "--concurrency", "1") for n in (1, 2)]
    beats = [broker.start("beat", f"beat{n}") for n in (1, 2)]

    def ticked(log: Path) -> int:
        return len(re.findall(r"Task fanli\.schedule_tick\[[-0-9a-f]+\] succeeded", log.read_text()))

    wait_for(lambda: Job.objects.filter(kind="segments", state=Job.State.DONE).exists(), seconds=60,
             what="the segments task to run")
    wait_for(lambda: all(ticked(log) >= 3 for log in workers), seconds=30,
             what="each worker to run three ticks after the task was claimed")

    assert list(ScheduledRun.objects.values_list("task", flat=True)) == ["segments"]
    assert [(job.kind, job.state) for job in Job.objects.all()] == [("segments", Job.State.DONE)]
    for log in beats:
        assert "Sending due task fanli-schedule (fanli.schedule_tick)" in log.read_text()


def test_a_job_delivered_twice_runs_once(db):
    job = job_start(kind="settlement", params={"period": "2026-Q1", "today": "2026-04-02"}, actor=None, inline=True)
    finished_at = job.finished_at
    job_run_queued(job.pk)  # the same message again (a redelivery)
    job.refresh_from_db()
    assert (job.state, job.finished_at) == (Job.State.DONE, finished_at)
    assert list(AuditEvent.objects.filter(object_type="job").values_list("action", flat=True).order_by("id")) == [
        "job.start", "job.done"]


def test_a_job_that_cannot_reach_the_queue_fails_at_once_saying_so(transactional_db, settings):
    settings.FANLI_JOBS_INLINE = False
    settings.FANLI_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    job = job_start(kind="settlement", params={"period": "2026-Q1"}, actor=None)
    job.refresh_from_db()
    assert (job.state, job.error["code"], job.started_at) == (Job.State.FAILED, "queue_unreachable", None)
    assert job.error["message"].startswith("the job queue could not be reached")
    assert Statement.objects.count() == 0


def test_worker_and_beat_refuse_to_start_without_a_broker(settings):
    settings.FANLI_BROKER_URL = ""
    for command in ("worker", "beat"):
        with pytest.raises(CommandError, match="set FANLI_BROKER_URL"):
            call_command(command)


def test_with_a_broker_the_web_processes_leave_the_schedule_to_beat_unless_told_otherwise():
    def scheduler(**extra: str) -> str:
        env = {key: value for key, value in os.environ.items() if not key.startswith("FANLI_")}
        env.update(FANLI_VAR_DIR=os.environ.get("FANLI_VAR_DIR") or str(ROOT / "var"),
                   DJANGO_SETTINGS_MODULE="fanli.settings", **extra)
        return subprocess.run([sys.executable, "-c", "from django.conf import settings; print(settings.FANLI_SCHEDULER)"],
                              env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()

    assert scheduler() == "embedded"
    assert scheduler(FANLI_BROKER_URL=BROKER_URL) == "off"
    assert scheduler(FANLI_BROKER_URL=BROKER_URL, FANLI_SCHEDULER="embedded") == "embedded"
