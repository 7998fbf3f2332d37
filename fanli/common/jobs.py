"""Background jobs: long work started from a page, with progress the page can poll.

A job runs in a thread of the web process by default, so the embedded setup needs no extra
server; ``FANLI_JOBS_INLINE = True`` runs it in the caller's thread (tests, scripts). With a
broker (``FANLI_BROKER_URL``) it is sent to Celery workers once the transaction that recorded it
commits (``fanli.common.celery_app``). Whoever runs it first claims the queued row, so a job runs
at most once.

The job's row records who started what, when, and how it ended. Progress lives in Django's
cache, not in the row: the work usually runs inside one database transaction (a settlement
commits all or nothing), and a row updated inside it would stay invisible until the end. The
cache is shared by every process on the machine (file-based by default; see settings).

Apps register handlers in a ``jobs.py`` module, loaded when Django starts::

    @job_handler("settlement")
    def settle(params: dict, actor: User, progress: JobProgress) -> dict: ...

A handler raises ``FanliError`` for a clear failure; the message is shown to the user.

Work that outlives a request records the process doing it as ``runner_here()`` (``host:pid``);
``runner_gone`` tells whether that process has ended. The schedule's tick calls
``interrupted_fail_all``: it ends the jobs whose process is gone, then runs the sweeps other apps
registered with ``@interrupted_sweep`` (the import batches of ``fanli.sales``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from .exceptions import FanliError, NotFound
from .models import Job
from .services import audit_record

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any, "JobProgress"], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}
_SWEEPS: list[Callable[[], list[int]]] = []
PROGRESS_TTL = 24 * 3600
NEVER_STARTED = 600  # seconds a job may stay queued before it counts as lost (in a thread)
NEVER_STARTED_QUEUED = 6 * 3600  # the same, waiting in the broker's queue for a free worker
OTHER_HOST_RUNNING = 6 * 3600  # seconds a job may run on another machine before it counts as lost
MIN_INTERVAL = 0.3  # seconds between two progress writes, unless the stage or the whole percent changes


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


def _progress_key(job: Job) -> str:
    return f"fanli:job:{job.token}"


@dataclass
class JobStatus:
    """What a page shows about a job: its row plus the latest progress."""

    job: Job
    done: int
    total: int
    stage: str

    @property
    def percent(self) -> int:
        if self.job.state == Job.State.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.job.state in (Job.State.DONE, Job.State.FAILED)


class JobProgress:
    """Called by a handler as work advances: ``progress(done, total)`` or ``progress.stage(name)``."""

    def __init__(self, job: Job) -> None:
        self._key = _progress_key(job)
        self._last = 0.0
        self._stage = ""
        self._done = 0
        self._total = 0
        self._percent = -1

    def stage(self, name: str, total: int = 0) -> None:
        self._stage, self._done, self._total = name, 0, total
        self._write(force=True)

    def __call__(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        self._write(force=done >= total or (done * 100 // total if total else 0) != self._percent)

    def _write(self, *, force: bool) -> None:
        now = time.monotonic()
        if force or now - self._last >= MIN_INTERVAL:
            cache.set(self._key, {"done": self._done, "total": self._total, "stage": self._stage}, PROGRESS_TTL)
            self._last = now
            self._percent = self._done * 100 // self._total if self._total else 0


def job_start(*, kind: str, params: dict[str, Any], actor: Any, title: str = "", inline: bool | None = None) -> Job:
    """Record the job and run it (in a thread, or inline when ``inline`` or ``FANLI_JOBS_INLINE``)."""
    if kind not in _HANDLERS:
        raise NotFound(f"no job handler for {kind!r}")
    job = Job.objects.create(
        kind=kind, title=title or kind, params=params, created_by=actor if getattr(actor, "pk", None) else None
    )
    audit_record(
        actor=actor, action="job.start", object_type="job", object_id=job.pk, data={"kind": kind, "params": params}
    )
    if inline or (inline is None and getattr(settings, "FANLI_JOBS_INLINE", False)):
        _run(job.pk)
    elif settings.FANLI_BROKER_URL:
        transaction.on_commit(lambda: _send(job.pk))
    else:
        threading.Thread(target=_run_in_thread, args=(job.pk,), name=f"fanli-job-{job.pk}", daemon=True).start()
    job.refresh_from_db()
    return job


def _send(job_id: int) -> None:
    from .celery_app import job_send

    try:
        job_send(job_id)
    except Exception as error:  # the broker is down: say so on the job's page instead of waiting for hours
        log.exception("job %s could not be sent to the queue", job_id)
        job = Job.objects.select_related("created_by").get(pk=job_id)
        _finish(job, Job.State.FAILED, error={
            "code": "queue_unreachable", "details": {},
            "message": f"the job queue could not be reached ({type(error).__name__}); nothing was done: "
                       "start the job again later"})


def job_run_queued(job_id: int) -> None:
    """Run a job sent to the queue (a Celery worker's task)."""
    _run(job_id)


def _run_in_thread(job_id: int) -> None:
    close_old_connections()
    try:
        _run(job_id)
    finally:
        connections.close_all()


def _run(job_id: int) -> None:
    job = Job.objects.select_related("created_by").get(pk=job_id)
    progress = JobProgress(job)
    claimed = Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=timezone.now(), runner=runner_here())
    if not claimed:  # delivered twice, or ended by the sweep while it waited: never run twice
        log.warning("job %s is %s, not queued: it is not run again", job.pk, job.state)
        return
    progress.stage("")
    try:
        result = _HANDLERS[job.kind](job.params, job.created_by, progress)
    except FanliError as error:
        _finish(job, Job.State.FAILED, error=error.as_dict())
    except Exception:  # the page must learn that the job died, whatever the cause
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            Job.State.FAILED,
            error={
                "code": "internal_error",
                "details": {},
                "message": f"unexpected error; the server log has the details (job {job.pk})",
            },
        )
    else:
        _finish(job, Job.State.DONE, result=result)


def _finish(job: Job, state: str, *, result: dict | None = None, error: dict | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=state, finished_at=timezone.now(), result=result or {}, error=error or {}
    )
    audit_record(
        actor=job.created_by,
        action=f"job.{state}",
        object_type="job",
        object_id=job.pk,
        data={"kind": job.kind, **({"error": error["message"]} if error else {})},
    )


def job_status(job: Job) -> JobStatus:
    # progress first, then the row: the job writes its state before any progress, so the row
    # read second is never older than the progress shown with it
    seen = cache.get(_progress_key(job)) or {}
    job.refresh_from_db()
    return JobStatus(job=job, done=seen.get("done", 0), total=seen.get("total", 0), stage=seen.get("stage", ""))


def runner_here() -> str:
    """``host:pid`` of this process, read when called (a forked server worker has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_on_this_host(runner: str) -> bool:
    return runner.rpartition(":")[0] == socket.gethostname()


def runner_gone(runner: str) -> bool:
    """Whether the process named by ``runner`` (``host:pid``) has ended: it ran on this machine and
    no process has its pid any more. A process on another machine (or none recorded) is never
    known to be gone from here."""
    pid = runner.rpartition(":")[2]
    return runner_on_this_host(runner) and pid.isdigit() and not _alive(int(pid))


def interrupted_sweep(sweep: Callable[[], list[int]]) -> Callable[[], list[int]]:
    """Register a sweep that ends, as failed, what an ended process left running; it answers the
    ids it ended. The schedule's tick runs every registered sweep."""
    _SWEEPS.append(sweep)
    return sweep


def interrupted_fail_all() -> None:
    """End the jobs whose process is gone, then run every registered sweep (one failing does not
    stop the others, nor the schedule)."""
    for sweep in (jobs_interrupted_fail, *_SWEEPS):
        try:
            sweep()
        except Exception:
            log.exception("sweep %s failed", sweep.__qualname__)


def jobs_interrupted_fail() -> list[int]:
    """Mark as failed the jobs whose process is gone: running on this machine in a process that no
    longer exists (the server or worker stopped or restarted), running on another machine for more
    than ``OTHER_HOST_RUNNING``, or queued for long and never started (``NEVER_STARTED``, or
    ``NEVER_STARTED_QUEUED`` with a broker, where a job may wait for a free worker). The page then
    says so instead of polling forever; runs and imports are safe to start again."""
    lost = []
    now = timezone.now()
    waits = NEVER_STARTED_QUEUED if settings.FANLI_BROKER_URL else NEVER_STARTED
    for pk, state, runner, created_at, started_at in Job.objects.filter(
            state__in=(Job.State.QUEUED, Job.State.RUNNING)).values_list(
                "pk", "state", "runner", "created_at", "started_at"):
        if state == Job.State.QUEUED:
            if (now - created_at).total_seconds() > waits:
                lost.append(pk)
        elif runner_gone(runner) or (not runner_on_this_host(runner) and started_at is not None
                                     and (now - started_at).total_seconds() > OTHER_HOST_RUNNING):
            lost.append(pk)
    if lost:
        Job.objects.filter(pk__in=lost, state__in=(Job.State.QUEUED, Job.State.RUNNING)).update(
            state=Job.State.FAILED, finished_at=timezone.now(), error={
                "code": "interrupted", "details": {},
                "message": "the server stopped while this job ran, so it did not finish; start it again "
                           "(settlements, accruals and imports never count anything twice)"})
        log.warning("jobs %s were interrupted and are marked failed", lost)
    return lost


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
