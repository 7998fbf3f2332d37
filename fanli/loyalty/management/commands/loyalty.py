"""``fanli loyalty apply | enrol | earn | redeem | take-back | expire | balance | liability``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from fanli.accounts.models import Submission
from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.money import format_minor
from fanli.loyalty.models import Member, Programme
from fanli.loyalty.selectors import liability, member_balance, points_statement
from fanli.loyalty.services import (
    member_enrol,
    points_earn,
    points_expire,
    points_redeem,
    points_take_back,
    programme_apply,
    tier_review,
)


class Command(FanliCommand):
    help = "Loyalty points (忠诚度计划): programmes, members, earning, redemption, returns, expiry, liability."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("apply", help="store a programme from a YAML/JSON file").add_argument("file")
        enrol = sub.add_parser("enrol", help="enrol a customer (sign-up bonuses are earned at once)")
        enrol.add_argument("programme")
        enrol.add_argument("customer")
        enrol.add_argument("--email-opt-in", action="store_true")
        earn = sub.add_parser("earn", help="points for a sales invoice (once)")
        earn.add_argument("programme")
        earn.add_argument("invoice")
        redeem = sub.add_parser("redeem", help="spend points, earliest-expiring first")
        for name in ("programme", "customer"):
            redeem.add_argument(name)
        redeem.add_argument("points", type=int, nargs="?", help="points to spend (goods: computed from the price)")
        redeem.add_argument("--reference", required=True)
        redeem.add_argument("--form", choices=["discount", "coupon", "goods"], default="discount")
        redeem.add_argument("--sku", default="")
        redeem.add_argument("--quantity", type=int, default=1)
        back = sub.add_parser("take-back", help="a return takes back the points its lines earned")
        back.add_argument("programme")
        back.add_argument("return_number")
        sub.add_parser("expire", help="the daily expiry run")
        sub.add_parser("tier-review", help="tiers up at once, down after the grace").add_argument("programme")
        balance = sub.add_parser("balance", help="a member's balance and points statement")
        balance.add_argument("programme")
        balance.add_argument("customer")
        sub.add_parser("liability", help="outstanding points in money, expiring soon, expected breakage").add_argument(
            "programme")
        for command in sub.choices.values():
            command.add_argument("--date", help="YYYY-MM-DD (default today)")

    def work(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _day(self, options: dict[str, Any]) -> Any:
        return parse_day(options["date"]) if options.get("date") else timezone.localdate()

    def _apply(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise ValidationFailed(f"{path}: no such file", details={"errors": [{"path": str(path), "message": "missing"}]})
        programme, changed = programme_apply(text=path.read_text(encoding="utf-8"), actor=self.actor(options))
        if isinstance(programme, Submission):
            self.out(f"{programme.code} submitted: another person publishes it (fanli approvals publish programme "
                     f"{programme.code})")
            return
        self.out(f"{programme.code} v{programme.version} ({'stored' if changed else 'unchanged'})")

    def _enrol(self, options: dict[str, Any]) -> None:
        member = member_enrol(programme_code=options["programme"], customer_code=options["customer"],
                              day=self._day(options), actor=self.actor(options), email_opt_in=options["email_opt_in"])
        self.out(f"{options['customer']}: member of {options['programme']}, {member_balance(member)} points")

    def _earn(self, options: dict[str, Any]) -> None:
        added = points_earn(programme_code=options["programme"], invoice_number=options["invoice"],
                            actor=self.actor(options))
        self.out(f"{options['invoice']}: {added} points")

    def _redeem(self, options: dict[str, Any]) -> None:
        done = points_redeem(programme_code=options["programme"], customer_code=options["customer"],
                             points=options["points"], reference=options["reference"], day=self._day(options),
                             actor=self.actor(options), form=options["form"], sku=options["sku"],
                             quantity=options["quantity"])
        what = {"discount": f"{format_minor(done.value_minor)} off",
                "coupon": f"coupon {done.coupon_code} worth {format_minor(done.value_minor)}, valid until "
                          f"{done.coupon_expires_on}",
                "goods": f"{done.quantity} x {done.sku}"}[done.form]
        self.out(f"{options['customer']}: {done.points} points redeemed for {what} ({done.reference})")

    def _take_back(self, options: dict[str, Any]) -> None:
        taken = points_take_back(programme_code=options["programme"], return_number=options["return_number"],
                                 actor=self.actor(options))
        self.out(f"{options['return_number']}: {taken} points taken back")

    def _tier_review(self, options: dict[str, Any]) -> None:
        counts = tier_review(programme_code=options["programme"], day=self._day(options), actor=self.actor(options))
        self.out(f"{counts['up']} up, {counts['down']} down, {counts['grace_started']} in their grace period")

    def _expire(self, options: dict[str, Any]) -> None:
        self.out(f"{points_expire(day=self._day(options))} lot(s) expired")

    def _member(self, options: dict[str, Any]) -> Member:
        member = Member.objects.filter(programme__code=options["programme"], customer__code=options["customer"]).first()
        if member is None:
            raise NotFound(f"{options['customer']} is not a member of {options['programme']}")
        return member

    def _balance(self, options: dict[str, Any]) -> None:
        member = self._member(options)
        for row in points_statement(member):
            expiry = f"  expires {row['expires_on']}" if row["expires_on"] else ""
            self.out(f"{row['day']}  {row['kind']:10} {row['points']:>8}  = {row['balance']:>8}  {row['reference']}"
                     f"{expiry}  {row['reason']}".rstrip())
        self.out(f"balance {member_balance(member)} points")

    def _liability(self, options: dict[str, Any]) -> None:
        programme = Programme.objects.filter(code=options["programme"]).first()
        if programme is None:
            raise NotFound(f"no loyalty programme {options['programme']!r}")
        figures = liability(programme, today=self._day(options))
        self.out(f"outstanding {figures['outstanding_points']:,} points = {format_minor(figures['outstanding_minor'])}")
        self.out(f"expiring within 30 days {figures['expiring_soon_points']:,} points = "
                 f"{format_minor(figures['expiring_soon_minor'])}")
        self.out(f"breakage so far {figures['breakage_rate'] * 100:.2f}%: expected "
                 f"{format_minor(figures['expected_breakage_minor'])}")
