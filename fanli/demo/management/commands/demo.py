"""``fanli demo load``: load the seeded demo data set into an empty database."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fanli.common.exceptions import FanliError
from fanli.demo.generate import DEFAULT_CUSTOMERS, DEFAULT_LINES, DEFAULT_SEED, sales_window
from fanli.demo.services import DATA_PRESENT_MESSAGE, DemoSummary, demo_data_present, demo_load


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _yuan(amount_minor: int) -> str:
    sign = "-" if amount_minor < 0 else ""
    yuan, fen = divmod(abs(amount_minor), 100)
    return f"{sign}{yuan:,}.{fen:02d}"


class Command(BaseCommand):
    help = "Demo data: `demo load` fills an empty database with a seeded, realistic data set."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="action", required=True)
        load = subcommands.add_parser("load", help="load the demo data set")
        load.add_argument(
            "--if-empty", action="store_true", help="do nothing when customers, products or sales already exist"
        )
        load.add_argument("--customers", type=_positive, default=DEFAULT_CUSTOMERS, help="number of customers")
        load.add_argument("--lines", type=_positive, default=DEFAULT_LINES, help="number of sales lines")
        load.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same data)")
        load.add_argument(
            "--without-activity", action="store_true",
            help="stop after the sales, the sample policies and their enrolments: no month end, payouts, discounts, "
                 "loyalty or customer management (what the benchmarks load)",
        )
        load.add_argument(
            "--today", type=date.fromisoformat, default=None,
            help="YYYY-MM-DD; sales run to the end of the month before (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_data_present():
            if options["if_empty"]:
                self.stdout.write(f"{DATA_PRESENT_MESSAGE} (--if-empty)")
                return
            raise CommandError(DATA_PRESENT_MESSAGE)
        today = options["today"] or timezone.localdate()
        start, end = sales_window(today)
        self.stdout.write(
            f"loading demo data: {options['customers']:,} customers, {options['lines']:,} lines, "
            f"sales {start}..{end}, seed {options['seed']}"
        )
        last_reported = [-1]
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            percent = done * 100 // max(total, 1)
            if percent // 10 != last_reported[0] // 10 or done >= total:
                last_reported[0] = percent
                seconds = max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"  sales lines {done:,} / {total:,} ({percent} %), {seconds:.0f} s, "
                                  f"{done / seconds:,.0f} lines/s")

        try:
            summary = demo_load(
                customers=options["customers"],
                lines=options["lines"],
                seed=options["seed"],
                today=today,
                progress=progress,
                activity=not options["without_activity"],
            )
        except FanliError as exc:
            raise CommandError(exc.message) from None
        self._report(summary)

    def _report(self, summary: DemoSummary) -> None:
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(summary.counts_by_kind.items()))
        self.stdout.write(f"customers: {summary.customers:,} ({kinds}; {summary.branches:,} branches)")
        self.stdout.write(f"products:  {summary.products:,}")
        self.stdout.write(
            f"sales:     {summary.invoices:,} invoices, {summary.returns:,} returns, {summary.lines:,} lines, "
            f"net {_yuan(summary.sales_total_minor)} CNY"
        )
        self.stdout.write(f"policies:  {', '.join(summary.policies) or '-'} ({summary.enrolments:,} enrolments)")
        self.stdout.write("logins:    admin / fanli-admin (administrator), finance / fanli-finance (approves), "
                          "controller / fanli-controller (pays what finance approved), manager / fanli-manager "
                          "(writes policies), service / fanli-service, auditor / fanli-auditor, "
                          "portal / fanli-portal (a customer)")
        self.stdout.write(f"API token for admin (shown once): {summary.api_token}")
        self.stdout.write(self.style.SUCCESS(f"demo data loaded in {summary.seconds} s"))
