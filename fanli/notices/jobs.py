"""Sending notices as a background job: started when a notice is raised, and by the schedule
every few minutes for retries."""

from __future__ import annotations

from typing import Any

from fanli.common.jobs import JobProgress, job_handler
from fanli.common.schedule import task_condition

from .selectors import deliveries_due
from .services import deliveries_send


@job_handler("notices_deliver")
def deliver(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    progress.stage("sending")
    return deliveries_send(progress=progress)


@task_condition("notices")
def notices_waiting() -> bool:
    """The schedule's notices task starts a job only while e-mails are due (new or to retry)."""
    return deliveries_due()
