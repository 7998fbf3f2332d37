"""``fanli worker``: a Celery worker for Fanli's jobs and scheduled tasks (needs ``FANLI_BROKER_URL``).

It is ``celery -A fanli.common.celery_app worker``, run in this process, on the queue
``FANLI_JOB_QUEUE``, one process per CPU by default (a job is heavy database work), each taking
one job at a time. Run as many as you like, on as many machines: a job runs once, a due task
once. Options after ``--`` go to Celery.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def celery_run(*arguments: str) -> None:
    """Celery's own command line, in this process (Django is set up already)."""
    if not settings.FANLI_BROKER_URL:
        raise CommandError("set FANLI_BROKER_URL (e.g. redis://127.0.0.1:6379/1) to run jobs in Celery workers; "
                           "without it jobs run in the web server's process and need no worker")
    from fanli.common.celery_app import app

    app.start(["--app", "fanli.common.celery_app", *arguments])


class Command(BaseCommand):
    help = "Run a Celery worker for jobs (settlements, accruals, imports) and scheduled tasks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--concurrency", type=int, help="worker processes (default: one per CPU)")
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("celery_options", nargs="*", help="passed on to celery worker (after --)")

    def handle(self, *args: Any, **options: Any) -> None:
        queue = settings.FANLI_JOB_QUEUE
        # each worker its own name; no start-up handshake with the others (Fanli revokes no tasks)
        arguments = ["worker", "--queues", queue, "--loglevel", options["loglevel"],
                     "--hostname", f"{queue}-{os.getpid()}@%h", "--without-mingle", "--without-gossip"]
        if options["concurrency"]:
            arguments += ["--concurrency", str(options["concurrency"])]
        celery_run(*arguments, *options["celery_options"])
