"""``fanli discount schema | apply FILE... | list | contract | quote | record | usage``."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import ValidationFailed
from fanli.common.money import format_minor
from fanli.discounts.document import discount_rule_json_schema
from fanli.discounts.models import DiscountRule
from fanli.discounts.monitoring import discount_alerts
from fanli.discounts.selectors import LineRequest, quote_prepare, quote_to_json, rule_usage
from fanli.discounts.services import discount_contract_set, discount_rule_apply, invoice_discounts_record


def _line(text: str) -> LineRequest:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise ValidationFailed(f"{text!r} is not a line: use SKU:QUANTITY or SKU:QUANTITY:UNIT_PRICE",
                               details={"errors": [{"path": "line", "message": text}]})
    return LineRequest(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


class Command(FanliCommand):
    help = "Discount rules (折扣): apply YAML/JSON rules, contract percents, quotes, recording invoices, usage."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("schema", help="print the discount rule JSON Schema")
        apply = sub.add_parser("apply", help="validate and publish rule files (a new version when changed)")
        apply.add_argument("files", nargs="+")
        apply.add_argument("--draft", action="store_true", help="store as a draft version, do not publish")
        sub.add_parser("list", help="rules and their versions")
        contract = sub.add_parser("contract", help="set a customer's contract percent under a rule")
        contract.add_argument("customer")
        contract.add_argument("rule")
        contract.add_argument("percent")
        contract.add_argument("--note", default="")
        for name, text in (("quote", "net prices and the discounts that apply (writes nothing)"),
                           ("record", "record an invoice's discounts in the usage ledger")):
            command = sub.add_parser(name, help=text)
            if name == "record":
                command.add_argument("invoice")
                command.add_argument("--expect", type=int, help="the net (fen) the customer was quoted")
            command.add_argument("customer")
            command.add_argument("lines", nargs="+", metavar="SKU:QTY[:PRICE]")
            command.add_argument("--date", help="YYYY-MM-DD (default today)")
            command.add_argument("--json", action="store_true")
            command.add_argument("--coupon", default="", help="a coupon code bought with loyalty points")
        sub.add_parser("usage", help="invoices and money used per rule against limits and budgets")
        alerts = sub.add_parser("alerts", help="order splitting, buy-then-return, discount share far above peers")
        alerts.add_argument("--date", help="look back from this day (default today)")
        alerts.add_argument("--days", type=int, default=120)

    def work(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _schema(self, options: dict[str, Any]) -> None:
        self.out(json.dumps(discount_rule_json_schema(), ensure_ascii=False, indent=2))

    def _apply(self, options: dict[str, Any]) -> None:
        actor = self.actor(options)
        self.apply_files(options["files"],
                         lambda text: discount_rule_apply(text=text, actor=actor, publish=not options["draft"]),
                         lambda version: version.rule.code)

    def _list(self, options: dict[str, Any]) -> None:
        for rule in DiscountRule.objects.prefetch_related("versions"):
            versions = ", ".join(f"v{v.number} {v.status}" for v in sorted(rule.versions.all(), key=lambda v: v.number))
            self.out(f"{rule.code:24} {rule.name}  [{versions}]")

    def _contract(self, options: dict[str, Any]) -> None:
        contract = discount_contract_set(customer_code=options["customer"], rule_code=options["rule"],
                                         percent=options["percent"], note=options["note"], actor=self.actor(options))
        self.out(f"{options['customer']}: {contract.percent:f}% under {options['rule']}")

    def _day(self, options: dict[str, Any]) -> Any:
        return parse_day(options["date"]) if options.get("date") else timezone.localdate()

    def _quote(self, options: dict[str, Any]) -> None:
        result = quote_prepare(customer_code=options["customer"], day=self._day(options),
                               lines=[_line(text) for text in options["lines"]], coupon=options["coupon"],
                               actor=self.actor(options))
        self._show(quote_to_json(result), options)

    def _record(self, options: dict[str, Any]) -> None:
        invoice = invoice_discounts_record(
            invoice_number=options["invoice"], customer_code=options["customer"], day=self._day(options),
            lines=[_line(text) for text in options["lines"]], actor=self.actor(options),
            expected_net_minor=options["expect"], coupon=options["coupon"],
        )
        self._show(invoice.quote, options)
        self.out(f"recorded as invoice {invoice.number}")

    def _show(self, quote: dict[str, Any], options: dict[str, Any]) -> None:
        if options["json"]:
            self.out_json(quote)
            return
        for line in quote["lines"]:
            self.out(f"line {line['line']} {line['sku']} x{line['quantity']}: {format_minor(line['gross_minor'])}"
                     f" -> {format_minor(line['net_minor'])}")
            for applied in line["applied"]:
                self.out(f"  - {applied['rule']}: {format_minor(applied['amount_minor'])} ({applied['reason']})")
            for skipped in line["not_applied"]:
                self.out(f"    {skipped['rule']} not applied: {skipped['reason']}")
        for skipped in quote["not_applied"]:
            self.out(f"{skipped['rule']} not applied: {skipped['reason']}")
        self.out(f"total {format_minor(quote['gross_minor'])} - {format_minor(quote['discount_minor'])} = "
                 f"{format_minor(quote['net_minor'])}")
        credit = quote.get("rebate_credit")
        if credit and credit["available_minor"]:
            self.out(f"rebate credit usable on this order: {format_minor(credit['usable_minor'])} of "
                     f"{format_minor(credit['available_minor'])}{' (' + credit['refusal'] + ')' if credit['refusal'] else ''}")

    def _usage(self, options: dict[str, Any]) -> None:
        for row in rule_usage():
            budget = format_minor(row["budget_minor"]) if row["budget_minor"] is not None else "no budget"
            limit = row["invoice_limit"] if row["invoice_limit"] is not None else "no limit"
            self.out(f"{row['rule']:24} v{row['version']}  invoices {row['invoices']} / {limit}  "
                     f"spent {format_minor(row['spent_minor'])} / {budget}")

    def _alerts(self, options: dict[str, Any]) -> None:
        found = discount_alerts(until=self._day(options), days=options["days"])
        for alert in found:
            self.out(f"{alert.day}  {alert.kind:16} {alert.customer:10} {alert.reason}")
        self.out(f"{len(found)} alert(s)")
