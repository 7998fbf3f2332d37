"""``fanli progress CUSTOMER [--date D]``: where a customer stands in each policy."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fanli.accounts.selectors import customers_for
from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import NotFound
from fanli.common.money import format_minor
from fanli.rebates.selectors import customer_progress


class Command(FanliCommand):
    help = "Basis to date, tier reached, gap to the next tier, rebate earned and projected, per policy."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("customer")
        parser.add_argument("--date")
        parser.add_argument("--json", action="store_true")

    def work(self, *args: Any, **options: Any) -> None:
        customer = customers_for(self.actor(options)).filter(code=options["customer"]).first()
        if customer is None:
            raise NotFound(f"no customer {options['customer']}")
        day = parse_day(options["date"]) if options["date"] else timezone.localdate()
        rows = customer_progress(customer, day)
        if options["json"]:
            self.out_json(rows)
            return
        self.out(f"{customer.code} {customer.name} on {day}")
        if not rows:
            self.out("  takes part in no policy valid on that date")
        for row in rows:
            tier = f"tier {row['tier_reached']}" if row["tier_reached"] else "no tier"
            gap = f", {row['gap_to_next_tier']} to the next tier (from {row['next_tier_from']})" if row["gap_to_next_tier"] else ""
            self.out(f"  {row['policy']} {row['period']}: {row['metric']} {row['metric_value']}, {tier}{gap}; "
                     f"earned {format_minor(row['earned_minor'])}, projected {format_minor(row['projected_minor'])}")
