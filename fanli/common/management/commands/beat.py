"""``fanli beat``: Celery beat, the schedule's clock when jobs run in Celery workers.

It is ``celery -A fanli.common.celery_app beat``, run in this process, which sends a
tick every ``FANLI_TICK_SECONDS`` (30) to the queue; a worker runs the tick, which claims each due
time in the database before starting its job. Two beats (one per machine, for availability) start
each due task once; the web servers then need ``FANLI_SCHEDULER=off``, the default with a broker.
Options after ``--`` go to Celery.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from .worker import celery_run


class Command(BaseCommand):
    help = "Run Celery beat: the schedule's ticks for the workers (nightly segments, warnings, accruals, expiry)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("celery_options", nargs="*", help="passed on to celery beat (after --)")

    def handle(self, *args: Any, **options: Any) -> None:
        celery_run("beat", "--loglevel", options["loglevel"], *options["celery_options"])
