"""``fanli bank unverified|verify``: customers' bank accounts that changed and wait for a second
person, and verifying them (the same service as the customer page)."""

from __future__ import annotations

from typing import Any

from fanli.accounts.selectors import customers_for
from fanli.common.command import FanliCommand
from fanli.common.exceptions import ValidationFailed
from fanli.customers.services import customer_bank_verify


class Command(FanliCommand):
    help = "Bank accounts: list those changed and not yet verified, verify them (another person than who changed them)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("unverified", help="customers whose bank account changed and is not verified")
        verify = sub.add_parser("verify", help="verify the bank accounts of the given customers (or --all)")
        verify.add_argument("codes", nargs="*", metavar="CODE")
        verify.add_argument("--all", action="store_true",
                            help="every unverified account the acting user did not change (after checking them all)")

    def work(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        if options["action"] == "unverified":
            waiting = (customers_for(actor).exclude(bank_account_number="").filter(bank_verified_at__isnull=True)
                       .select_related("bank_changed_by").order_by("code"))
            for customer in waiting:
                who = customer.bank_changed_by.get_username() if customer.bank_changed_by else "system"
                changed = f"{customer.bank_changed_at:%Y-%m-%d %H:%M}" if customer.bank_changed_at else "-"
                self.out(f"{customer.code:12} {customer.bank_account_number:>24}  changed by {who} on {changed}")
            self.out(f"{len(waiting)} bank account(s) wait for verification")
            return
        codes = list(options["codes"])
        if options["all"] == bool(codes):
            raise ValidationFailed("name the customers to verify, or give --all",
                                   details={"errors": [{"path": "codes", "message": "codes or --all"}]})
        if options["all"]:
            waiting = customers_for(actor).exclude(bank_account_number="").filter(bank_verified_at__isnull=True)
            mine = waiting.filter(bank_changed_by=actor) if getattr(actor, "pk", None) else waiting.none()
            for code in mine.order_by("code").values_list("code", flat=True):
                self.out(f"{code}: left for another person (you changed this account)")
            codes = list(waiting.exclude(pk__in=mine).order_by("code").values_list("code", flat=True))
        for code in codes:
            verified = customer_bank_verify(code=code, actor=actor)
            self.out(f"{verified.code}: bank account …{verified.bank_account_number[-4:]} verified")
        if options["all"]:
            self.out(f"{len(codes)} bank account(s) verified")
