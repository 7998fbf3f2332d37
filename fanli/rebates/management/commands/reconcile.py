"""``fanli reconcile [--policy CODE]...``: recompute every settled figure and list drift."""

from __future__ import annotations

from typing import Any

from fanli.common.command import FanliCommand
from fanli.common.money import format_minor
from fanli.rebates.selectors import reconcile


class Command(FanliCommand):
    help = "Recompute every settled figure from raw sales; exit 1 when something differs."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--policy", action="append", dest="policies")
        parser.add_argument("--json", action="store_true")

    def work(self, *args: Any, **options: Any) -> None:
        rows = reconcile(policy_codes=options["policies"])
        if options["json"]:
            self.out_json(rows)
        elif not rows:
            self.out("every settled figure matches the raw data")
        for row in rows if not options["json"] else []:
            self.out(f"{row['status']:18} {row['policy']} {row['period']} {row['customer']}: settled "
                     f"{format_minor(row['settled_minor'])}, recomputed {format_minor(row['recomputed_minor'])}, "
                     f"difference {format_minor(row['difference_minor'])} ({row['late_documents']} late document(s))")
        if any(row["status"] == "drift" for row in rows):
            raise SystemExit(1)
