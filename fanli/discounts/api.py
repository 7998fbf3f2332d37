"""JSON API for discounts: rules, contract percents, quotes and recorded invoices.

Amounts are integer minor units (fen) named ``*_minor``; prices and quantities in requests are
decimal texts ("120.00", "2.5") so nothing passes through a binary float.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from fanli.accounts.permissions import permission
from fanli.accounts.selectors import hidden_from
from fanli.common.exceptions import NotFound
from fanli.common.limits import DOCUMENT_AMOUNT_MAX, DOCUMENT_AMOUNT_MAX_MINOR, QUANTITY_MAX_MILLI
from fanli.common.schemas import errors

from .document import discount_rule_json_schema
from .models import DiscountRuleVersion
from .selectors import (
    LineRequest,
    discounted_invoice,
    discounted_invoice_find,
    quote_prepare,
    quote_to_json,
    rule_usage,
)
from .services import (
    discount_contract_set,
    discount_rule_apply,
    discount_rule_version_decide,
    invoice_discounts_record,
)

router = Router(tags=["discounts"])


class RuleApplyIn(Schema):
    document: str | dict[str, Any] = Field(description="The rule as YAML/JSON text, or as a JSON object.")
    publish: bool = True


class RuleVersionOut(Schema):
    rule: str
    number: int
    status: str
    created: bool = False
    document: dict[str, Any]


def _version_out(version: DiscountRuleVersion, created: bool = False) -> dict[str, Any]:
    return {"rule": version.rule.code, "number": version.number, "status": version.status, "created": created,
            "document": version.document}


@router.get("/discount-rules/schema", response={200: dict[str, Any]}, summary="The discount rule JSON Schema")
@permission("view")
def rule_schema(request: HttpRequest) -> dict[str, Any]:
    return discount_rule_json_schema()


@router.get("/discount-rules", response=list[RuleVersionOut], summary="Discount rules in force")
@permission("view")
def rule_list(request: HttpRequest) -> list[dict[str, Any]]:
    versions = DiscountRuleVersion.objects.filter(status=DiscountRuleVersion.Status.PUBLISHED).select_related("rule")
    return [_version_out(v) for v in versions.order_by("rule__code")]


@router.post("/discount-rules", response={200: RuleVersionOut, 201: RuleVersionOut}, summary="Apply a discount rule")
@permission("policies")
def rule_create(request: HttpRequest, body: RuleApplyIn) -> Status:
    text = body.document if isinstance(body.document, str) else json.dumps(body.document)
    version, created = discount_rule_apply(text=text, actor=request.user, publish=body.publish)
    return Status(201 if created else 200, _version_out(version, created))


class NoteIn(Schema):
    note: str = Field(description="Why the version goes back to its author.")


def _decided(code: str, number: int, request: HttpRequest, *, publish: bool, note: str = "") -> dict[str, Any]:
    version = discount_rule_version_decide(rule_code=code, number=number, actor=request.user, publish=publish,
                                           note=note)
    return _version_out(version)


@router.post("/discount-rules/{code}/versions/{number}/publish", response={200: RuleVersionOut, **errors(404, 409)},
             summary="Publish a submitted rule version (not your own, under four eyes)")
@permission("publish")
def rule_publish(request: HttpRequest, code: str, number: int) -> dict[str, Any]:
    return _decided(code, number, request, publish=True)


@router.post("/discount-rules/{code}/versions/{number}/reject", response={200: RuleVersionOut, **errors(404, 409)},
             summary="Send a submitted rule version back to draft, with the reason")
@permission("publish")
def rule_reject(request: HttpRequest, code: str, number: int, body: NoteIn) -> dict[str, Any]:
    return _decided(code, number, request, publish=False, note=body.note)


@router.get("/discount-rules/usage", response={200: list[dict[str, Any]]}, summary="Invoices and money used per rule, against limits and budgets")
@permission("view")
def rule_usage_list(request: HttpRequest) -> list[dict[str, Any]]:
    return rule_usage()


class ContractIn(Schema):
    customer: str = Field(max_length=40)
    rule: str = Field(max_length=60)
    percent: str = Field(max_length=20, description="Percent off for this customer under the rule, e.g. \"12.5\".")
    note: str = Field("", max_length=200)


@router.put("/discount-contracts", response={200: dict[str, Any], **errors(404)}, summary="Set a customer's contract percent (协议折扣) under a rule")
@permission("policies")
def contract_set(request: HttpRequest, body: ContractIn) -> dict[str, Any]:
    contract = discount_contract_set(customer_code=body.customer, rule_code=body.rule, percent=body.percent,
                                     note=body.note, actor=request.user)
    return {"customer": body.customer, "rule": body.rule, "percent": f"{contract.percent:f}", "note": contract.note}


class LineIn(Schema):
    sku: str = Field(max_length=60)
    quantity: str | int = Field(
        description=f"Quantity as a decimal text or an integer, at most {QUANTITY_MAX_MILLI // 1000:,}.")
    unit_price: str | None = Field(None, max_length=40, description=(
        f"Price per unit in yuan, at most {DOCUMENT_AMOUNT_MAX:,}; the list price when absent."))


class QuoteIn(Schema):
    customer: str = Field(max_length=40)
    date: dt.date | None = Field(None, description="Defaults to today.")
    lines: list[LineIn] = Field(max_length=10_000)
    coupon: str = Field("", max_length=60, description="A coupon code bought with loyalty points: its value off the order.")


def _lines(lines: list[LineIn]) -> list[LineRequest]:
    return [LineRequest(line.sku, str(line.quantity), line.unit_price) for line in lines]


@router.post("/quotes", response={200: dict[str, Any], **errors(404)}, summary="Net prices with every discount applied and why other rules did not apply")
@permission("view")
def quote_create(request: HttpRequest, body: QuoteIn) -> dict[str, Any]:
    day = body.date or timezone.localdate()
    return quote_to_json(quote_prepare(customer_code=body.customer, day=day, lines=_lines(body.lines),
                                       coupon=body.coupon, actor=request.user))


class InvoiceIn(QuoteIn):
    invoice_number: str = Field(min_length=1, max_length=60)
    expected_net_minor: int | None = Field(
        None, ge=0, le=DOCUMENT_AMOUNT_MAX_MINOR, description="The net the customer was quoted: refused with 409 if the discounts changed meanwhile.")


def _invoice_out(invoice: Any) -> dict[str, Any]:
    return {"invoice_number": invoice.number, "customer": invoice.customer.code,
            "date": invoice.invoice_date.isoformat(), "gross_minor": invoice.gross_minor,
            "discount_minor": invoice.discount_minor, "net_minor": invoice.gross_minor - invoice.discount_minor,
            "quote": invoice.quote}


@router.post("/discounted-invoices", response={200: dict[str, Any], 201: dict[str, Any], **errors(404, 409)},
             summary="Record an invoice's discounts in the usage ledger (idempotent by invoice number)")
@permission("import")
def invoice_record(request: HttpRequest, body: InvoiceIn) -> Status:
    day = body.date or timezone.localdate()
    existed = discounted_invoice_find(body.invoice_number) is not None
    invoice = invoice_discounts_record(invoice_number=body.invoice_number, customer_code=body.customer, day=day,
                                       lines=_lines(body.lines), actor=request.user,
                                       expected_net_minor=body.expected_net_minor, coupon=body.coupon)
    return Status(200 if existed else 201, _invoice_out(invoice))


@router.get("/discounted-invoices/{number}", response={200: dict[str, Any], **errors(404)}, summary="A recorded invoice and the discounts it used")
@permission("view")
def invoice_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    invoice = discounted_invoice(number)
    if hidden_from(request.user, invoice.customer_id):
        raise NotFound(f"no recorded invoice {number}")
    return _invoice_out(invoice)
