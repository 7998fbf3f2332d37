"""``fanli scheduler [--once | --list]``: run the schedule in this process (production), one tick
(from cron), or list the tasks with their next and last runs."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand
from fanli.common.schedule import TICK_SECONDS, next_runs, scheduler_loop, tick


class Command(FanliCommand):
    help = "Run the schedule: nightly segments and warnings, month-end accruals, daily points expiry."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--once", action="store_true", help="start what is due now, then exit (for cron)")
        parser.add_argument("--list", action="store_true", help="list the tasks, their next and last runs")

    def work(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for row in next_runs():
                last = row["last"]
                shown = (f"last {timezone.localtime(last.due_at):%Y-%m-%d %H:%M} job {last.job_id or '-'}"
                         if last else "never run")
                nxt = timezone.localtime(row["next"]).strftime("%Y-%m-%d %H:%M") if row["next"] else "-"
                self.out(f"{row['task']:<20} next {nxt}  {shown}")
            return
        if options["once"]:
            for run in tick(inline=True):
                self.out(f"{run.task}: due {timezone.localtime(run.due_at):%Y-%m-%d %H:%M}, job {run.job_id}")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.out(f"scheduler running, a tick every {TICK_SECONDS} s; Ctrl-C stops it")
        scheduler_loop(stop)
