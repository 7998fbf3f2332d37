"""``fanli payout STATEMENT... [--paid-on D] [--reference R]``: pay approved statements."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand, parse_day
from fanli.common.money import format_minor
from fanli.rebates.payouts import payout_record


class Command(FanliCommand):
    help = "Pay approved statements in their policy's form (credit, cash, goods, points)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("statements", nargs="+", type=int)
        parser.add_argument("--paid-on", dest="paid_on")
        parser.add_argument("--reference", default="")

    def work(self, *args: Any, **options: Any) -> None:
        paid_on = parse_day(options["paid_on"], name="paid-on") if options["paid_on"] else timezone.localdate()
        for statement_id in options["statements"]:
            p = payout_record(statement_id=statement_id, actor=self.actor(options), paid_on=paid_on,
                              reference=options["reference"])
            detail = {
                "goods": f"{p.goods_quantity} x {p.goods_product.sku if p.goods_product else '-'}, "
                         f"{format_minor(p.remainder_credit_minor)} kept as credit",
                "points": f"{p.points} points",
            }.get(p.form, "")
            self.out(f"statement {statement_id}: paid {format_minor(p.amount_minor)} as {p.form} {detail}".rstrip())
