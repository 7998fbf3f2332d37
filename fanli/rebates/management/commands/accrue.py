"""``fanli accrue MONTH [--policy CODE]... [--today D]``: the month-end accrual run."""

from __future__ import annotations

from typing import Any

from fanli.common.command import FanliCommand, parse_day
from fanli.common.money import format_minor
from fanli.rebates.services import accrual_run


class Command(FanliCommand):
    help = "Post the change in estimated rebate liability at the end of a month (e.g. 2026-03)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("month")
        parser.add_argument("--policy", action="append", dest="policies")
        parser.add_argument("--today")

    def work(self, *args: Any, **options: Any) -> None:
        run = accrual_run(
            month_key=options["month"], actor=self.actor(options), policy_codes=options["policies"],
            today=parse_day(options["today"], name="today") if options["today"] else None,
        )
        s = run.summary
        self.out(f"accrual run {run.pk} for {s['month']}: {s['entries']} entr(ies), change {format_minor(s['change_minor'])}, "
                 f"estimated outstanding {format_minor(s['estimated_outstanding_minor'])}")
