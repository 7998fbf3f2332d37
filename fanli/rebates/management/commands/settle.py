"""``fanli settle PERIOD [--policy CODE]... [--today D]``: one settlement run."""

from __future__ import annotations

from typing import Any

from fanli.common.command import FanliCommand, parse_day
from fanli.common.money import format_minor
from fanli.rebates.rechecks import reasons_text
from fanli.rebates.services import settlement_run


class Command(FanliCommand):
    help = "Settle a period (2026-Q1, 2026, 2026-H1, 2026-03) for every policy settling on it, with true-ups."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("period")
        parser.add_argument("--policy", action="append", dest="policies", help="only this policy (repeatable)")
        parser.add_argument("--today", help="run as if on this date (default: today)")

    def work(self, *args: Any, **options: Any) -> None:
        run = settlement_run(
            period_key=options["period"], actor=self.actor(options), policy_codes=options["policies"],
            today=parse_day(options["today"], name="today") if options["today"] else None,
        )
        summary = run.summary
        self.out(f"settlement run {run.pk} for {run.period_key}: {summary['statements']} statement(s), "
                 f"{format_minor(summary['amount_minor'])}")
        for code, row in summary["by_policy"].items():
            kinds = ", ".join(f"{n} {k}" for k, n in row.items() if k != "amount_minor")
            self.out(f"  {code}: {kinds}; {format_minor(row['amount_minor'])}")
        for skipped in summary["skipped"]:
            self.out(f"  skipped {skipped['policy']}: {skipped['reason']}")
        for check in summary.get("rechecked", []):
            self.out(f"  rechecked {check['policy']} {check['period']}: {reasons_text(check['reasons'])}")
        unchanged: dict[str, list[str]] = {}
        for check in summary.get("unchanged", []):
            unchanged.setdefault(check["policy"], []).append(check["period"])
        for code, periods in unchanged.items():
            self.out(f"  unchanged, not recomputed: {code} {' '.join(periods)}")
        if not summary["statements"]:
            self.out("  nothing new to settle")
