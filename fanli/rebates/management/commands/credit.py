"""``fanli credit balance CUSTOMER``, ``fanli credit use CUSTOMER ORDER --lines A,B,C [--amount X]``,
``fanli credit expire [--today D]``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from fanli.accounts.selectors import customers_for
from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.money import format_minor, major_to_minor_exact
from fanli.ledger.selectors import customer_balances
from fanli.ledger.services import credit_expire
from fanli.rebates.payouts import rebate_credit_use


def _minor(text: str, name: str) -> int:
    try:
        return major_to_minor_exact(Decimal(text.strip()))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{name} {text!r} is not an amount like 1234.50",
                               details={"errors": [{"path": name, "message": "not an amount"}]}) from None


class Command(FanliCommand):
    help = "A customer's rebate balances, use rebate-account credit against an order, expire old credit."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        balance = sub.add_parser("balance")
        balance.add_argument("customer")
        use = sub.add_parser("use")
        use.add_argument("customer")
        use.add_argument("order")
        use.add_argument("--lines", required=True, help="line amounts in yuan, comma separated")
        use.add_argument("--amount", help="credit to use (default: the most allowed)")
        expire = sub.add_parser("expire", help="expire what is left of credit past its last day")
        expire.add_argument("--today")

    def work(self, *args: Any, **options: Any) -> None:
        if options["action"] == "expire":
            today = parse_day(options["today"], name="today") if options["today"] else timezone.localdate()
            self.out(f"{format_minor(credit_expire(today=today, actor=self.actor(options)))} of credit expired")
            return
        customer = customers_for(self.actor(options)).filter(code=options["customer"]).first()
        if customer is None:  # unknown, or not the --as-user sales rep's: the same answer
            raise NotFound(f"no customer {options['customer']}")
        if options["action"] == "balance":
            for name, value in customer_balances(customer.pk).items():
                self.out(f"{name.removesuffix('_minor'):22} {format_minor(value):>18}")
            return
        lines = [_minor(part, "lines") for part in options["lines"].split(",")]
        order = rebate_credit_use(
            customer_id=customer.pk, order_reference=options["order"], line_amounts_minor=lines,
            effective_date=timezone.localdate(), actor=self.actor(options),
            requested_minor=_minor(options["amount"], "amount") if options["amount"] else None,
        )
        split = ", ".join(format_minor(p) for p in order.line_split)
        self.out(f"order {order.order_reference}: {format_minor(order.offset_minor)} of credit used ({split})")
