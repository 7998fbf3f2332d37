"""Reads for discounts: the quote (nothing written), the rules in force, usage against limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fanli.accounts.selectors import customers_for
from fanli.catalog.models import Product
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.limits import DOCUMENT_AMOUNT_MAX, DOCUMENT_AMOUNT_MAX_MINOR
from fanli.common.money import major_to_minor_exact
from fanli.customers.models import Customer
from fanli.ledger.services import credit_offer
from fanli.rebates.compile import CustomerFacts
from fanli.rebates.selectors import catalog_facts, customer_facts

from .document import QUANTITY_MAX, DiscountRuleDocument, parse_discount_rule
from .engine import CouponOffer, MemberDiscount, Quote, QuoteLine, RuleInput, quote
from .models import (
    DiscountContract,
    DiscountCustomerUse,
    DiscountedInvoice,
    DiscountRuleUse,
    DiscountRuleVersion,
)

# Versions never change once published, so each is parsed once; the content hash in the key
# keeps a restored or rebuilt database (ids reused) from ever reading a stale document.
_PARSED: dict[tuple[int, str], DiscountRuleDocument] = {}


@dataclass(frozen=True)
class LineRequest:
    """One line as a caller sends it: texts, checked by ``quote_input``."""

    sku: str
    quantity: str
    unit_price: str | None = None  # major units; the product's list price when absent


def parsed_rule(version: DiscountRuleVersion) -> DiscountRuleDocument:
    key = (version.pk, version.document_sha256)
    document = _PARSED.get(key)
    if document is None:
        document = _PARSED[key] = parse_discount_rule(version.document)
    return document


def published_rule_versions() -> list[DiscountRuleVersion]:
    """Rules in force; the document is read from the database only for a version not yet parsed."""
    versions = list(DiscountRuleVersion.objects.filter(status=DiscountRuleVersion.Status.PUBLISHED)
                    .select_related("rule").only("id", "rule_id", "number", "status", "document_sha256",
                                                 "rule__id", "rule__code", "rule__name").order_by("rule_id"))
    return versions


def quote_input(customer_code: str, lines: list[LineRequest], *, actor: Any
                ) -> tuple[Customer, CustomerFacts, list[QuoteLine]]:
    """The customer and lines of a quote, or ``ValidationFailed`` naming every bad line. A customer
    ``actor`` may not reach (another sales rep's) is reported as unknown, word for word."""
    errors: list[dict[str, Any]] = []
    customer = customers_for(actor).filter(code=customer_code).only("id", "code").first()
    if customer is None:
        errors.append({"path": "customer", "message": f"no customer {customer_code!r}"})
    if not lines:
        errors.append({"path": "lines", "message": "a quote needs at least one line"})
    facts = {f.sku: f for f in catalog_facts(skus={line.sku for line in lines}).values()}
    prices = dict(Product.objects.filter(sku__in=list(facts)).values_list("sku", "list_price_minor"))
    quoted: list[QuoteLine] = []
    for number, line in enumerate(lines, start=1):
        path = f"lines.{number - 1}"
        product = facts.get(line.sku)
        if product is None:
            errors.append({"path": f"{path}.sku", "message": f"no product with SKU {line.sku!r}"})
        quantity = _decimal(line.quantity)
        if quantity is None or quantity <= 0:
            errors.append({"path": f"{path}.quantity", "message": f"{str(line.quantity)[:40]!r} is not a positive quantity"})
            quantity = None
        elif quantity > QUANTITY_MAX:
            errors.append({"path": f"{path}.quantity", "message": f"must be at most {QUANTITY_MAX:,}"})
            quantity = None
        price_minor: int | None = prices.get(line.sku)
        if line.unit_price not in (None, ""):
            price = _decimal(line.unit_price or "")
            if price is not None and price > DOCUMENT_AMOUNT_MAX:
                errors.append({"path": f"{path}.unit_price", "message": f"must be at most {DOCUMENT_AMOUNT_MAX:,}"})
            elif price is None or price < 0 or price != price.quantize(Decimal("0.01")):
                errors.append({"path": f"{path}.unit_price", "message": (
                    f"{(line.unit_price or '')[:40]!r} is not a price (at most two decimals, not negative)")})
            else:
                price_minor = major_to_minor_exact(price)
        if product is not None and quantity is not None and quantity > 0 and price_minor is not None:
            quoted.append(QuoteLine(number, product, quantity, price_minor))
    gross = sum(line.quantity * line.unit_price_minor for line in quoted)
    if gross > DOCUMENT_AMOUNT_MAX_MINOR:
        errors.append({"path": "lines", "message": f"the order comes to more than {DOCUMENT_AMOUNT_MAX:,}, the most "
                                                   "one document may hold; split it"})
    if errors:
        raise ValidationFailed(f"the quote has {len(errors)} error(s)", details={"errors": errors})
    assert customer is not None
    return customer, customer_facts([customer.pk])[customer.pk], quoted


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def rule_inputs(customer_id: int, versions: list[DiscountRuleVersion]) -> list[RuleInput]:
    """Each published version with the customer's contract percent and the uses so far."""
    rule_ids = [v.rule_id for v in versions]
    contracts = dict(DiscountContract.objects.filter(customer_id=customer_id, rule_id__in=rule_ids)
                     .values_list("rule_id", "percent"))
    totals = {rule_id: (invoices, spent) for rule_id, invoices, spent in
              DiscountRuleUse.objects.filter(rule_id__in=rule_ids).values_list("rule_id", "invoices", "spent_minor")}
    mine = dict(DiscountCustomerUse.objects.filter(customer_id=customer_id, rule_id__in=rule_ids)
                .values_list("rule_id", "invoices"))
    inputs = []
    for version in versions:
        invoices, spent = totals.get(version.rule_id, (0, 0))
        inputs.append(RuleInput(
            version.pk, parsed_rule(version), contract_percent=contracts.get(version.rule_id),
            customer_uses=mine.get(version.rule_id, 0), total_uses=invoices, spent_minor=spent,
        ))
    return inputs


def member_discount(customer_id: int) -> MemberDiscount | None:
    """The best discount the customer's loyalty tiers give (a tier benefit), if any."""
    from fanli.loyalty.engine import tier_named
    from fanli.loyalty.models import Member
    from fanli.loyalty.selectors import programme_document

    best: MemberDiscount | None = None
    for member in Member.objects.filter(customer_id=customer_id).select_related("programme"):
        tier = tier_named(programme_document(member.programme), member.tier_code)
        if tier.discount_percent > 0 and (best is None or tier.discount_percent > best.percent):
            best = MemberDiscount(f"tier:{member.programme.code}:{tier.code}", tier.discount_percent,
                                  f"{tier.discount_percent.normalize():f}% ({tier.name}, {member.programme.name})")
    return best


def coupon_offer(customer_id: int, code: str, day: date, *, lock: bool = False) -> CouponOffer:
    """The coupon ``code`` if this customer may use it on ``day``, else why not (``coupon``)."""
    from fanli.loyalty.models import Redemption

    code = code.strip().upper()
    found = Redemption.objects.filter(coupon_code=code, form=Redemption.Form.COUPON).select_related("member")
    redemption = (found.select_for_update() if lock else found).first()

    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed(message, details={"errors": [{"path": "coupon", "message": message}]})

    if redemption is None or not code:
        raise refuse(f"no coupon {code!r}")
    if redemption.member.customer_id != customer_id:
        raise refuse(f"coupon {code} belongs to another customer")
    if redemption.coupon_used_invoice:
        raise refuse(f"coupon {code} was used on invoice {redemption.coupon_used_invoice} on {redemption.coupon_used_on}")
    if redemption.coupon_expires_on is not None and redemption.coupon_expires_on < day:
        raise refuse(f"coupon {code} expired on {redemption.coupon_expires_on}")
    return CouponOffer(code, redemption.value_minor)


def quote_prepare(*, customer_code: str, day: date, lines: list[LineRequest], actor: Any, coupon: str = "") -> Quote:
    """Net prices with every discount applied and why the other rules did not apply; with a
    coupon code, the coupon's value off the order. Writes nothing. Only for a customer ``actor``
    may reach: another sales rep's customer is answered as unknown."""
    customer, facts, quoted = quote_input(customer_code, lines, actor=actor)
    offer = coupon_offer(customer.pk, coupon, day) if coupon.strip() else None
    result = quote(facts, day, quoted, rule_inputs(customer.pk, published_rule_versions()),
                   member=member_discount(customer.pk), coupon=offer)
    result.credit = credit_offer(customer.pk, result.net_minor, on=day)
    return result


def quote_to_json(result: Quote) -> dict[str, Any]:
    return {
        "customer": result.customer, "date": result.day.isoformat(),
        "gross_minor": result.gross_minor, "discount_minor": result.discount_minor, "net_minor": result.net_minor,
        "lines": [{
            "line": line.line_number, "sku": line.sku, "quantity": f"{line.quantity.normalize():f}",
            "unit_price_minor": line.unit_price_minor, "gross_minor": line.gross_minor,
            "discount_minor": line.discount_minor, "net_minor": line.net_minor,
            "applied": [{"rule": a.rule, "percent": None if a.percent is None else f"{a.percent.normalize():f}",
                         "amount_minor": a.amount_minor, "reason": a.reason} for a in line.applied],
            "not_applied": [{"rule": s.rule, "reason": s.reason} for s in line.skipped],
        } for line in result.lines],
        "not_applied": [{"rule": s.rule, "reason": s.reason} for s in result.skipped],
        "coupon": None if result.coupon is None else {
            "code": result.coupon.code, "value_minor": result.coupon.value_minor, "used_minor": result.coupon_used_minor},
        "rebate_credit": None if result.credit is None else {
            "available_minor": result.credit.available_minor, "usable_minor": result.credit.usable_minor,
            "limits": result.credit.reasons, "refusal": result.credit.refusal,
            "net_after_credit_minor": result.net_minor - result.credit.usable_minor,
        },
    }


def rule_usage() -> list[dict[str, Any]]:
    """Per rule in force: invoices and money used against its limits and budget."""
    rows = []
    uses = {u.rule_id: u for u in DiscountRuleUse.objects.all()}  # the counters the limits are enforced on
    for version in published_rule_versions():
        document = parsed_rule(version)
        use = uses.get(version.rule_id)
        budget = document.limits.budget
        rows.append({
            "rule": version.rule.code, "name": version.rule.name, "version": version.number,
            "invoices": use.invoices if use else 0, "invoice_limit": document.limits.uses_total,
            "spent_minor": use.spent_minor if use else 0,
            "budget_minor": None if budget is None else major_to_minor_exact(budget),
        })
    return rows


def discounted_invoice_find(number: str) -> DiscountedInvoice | None:
    return DiscountedInvoice.objects.select_related("customer").filter(number=number.strip()).first()


def discounted_invoice(number: str) -> DiscountedInvoice:
    invoice = discounted_invoice_find(number)
    if invoice is None:
        raise NotFound(f"no discounted invoice {number!r}")
    return invoice
