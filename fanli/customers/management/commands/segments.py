"""``fanli segments [--date D]``: recompute every customer's ABC class, RFM scores, lifecycle and score cards."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand, parse_day
from fanli.customers.services import scorecards_compute, segments_recompute


class Command(FanliCommand):
    help = "Recompute customer segments (ABC class, RFM scores, lifecycle stage) and score cards (run nightly)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--date", help="YYYY-MM-DD (default today)")

    def work(self, *args: Any, **options: Any) -> None:
        day = parse_day(options["date"]) if options.get("date") else timezone.localdate()
        summary = segments_recompute(today=day, actor=self.actor(options))
        abc = ", ".join(f"{key} {value}" for key, value in sorted(summary["abc"].items()))
        stages = ", ".join(f"{key} {value}" for key, value in sorted(summary["lifecycle"].items()))
        self.out(f"{summary['customers']} customers on {day}: {abc}; {stages}")
        for code, count in scorecards_compute(today=day, actor=self.actor(options)).items():
            self.out(f"score card {code}: {count} customers scored")
