"""Reads for discounts: the quote (nothing written), the rules in force, usage against limits."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection

from fanli.accounts.selectors import customers_for
from fanli.catalog.models import Brand, Category, Product
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.limits import DOCUMENT_AMOUNT_MAX, DOCUMENT_AMOUNT_MAX_MINOR
from fanli.common.money import major_to_minor_exact
from fanli.rebates.compile import CustomerFacts, ProductFacts
from fanli.rebates.payouts import credit_offer
from fanli.rebates.selectors import customer_facts

from .document import QUANTITY_MAX, DiscountRuleDocument, parse_discount_rule
from .engine import CompiledRule, CouponOffer, MemberDiscount, Quote, QuoteLine, RuleInput, quote
from .models import (
    DiscountContract,
    DiscountCustomerUse,
    DiscountedInvoice,
    DiscountRuleUse,
    DiscountRuleVersion,
)

# Versions never change once published, so each is parsed and compiled once per process; the
# content hash in the key keeps a restored or rebuilt database (ids reused) from ever reading a
# stale document. Which versions are in force is read from the database on every quote (with the
# uses, in the same statement), so a version published by any process applies to the next quote.
_COMPILED: dict[tuple[int, str], CompiledRule] = {}


@dataclass(frozen=True)
class LineRequest:
    """One line as a caller sends it: texts, checked by ``quote_input``."""

    sku: str
    quantity: str
    unit_price: str | None = None  # major units; the product's list price when absent


def compiled_rule(version_id: int, document_sha256: str, document: Any = None) -> CompiledRule:
    """The version's rule, validated and compiled once; its document is read only the first time."""
    key = (version_id, document_sha256)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if document is None:
            document = DiscountRuleVersion.objects.values_list("document", flat=True).get(pk=version_id)
        compiled = _COMPILED[key] = CompiledRule(parse_discount_rule(document))
    return compiled


def parsed_rule(version: DiscountRuleVersion) -> DiscountRuleDocument:
    return compiled_rule(version.pk, version.document_sha256).document


def published_rule_versions() -> list[DiscountRuleVersion]:
    """Rules in force; the document is read from the database only for a version not yet parsed."""
    versions = list(DiscountRuleVersion.objects.filter(status=DiscountRuleVersion.Status.PUBLISHED)
                    .select_related("rule").only("id", "rule_id", "number", "status", "document_sha256",
                                                 "rule__id", "rule__code", "rule__name").order_by("rule_id"))
    return versions


def quote_input(customer_code: str, lines: list[LineRequest], *, actor: Any) -> tuple[CustomerFacts, list[QuoteLine]]:
    """The customer and lines of a quote, or ``ValidationFailed`` naming every bad line. A customer
    ``actor`` may not reach (another sales rep's) is reported as unknown, word for word."""
    errors: list[dict[str, Any]] = []
    found = customer_facts(among=customers_for(actor).filter(code=customer_code))
    facts = next(iter(found.values()), None)
    if facts is None:
        errors.append({"path": "customer", "message": f"no customer {customer_code!r}"})
    if not lines:
        errors.append({"path": "lines", "message": "a quote needs at least one line"})
    products = quote_products({line.sku for line in lines})
    quoted: list[QuoteLine] = []
    for number, line in enumerate(lines, start=1):
        path = f"lines.{number - 1}"
        product, price_minor = products.get(line.sku, (None, None))
        if product is None:
            errors.append({"path": f"{path}.sku", "message": f"no product with SKU {line.sku!r}"})
        quantity = _decimal(line.quantity)
        if quantity is None or quantity <= 0:
            errors.append({"path": f"{path}.quantity", "message": f"{str(line.quantity)[:40]!r} is not a positive quantity"})
            quantity = None
        elif quantity > QUANTITY_MAX:
            errors.append({"path": f"{path}.quantity", "message": f"must be at most {QUANTITY_MAX:,}"})
            quantity = None
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
    assert facts is not None
    return facts, quoted


def quote_products(skus: Collection[str]) -> dict[str, tuple[ProductFacts, int]]:
    """Scope facts and list price per SKU, in one statement: each product with its category's
    chain of ancestors (read upwards, stopping at a category already seen)."""
    if not skus:
        return {}
    product, brand, category = (model._meta.db_table for model in (Product, Brand, Category))
    marks = ", ".join(["%s"] * len(skus))
    sql = (f"WITH RECURSIVE chain(product_id, category_id, depth) AS ("
           f" SELECT p.id, p.category_id, 0 FROM {product} p WHERE p.sku IN ({marks})"
           f" UNION ALL SELECT chain.product_id, c.parent_id, chain.depth + 1 FROM chain"
           f" JOIN {category} c ON c.id = chain.category_id WHERE c.parent_id IS NOT NULL AND chain.depth < 64) "
           f"SELECT p.id, p.sku, b.code, p.list_price_minor, c.id, c.code FROM chain "
           f"JOIN {product} p ON p.id = chain.product_id JOIN {category} c ON c.id = chain.category_id "
           f"LEFT JOIN {brand} b ON b.id = p.brand_id ORDER BY chain.product_id, chain.depth")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(skus))
        rows = cursor.fetchall()
    found: dict[str, tuple[ProductFacts, int]] = {}
    for (product_id, sku, brand_code, price_minor), chain in itertools.groupby(rows, key=lambda row: row[:4]):
        codes, seen = [], set()
        for *_, category_id, code in chain:
            if category_id in seen:
                break
            seen.add(category_id)
            codes.append(code)
        found[sku] = (ProductFacts(product_id, sku, tuple(codes), brand_code), price_minor)
    return found


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def rule_inputs(customer_id: int, versions: list[DiscountRuleVersion] | None = None) -> list[RuleInput]:
    """Each version in force (or each of ``versions``) with the customer's contract percent and the
    uses so far: one statement, whatever the number of rules."""
    version, rule_use, customer_use, contract = (
        model._meta.db_table for model in (DiscountRuleVersion, DiscountRuleUse, DiscountCustomerUse, DiscountContract))
    chosen: list[Any]
    if versions is None:
        which, chosen = "v.status = %s", [DiscountRuleVersion.Status.PUBLISHED.value]
    elif not versions:
        return []
    else:
        which, chosen = f"v.id IN ({', '.join(['%s'] * len(versions))})", [v.pk for v in versions]
    # the percent as text: SQLite keeps decimals as floats, and a percent must come back exact
    sql = (f"SELECT v.id, v.document_sha256, ru.invoices, ru.spent_minor, cu.invoices, CAST(c.percent AS TEXT) "
           f"FROM {version} v "
           f"LEFT JOIN {rule_use} ru ON ru.rule_id = v.rule_id "
           f"LEFT JOIN {customer_use} cu ON cu.rule_id = v.rule_id AND cu.customer_id = %s "
           f"LEFT JOIN {contract} c ON c.rule_id = v.rule_id AND c.customer_id = %s "
           f"WHERE {which} ORDER BY v.rule_id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, customer_id, *chosen])
        rows = cursor.fetchall()
    missing = [row[0] for row in rows if (row[0], row[1]) not in _COMPILED]
    documents = dict(DiscountRuleVersion.objects.filter(pk__in=missing).values_list("id", "document")) if missing else {}
    inputs = []
    for version_id, sha256, invoices, spent, mine, percent in rows:
        compiled = compiled_rule(version_id, sha256, documents.get(version_id))
        inputs.append(RuleInput(
            version_id, compiled.document, compiled=compiled,
            contract_percent=None if percent is None else Decimal(percent).quantize(_CONTRACT_PERCENT),
            customer_uses=mine or 0, total_uses=invoices or 0, spent_minor=spent or 0,
        ))
    return inputs


_CONTRACT_PERCENT = Decimal(1).scaleb(-DiscountContract._meta.get_field("percent").decimal_places)  # type: ignore[union-attr]


def member_discount(customer_id: int) -> MemberDiscount | None:
    """The best discount the customer's loyalty tiers give (a tier benefit), if any."""
    from fanli.loyalty.engine import tier_named
    from fanli.loyalty.models import Member, Programme
    from fanli.loyalty.selectors import programme_document

    fields = ["id", "code", "name", "document_sha256"]  # the document itself is read only if not yet parsed
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT m.tier_code, {', '.join(f'p.{f}' for f in fields)} FROM {Member._meta.db_table} m "
                       f"JOIN {Programme._meta.db_table} p ON p.id = m.programme_id WHERE m.customer_id = %s "
                       f"ORDER BY m.id", [customer_id])
        rows = cursor.fetchall()
    best: MemberDiscount | None = None
    for tier_code, *values in rows:
        programme = Programme.from_db(connection.alias, fields, values)
        tier = tier_named(programme_document(programme), tier_code)
        if tier.discount_percent > 0 and (best is None or tier.discount_percent > best.percent):
            best = MemberDiscount(f"tier:{programme.code}:{tier.code}", tier.discount_percent,
                                  f"{tier.discount_percent.normalize():f}% ({tier.name}, {programme.name})")
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
    facts, quoted = quote_input(customer_code, lines, actor=actor)
    customer_id = facts.customer_id
    offer = coupon_offer(customer_id, coupon, day) if coupon.strip() else None
    result = quote(facts, day, quoted, rule_inputs(customer_id), member=member_discount(customer_id), coupon=offer)
    result.credit = credit_offer(customer_id, result.net_minor, on=day)
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
