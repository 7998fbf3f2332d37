"""``fanli warnings [--date D]``: raise today's warnings (run nightly) and list the open ones."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand, parse_day
from fanli.crm.models import Warning
from fanli.crm.services import warnings_raise


class Command(FanliCommand):
    help = "Raise warnings (overdue receivables, churn risk, overdue payouts, expiring points, discount budgets)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--date", help="YYYY-MM-DD (default today)")

    def work(self, *args: Any, **options: Any) -> None:
        day = parse_day(options["date"]) if options.get("date") else timezone.localdate()
        new = warnings_raise(today=day, actor=self.actor(options))
        for warning in Warning.objects.filter(acknowledged_at__isnull=True).select_related("customer", "owner"):
            who = warning.customer.code if warning.customer else "-"
            owner = warning.owner.get_username() if warning.owner else "-"
            self.out(f"{warning.raised_on}  {warning.kind:18} {who:10} {owner:12} {warning.reason}")
        self.out(f"{len(new)} new warning(s)")
