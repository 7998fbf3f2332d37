"""Writes for discounts: rule versions, contract percents, and recording an invoice's discounts.

Recording is where limits are enforced: the rule's use row (and the customer's) are locked,
the quote is computed again with what they hold, and only then are the usages written. Two
invoices racing for the last use of a rule queue on that lock; the second one sees the limit
reached, and if its caller expected the discount, it is refused with nothing written.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from fanli.accounts.controls import require
from fanli.accounts.selectors import customers_for
from fanli.common.exceptions import Conflict, NotFound, ValidationFailed
from fanli.common.services import audit_record, canonical_json, sha256_text
from fanli.common.versions import version_publish, version_reject, version_store
from fanli.loyalty.models import Redemption
from fanli.rebates.compile import CustomerFacts

from .document import discount_rule_to_json, load_discount_rule_text
from .engine import quote
from .models import (
    DiscountContract,
    DiscountCustomerUse,
    DiscountedInvoice,
    DiscountRule,
    DiscountRuleUse,
    DiscountRuleVersion,
    DiscountUsage,
)
from .selectors import (
    LineRequest,
    coupon_offer,
    member_discount,
    published_rule_versions,
    quote_input,
    quote_to_json,
    rule_inputs,
)


def discount_rule_apply(*, text: str, actor: Any, publish: bool = True) -> tuple[DiscountRuleVersion, bool]:
    """Validate a YAML/JSON rule and store it as a new version (nothing new if unchanged).

    ``publish`` puts it in force, or, under four eyes, submits it for another person to publish."""
    require(actor, "policies")
    document = load_discount_rule_text(text)
    with transaction.atomic():
        rule, _ = DiscountRule.objects.get_or_create(code=document.code, defaults={"name": document.name})
        return version_store(versions=DiscountRuleVersion, parent=rule, parent_field="rule",
                             body=discount_rule_to_json(document), name=document.name, actor=actor, publish=publish,
                             audit_prefix="discount_rule")


def discount_rule_version_decide(*, rule_code: str, number: int, actor: Any, publish: bool,
                                 note: str = "") -> DiscountRuleVersion:
    """Publish a submitted rule version (another person than its author, under four eyes), or
    reject it back to draft with ``note``."""
    if not publish and not note.strip():
        raise ValidationFailed("say why the version is rejected",
                               details={"errors": [{"path": "note", "message": "empty"}]})
    with transaction.atomic():
        version = (DiscountRuleVersion.objects.select_for_update().select_related("rule")
                   .filter(rule__code=rule_code, number=number).first())
        if version is None:
            raise NotFound(f"no version {number} of discount rule {rule_code}")
        common = {"versions": DiscountRuleVersion, "parent": version.rule, "parent_field": "rule", "version": version,
                  "actor": actor, "audit_prefix": "discount_rule"}
        if publish:
            version_publish(**common)
        else:
            version_reject(**common, note=note.strip())
        return version


def discount_contract_set(*, customer_code: str, rule_code: str, percent: str, actor: Any,
                          note: str = "") -> DiscountContract:
    """Give a customer its contract percent (协议折扣) under a rule; it replaces the rule's percent."""
    require(actor, "policies")
    customer = customers_for(actor).filter(code=customer_code).first()  # another rep's: as unknown
    rule = DiscountRule.objects.filter(code=rule_code).first()
    errors = []
    if customer is None:
        errors.append({"path": "customer", "message": f"no customer {customer_code!r}"})
    if rule is None:
        errors.append({"path": "rule", "message": f"no discount rule {rule_code!r}"})
    try:
        value = Decimal(percent)
        valid = value.is_finite() and 0 <= value <= 100 and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        valid = False
    if not valid:
        errors.append({"path": "percent", "message": f"{percent!r} is not a percentage from 0 to 100 (two decimals)"})
    if errors:
        raise ValidationFailed(f"the contract has {len(errors)} error(s)", details={"errors": errors})
    assert customer is not None and rule is not None
    with transaction.atomic():
        contract, _ = DiscountContract.objects.update_or_create(
            rule=rule, customer=customer, defaults={"percent": Decimal(percent), "note": note[:200]})
        audit_record(actor=actor, action="discount_contract.set", object_type="customer", object_id=customer.code,
                     data={"rule": rule.code, "percent": percent, "note": note})
    return contract


def invoice_discounts_record(*, invoice_number: str, customer_code: str, day: date, lines: list[LineRequest],
                             actor: Any, expected_net_minor: int | None = None, coupon: str = "") -> DiscountedInvoice:
    """Record the discounts of one invoice in the usage ledger, enforcing limits and budgets.

    The invoice number is the idempotency key: the same request again answers the first record;
    the same number with other content is a ``Conflict``. With ``expected_net_minor`` (the net the
    customer was quoted), a quote that changed meanwhile (a limit or budget reached by another
    invoice) is refused and nothing is written. A coupon is locked, checked and marked used by
    this invoice in the same transaction, so it pays towards one invoice only.
    """
    require(actor, "import")
    number = invoice_number.strip()
    if not number or len(number) > 60:
        raise ValidationFailed("an invoice number is required (at most 60 characters)",
                               details={"errors": [{"path": "invoice_number", "message": "required"}]})
    request: dict[str, Any] = {"customer": customer_code, "date": day.isoformat(),
                               "lines": [asdict(line) for line in lines]}
    coupon = coupon.strip().upper()
    if coupon:  # only when given, so requests without one keep the digest they always had
        request["coupon"] = coupon
    digest = sha256_text(canonical_json(request))
    if not customers_for(actor).filter(code=customer_code).exists():
        quote_input(customer_code, lines, actor=actor)  # raises what an unknown customer gets, before any replay
    existing = DiscountedInvoice.objects.filter(number=number).first()
    if existing is not None:
        return _replay(existing, digest)
    facts, quoted = quote_input(customer_code, lines, actor=actor)
    customer_id = facts.customer_id
    versions = published_rule_versions()
    rule_ids = sorted({v.rule_id for v in versions})
    DiscountRuleUse.objects.bulk_create([DiscountRuleUse(rule_id=r) for r in rule_ids], ignore_conflicts=True)
    DiscountCustomerUse.objects.bulk_create([DiscountCustomerUse(rule_id=r, customer_id=customer_id) for r in rule_ids],
                                            ignore_conflicts=True)
    try:
        with transaction.atomic():
            # lock in rule order, every rule in force, so two invoices never wait on each other in a circle
            list(DiscountRuleUse.objects.select_for_update().filter(rule_id__in=rule_ids).order_by("rule_id"))
            list(DiscountCustomerUse.objects.select_for_update().filter(rule_id__in=rule_ids, customer_id=customer_id)
                 .order_by("rule_id"))
            offer = coupon_offer(customer_id, coupon, day, lock=True) if coupon else None
            result = quote(facts, day, quoted, rule_inputs(customer_id, versions), member=member_discount(customer_id),
                           coupon=offer)
            if expected_net_minor is not None and result.net_minor != expected_net_minor:
                raise Conflict(
                    "the discounts changed since the quote (a limit or budget was reached meanwhile): quote again",
                    details={"expected_net_minor": expected_net_minor, "net_minor": result.net_minor},
                    code="quote_changed",
                )
            invoice = _record(number, facts, day, digest, result, actor)
            if offer is not None:
                Redemption.objects.filter(coupon_code=offer.code).update(coupon_used_invoice=number, coupon_used_on=day)
    except IntegrityError:
        existing = DiscountedInvoice.objects.filter(number=number).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return invoice


def _record(number: str, customer: CustomerFacts, day: date, digest: str, result: Any, actor: Any) -> DiscountedInvoice:
    rule_of = {v.pk: v.rule_id for v in DiscountRuleVersion.objects.filter(pk__in=result.by_rule())}
    usages = [
        DiscountUsage(rule_id=rule_of[applied.version_id], rule_version_id=applied.version_id,
                      customer_id=customer.customer_id,
                      invoice_number=number, line_number=line.line_number, invoice_date=day, percent=applied.percent,
                      amount_minor=applied.amount_minor, reason=applied.reason[:300])
        for line in result.lines for applied in line.applied if applied.amount_minor > 0 and applied.version_id
    ]
    DiscountUsage.objects.bulk_create(usages)
    for version_id, amount in result.by_rule().items():
        DiscountRuleUse.objects.filter(rule_id=rule_of[version_id]).update(
            invoices=F("invoices") + 1, spent_minor=F("spent_minor") + amount)
        DiscountCustomerUse.objects.filter(rule_id=rule_of[version_id], customer_id=customer.customer_id).update(
            invoices=F("invoices") + 1)
    invoice = DiscountedInvoice.objects.create(
        number=number, customer_id=customer.customer_id, invoice_date=day, request_sha256=digest, gross_minor=result.gross_minor,
        discount_minor=result.discount_minor, quote=quote_to_json(result),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="discount.invoice_record", object_type="discounted_invoice", object_id=number,
                 data={"customer": customer.code, "discount_minor": result.discount_minor,
                       "rules": sorted({u.rule_id for u in usages})})
    return invoice


def _replay(existing: DiscountedInvoice, digest: str) -> DiscountedInvoice:
    if existing.request_sha256 != digest:
        raise Conflict(f"invoice {existing.number} was already recorded with other content",
                       details={"invoice_number": existing.number}, code="invoice_recorded")
    return existing

