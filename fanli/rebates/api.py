"""JSON API for rebates and their money: the same operations as the ``fanli`` CLI.

Amounts are integer minor units (fen) named ``*_minor``. Errors answer
``{"code", "message", "details"}`` (see ``fanli.api``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from fanli.accounts.permissions import permission
from fanli.accounts.selectors import can, hidden_from, visible_customer, visible_customers
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.limits import DOCUMENT_AMOUNT_MAX_MINOR
from fanli.common.paging import Page
from fanli.common.schemas import errors
from fanli.customers.models import Customer
from fanli.ledger.models import Payout
from fanli.ledger.selectors import account_balances, customer_balances, ledger_check
from fanli.ledger.services import credit_expire

from .document import load_policy_text, policy_json_schema
from .effectiveness import percent, policy_effectiveness
from .explain import explanation_text
from .models import PaymentBatch, Policy, PolicyVersion, Run, Statement
from .payment_batches import (
    bank_transfers,
    batch_summary,
    payment_batch_cancel,
    payment_batch_confirm,
    payment_batch_prepare,
    payment_batch_remove,
)
from .payouts import payout_record, rebate_credit_use
from .preview import what_if
from .selectors import UNPAID, customer_progress, reconcile, statement_lines, statements_overdue
from .services import (
    accrual_run,
    enrolment_set,
    policy_apply,
    policy_version_publish,
    policy_version_reject,
    policy_version_submit,
    settlement_run,
    statement_approve,
    statement_dispute,
    statement_resolve,
)

router = Router(tags=["rebates"])


def _customer(request: HttpRequest, code: str) -> Customer:
    return visible_customer(request.user, code)


def _statement(request: HttpRequest, statement_id: int) -> Statement:
    """A statement of a customer the user may see (a sales rep: their own)."""
    statement = Statement.objects.select_related("policy", "customer", "policy_version", "approved_by").filter(pk=statement_id).first()
    if statement is None or hidden_from(request.user, statement.customer_id):
        raise NotFound(f"no statement {statement_id}")
    return statement


# ---------------------------------------------------------------- policies


class PolicyApplyIn(Schema):
    document: str | dict[str, Any] = Field(description="The policy as YAML/JSON text, or as a JSON object.")
    publish: bool = True


class PolicyVersionOut(Schema):
    policy: str
    number: int
    status: str = Field(description="draft, submitted (waiting for a second person), published or retired")
    created: bool = False
    document: dict[str, Any]


def _version_out(version: PolicyVersion, created: bool = False) -> dict[str, Any]:
    return {"policy": version.policy.code, "number": version.number, "status": version.status, "created": created,
            "document": version.document}


def _policy_version(code: str, number: int) -> PolicyVersion:
    version = PolicyVersion.objects.select_related("policy").filter(policy__code=code, number=number).first()
    if version is None:
        raise NotFound(f"no version {number} of policy {code}")
    return version


class NoteIn(Schema):
    note: str = Field(description="Why the version goes back to its author.")


@router.post("/policies/{code}/versions/{number}/submit", response={200: PolicyVersionOut, **errors(404, 409)},
             summary="Submit a draft for approval by another person")
@permission("policies")
def policy_submit(request: HttpRequest, code: str, number: int) -> dict[str, Any]:
    return _version_out(policy_version_submit(version_id=_policy_version(code, number).pk, actor=request.user))


@router.post("/policies/{code}/versions/{number}/publish", response={200: PolicyVersionOut, **errors(404, 409)},
             summary="Publish a submitted version (not your own, under four eyes)")
@permission("publish")
def policy_publish(request: HttpRequest, code: str, number: int) -> dict[str, Any]:
    return _version_out(policy_version_publish(version_id=_policy_version(code, number).pk, actor=request.user))


@router.post("/policies/{code}/versions/{number}/reject", response={200: PolicyVersionOut, **errors(404, 409)},
             summary="Send a submitted version back to draft, with the reason")
@permission("publish")
def policy_reject(request: HttpRequest, code: str, number: int, body: NoteIn) -> dict[str, Any]:
    return _version_out(policy_version_reject(version_id=_policy_version(code, number).pk, actor=request.user,
                                              note=body.note))


@router.get("/policies/schema", response={200: dict[str, Any]}, summary="The policy document JSON Schema")
@permission("view")
def policy_schema(request: HttpRequest) -> dict[str, Any]:
    return policy_json_schema()


@router.get("/policies", response=list[PolicyVersionOut], summary="Published policies")
@permission("view")
def policy_list(request: HttpRequest) -> list[dict[str, Any]]:
    versions = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).select_related("policy")
    return [_version_out(v) for v in versions.order_by("policy__code")]


@router.post("/policies", response={200: PolicyVersionOut, 201: PolicyVersionOut}, summary="Apply a policy document")
@permission("policies")
def policy_create(request: HttpRequest, body: PolicyApplyIn) -> Status:
    text = body.document if isinstance(body.document, str) else json.dumps(body.document)
    applied = policy_apply(text=text, actor=request.user, publish=body.publish)
    return Status(201 if applied.created else 200, _version_out(applied.version, applied.created))


class WhatIfIn(Schema):
    document: str | dict[str, Any] = Field(description="A policy document (YAML/JSON text or a JSON object); not stored.")
    period: str = Field(description="An ended settlement period of the document's kind, e.g. 2026-Q3.")


@router.post("/policies/what-if", response={200: dict[str, Any]}, summary="A document over a past period beside the version in force; stores nothing")
@permission("policies")
def policy_what_if(request: HttpRequest, body: WhatIfIn) -> dict[str, Any]:
    text = body.document if isinstance(body.document, str) else json.dumps(body.document)
    preview = what_if(load_policy_text(text), body.period, today=timezone.localdate())
    return {
        "period": preview.period.key, "in_force_version": preview.in_force.number if preview.in_force else None,
        "total_minor": preview.total_minor, "in_force_total_minor": preview.in_force_total_minor,
        "difference_minor": preview.difference_minor, "participants": preview.participants,
        "gainers": preview.gainers, "losers": preview.losers,
        "tiers": [{"tier": tier, "customers": count} for tier, count in preview.tiers],
        "customers": [{"customer": r.code, "basis_minor": r.basis_minor, "tier": r.tier, "amount_minor": r.amount_minor,
                       "in_force_minor": r.in_force_minor, "difference_minor": r.difference_minor}
                      for r in preview.rows],
    }


@router.get("/policies/{code}/effectiveness", response={200: dict[str, Any], **errors(404, 409)}, summary="Participants, tiers, cost, uplift and return over an ended period")
@permission("view")
def policy_effect(request: HttpRequest, code: str, period: str) -> dict[str, Any]:
    report = policy_effectiveness(code, period, today=timezone.localdate())
    r = report.result

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "policy": report.policy.code, "version": report.version.number, "period": report.period.key,
        "compared_with": report.year_before.key, "participants": r.participants, "with_rebate": r.paid,
        "tiers": [{"tier": tier, "customers": count, "percent": str(share)} for tier, count, share in r.tier_shares()],
        "rebate_minor": r.rebate_minor, "sales_minor": r.sales_minor, "basis_minor": r.basis_minor,
        "cost_percent_of_sales": text(r.cost_of_sales), "cost_percent_of_basis": text(r.cost_of_basis),
        "panel": {"customers": r.panel.customers, "now_minor": r.panel.now_minor, "before_minor": r.panel.before_minor,
                  "growth_percent": text(percent(r.panel.growth))},
        "new_participants": r.new_participants,
        "comparison": {"customers": r.comparison.customers, "now_minor": r.comparison.now_minor,
                       "before_minor": r.comparison.before_minor, "growth_percent": text(percent(r.comparison.growth)),
                       "kinds": report.comparison_kinds, "widened": report.widened},
        "difference_in_differences_points": text(r.difference_points), "incremental_sales_minor": r.incremental_minor,
        "incremental_sales_per_yuan": text(r.return_per_yuan),
        "customers": [{**{k: v for k, v in row.items() if k not in ("customer_id", "growth")},
                       "growth_percent": text(row["growth"])} for row in report.rows],
    }


@router.get("/policies/{code}", response={200: PolicyVersionOut, **errors(404)}, summary="A policy's version in force (or ?version=N)")
@permission("view")
def policy_detail(request: HttpRequest, code: str, version: int | None = None) -> dict[str, Any]:
    qs = PolicyVersion.objects.filter(policy__code=code).select_related("policy")
    found = qs.filter(number=version).first() if version is not None else (
        qs.filter(status=PolicyVersion.Status.PUBLISHED).first() or qs.order_by("-number").first())
    if found is None:
        raise NotFound(f"no policy {code}")
    return _version_out(found)


class EnrolmentIn(Schema):
    customer: str = Field(max_length=40)
    valid_from: date | None = None
    valid_until: date | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)


@router.put("/policies/{code}/enrolments", response={200: dict[str, Any], **errors(404, 409)}, summary="Enrol a customer (返利协议), with optional overrides")
@permission("policies")
def enrolment_put(request: HttpRequest, code: str, body: EnrolmentIn) -> dict[str, Any]:
    if not Policy.objects.filter(code=code).exists():
        raise NotFound(f"no policy {code}")
    enrolment = enrolment_set(policy_code=code, customer_code=body.customer, actor=request.user,
                              valid_from=body.valid_from, valid_until=body.valid_until, overrides=body.overrides)
    return {"id": enrolment.pk, "policy": code, "customer": body.customer, "overrides": enrolment.overrides}


# ---------------------------------------------------------------- runs


class SettlementIn(Schema):
    period: str = Field(description="2026-Q1, 2026-H1, 2026 or 2026-03")
    policies: list[str] | None = None
    today: date | None = Field(None, description="Run as if on this date (default: today).")


class AccrualIn(Schema):
    month: str = Field(description="e.g. 2026-03")
    policies: list[str] | None = None
    today: date | None = None


class RunOut(Schema):
    id: int
    kind: str
    period_key: str
    as_of: date
    summary: dict[str, Any]


@router.post("/settlements", response={200: RunOut, **errors(404, 409)}, summary="Settle a period (running it again posts nothing new)")
@permission("settle")
def settlement_create(request: HttpRequest, body: SettlementIn) -> Run:
    return settlement_run(period_key=body.period, actor=request.user, policy_codes=body.policies, today=body.today)


@router.post("/accruals", response={200: RunOut, **errors(404, 409)}, summary="Month-end accrual: post the change in estimated liability")
@permission("settle")
def accrual_create(request: HttpRequest, body: AccrualIn) -> Run:
    return accrual_run(month_key=body.month, actor=request.user, policy_codes=body.policies, today=body.today)


# ---------------------------------------------------------------- statements


class StatementOut(Schema):
    id: int
    customer: str
    policy: str
    policy_version: int
    period_key: str
    period_start: date
    period_end: date
    as_of: date
    sequence: int
    kind: str
    currency: str
    basis_minor: int
    earned_minor: int
    previously_settled_minor: int
    amount_minor: int
    state: str
    due_date: date
    overdue: bool = Field(description="Not paid and past its due date.")
    approved_by: str | None = Field(None, description="Who approved it; under four eyes someone else pays it.")
    approved_on: date | None = None


def _statement_out(s: Statement) -> dict[str, Any]:
    return {
        "id": s.pk, "customer": s.customer.code, "policy": s.policy.code, "policy_version": s.policy_version.number,
        "period_key": s.period_key, "period_start": s.period_start, "period_end": s.period_end, "as_of": s.as_of,
        "sequence": s.sequence, "kind": s.kind, "currency": s.currency, "basis_minor": s.basis_minor,
        "earned_minor": s.earned_minor, "previously_settled_minor": s.previously_settled_minor,
        "amount_minor": s.amount_minor, "state": s.state, "due_date": s.due_date,
        "overdue": s.state in UNPAID and s.due_date < timezone.localdate(),
        "approved_by": s.approved_by.username if s.approved_by else None, "approved_on": s.approved_on,
    }


@router.get("/statements", response=list[StatementOut], summary="Statements, newest first")
@permission("view")
def statement_list(
    request: HttpRequest, page: Query[Page], period: str | None = None, policy: str | None = None,
    customer: str | None = None, state: str | None = None, overdue: bool = False,
) -> list[dict[str, Any]]:
    qs = Statement.objects.select_related("policy", "customer", "policy_version", "approved_by").order_by("-id")
    if not can(request.user, "view_all_customers"):
        qs = qs.filter(customer__in=visible_customers(request.user))
    if overdue:
        qs = qs.filter(statements_overdue(timezone.localdate()))
    for value, lookup in ((period, "period_key"), (policy, "policy__code"), (customer, "customer__code"),
                          (state, "state")):
        if value:
            qs = qs.filter(**{lookup: value})
    return [_statement_out(s) for s in page.of(qs)]


@router.get("/statements/{statement_id}", response={200: StatementOut, **errors(404)})
@permission("view")
def statement_detail(request: HttpRequest, statement_id: int) -> dict[str, Any]:
    return _statement_out(_statement(request, statement_id))


@router.get("/statements/{statement_id}/explanation", response={200: dict[str, Any], **errors(404)}, summary="Why this amount: lines, tiers, campaigns, caps, rounding")
@permission("view")
def statement_explanation(request: HttpRequest, statement_id: int, lines: int = 500) -> dict[str, Any]:
    statement = _statement(request, statement_id)
    return {
        "statement": _statement_out(statement),
        "explanation": statement.explanation,
        "text": explanation_text(statement.explanation, currency=statement.currency),
        "lines": statement_lines(statement, limit=max(0, min(lines, 10_000))),
    }


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/statements/{statement_id}/approve", response={200: StatementOut, **errors(404, 409)})
@permission("approve")
def statement_approve_view(request: HttpRequest, statement_id: int, on: date | None = None) -> dict[str, Any]:
    """``?on=YYYY-MM-DD``: the business date of the approval (default today; after the period, not
    in the future). No payout may be dated before it; under four eyes someone else pays."""
    statement_approve(statement_id=statement_id, actor=request.user, on=on)
    return _statement_out(_statement(request, statement_id))


@router.post("/statements/{statement_id}/dispute", response={200: StatementOut, **errors(404, 409)})
@permission("dispute")
def statement_dispute_view(request: HttpRequest, statement_id: int, body: ReasonIn) -> dict[str, Any]:
    statement_dispute(statement_id=statement_id, reason=body.reason, actor=request.user)
    return _statement_out(_statement(request, statement_id))


@router.post("/statements/{statement_id}/resolve", response={200: StatementOut, **errors(404, 409)})
@permission("dispute")
def statement_resolve_view(request: HttpRequest, statement_id: int, body: ReasonIn) -> dict[str, Any]:
    statement_resolve(statement_id=statement_id, resolution=body.reason, actor=request.user)
    return _statement_out(_statement(request, statement_id))


class PayoutIn(Schema):
    paid_on: date
    reference: str = Field("", max_length=100)


class PayoutOut(Schema):
    id: int
    statement: int
    form: str
    amount_minor: int
    goods_sku: str | None
    goods_quantity: int
    goods_value_minor: int
    remainder_credit_minor: int
    recovered_from_credit_minor: int
    points: int
    paid_on: date


def _payout_out(p: Payout) -> dict[str, Any]:
    return {
        "id": p.pk, "statement": p.statement_id, "form": p.form, "amount_minor": p.amount_minor,
        "goods_sku": p.goods_product.sku if p.goods_product else None, "goods_quantity": p.goods_quantity,
        "goods_value_minor": p.goods_value_minor, "remainder_credit_minor": p.remainder_credit_minor,
        "recovered_from_credit_minor": p.recovered_from_credit_minor, "points": p.points, "paid_on": p.paid_on,
    }


@router.post("/statements/{statement_id}/payout", response={201: PayoutOut, **errors(404, 409)}, summary="Pay an approved statement")
@permission("pay")
def payout_create(request: HttpRequest, statement_id: int, body: PayoutIn) -> Status:
    payout = payout_record(statement_id=statement_id, actor=request.user, paid_on=body.paid_on, reference=body.reference)
    return Status(201, _payout_out(payout))


# ---------------------------------------------------------------- payment batches


class PaymentBatchIn(Schema):
    statements: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        min_length=1, max_length=5000, description="Ids of approved statements.")


class BatchPaidIn(Schema):
    paid_on: date = Field(description="The day the bank paid the batch.")


class TransferOut(Schema):
    customer: str
    customer_name: str
    bank_name: str
    account_name: str
    account_number: str
    amount_minor: int
    statements: list[int]
    remark: str
    verified: bool = Field(description="The payee's account was verified by a second person since it last "
                                       "changed; the bank file is held until every payee's is.")


class PaymentBatchOut(Schema):
    reference: str
    state: str = Field(description="prepared (waiting for the bank), paid or cancelled")
    currency: str
    statements: list[int]
    amount_minor: int
    cash_minor: int = Field(description="What the bank transfers; the rest is booked as credit, goods or points.")
    prepared_by: str | None
    paid_on: date | None
    confirmed_by: str | None
    transfers: list[TransferOut]


def _batch_out(batch: PaymentBatch) -> dict[str, Any]:
    summary = batch_summary(batch)
    return {
        "reference": batch.reference, "state": batch.state, "currency": batch.currency,
        "statements": list(batch.statements.order_by("id").values_list("id", flat=True)),
        "amount_minor": summary.amount_minor, "cash_minor": summary.cash_minor,
        "prepared_by": batch.prepared_by.get_username() if batch.prepared_by else None, "paid_on": batch.paid_on,
        "confirmed_by": batch.confirmed_by.get_username() if batch.confirmed_by else None,
        "transfers": [{"customer": t.customer_code, "customer_name": t.customer_name, "bank_name": t.bank_name,
                       "account_name": t.account_name, "account_number": t.account_number,
                       "amount_minor": t.amount_minor, "statements": list(t.statements), "remark": t.remark,
                       "verified": t.verified}
                      for t in bank_transfers(batch)],
    }


def _batch(reference: str) -> PaymentBatch:
    batch = PaymentBatch.objects.select_related("prepared_by", "confirmed_by").filter(reference=reference).first()
    if batch is None:
        raise NotFound(f"no payment batch {reference}")
    return batch


@router.get("/payment-batches", response=list[PaymentBatchOut], summary="Payment batches, newest first")
@permission("view_all_customers")
def payment_batch_list(request: HttpRequest, page: Query[Page]) -> list[dict[str, Any]]:
    return [_batch_out(batch) for batch in page.of(PaymentBatch.objects.select_related("prepared_by", "confirmed_by"))]


@router.post("/payment-batches", response={201: PaymentBatchOut, **errors(403, 422)},
             summary="Gather approved statements into a payment batch")
@permission("pay")
def payment_batch_create(request: HttpRequest, body: PaymentBatchIn) -> Status:
    return Status(201, _batch_out(payment_batch_prepare(statement_ids=body.statements, actor=request.user)))


@router.get("/payment-batches/{reference}", response={200: PaymentBatchOut, **errors(404)},
            summary="A payment batch with its transfers (the bank file)")
@permission("view_all_customers")
def payment_batch_detail(request: HttpRequest, reference: str) -> dict[str, Any]:
    return _batch_out(_batch(reference))


@router.post("/payment-batches/{reference}/paid", response={200: PaymentBatchOut, **errors(403, 404, 409, 422)},
             summary="The bank paid the batch: record every statement's payout")
@permission("pay")
def payment_batch_paid(request: HttpRequest, reference: str, body: BatchPaidIn) -> dict[str, Any]:
    batch = payment_batch_confirm(batch_id=_batch(reference).pk, paid_on=body.paid_on, actor=request.user)
    return _batch_out(_batch(batch.reference))


@router.post("/payment-batches/{reference}/cancel", response={200: PaymentBatchOut, **errors(404, 409, 422)},
             summary="Give up a batch not yet paid; its statements may go into another")
@permission("pay")
def payment_batch_cancel_view(request: HttpRequest, reference: str, body: ReasonIn) -> dict[str, Any]:
    batch = payment_batch_cancel(batch_id=_batch(reference).pk, reason=body.reason, actor=request.user)
    return _batch_out(_batch(batch.reference))


class BatchRemoveIn(Schema):
    statements: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=5000)
    reason: str = Field(min_length=1, max_length=200)


@router.post("/payment-batches/{reference}/remove", response={200: PaymentBatchOut, **errors(404, 409, 422)},
             summary="Take statements out of a batch not yet paid (disputed since, say)")
@permission("pay")
def payment_batch_remove_view(request: HttpRequest, reference: str, body: BatchRemoveIn) -> dict[str, Any]:
    batch = payment_batch_remove(batch_id=_batch(reference).pk, statement_ids=body.statements, reason=body.reason,
                                 actor=request.user)
    return _batch_out(_batch(batch.reference))


# ---------------------------------------------------------------- customers' rebates


@router.get("/customers/{code}/progress", response={200: list[dict[str, Any]], **errors(404)}, summary="Progress in each policy at a date (default today)")
@permission("view")
def progress(request: HttpRequest, code: str, date: date | None = None) -> list[dict[str, Any]]:
    return customer_progress(_customer(request, code), date or timezone.localdate())


@router.get("/customers/{code}/balances", response={200: dict[str, int], **errors(404)}, summary="Rebate credit, payable, accrued and paid by form")
@permission("view")
def balances(request: HttpRequest, code: str) -> dict[str, int]:
    return customer_balances(_customer(request, code).pk)


class CreditUseIn(Schema):
    order_reference: str = Field(min_length=1, max_length=60)
    line_amounts_minor: list[Annotated[int, Field(ge=0, le=DOCUMENT_AMOUNT_MAX_MINOR)]] = Field(
        min_length=1, max_length=10_000, description="Each order line's amount in fen, at most one document's bound.")
    requested_minor: int | None = Field(None, ge=0, le=DOCUMENT_AMOUNT_MAX_MINOR)
    effective_date: date


@router.post("/customers/{code}/credit-uses", response={200: dict[str, Any], **errors(404, 409)}, summary="Use rebate credit on an order (once per order reference)")
@permission("settle")
def credit_use(request: HttpRequest, code: str, body: CreditUseIn) -> dict[str, Any]:
    if any(amount < 0 for amount in body.line_amounts_minor):
        raise ValidationFailed("line amounts must not be negative",
                               details={"errors": [{"path": "line_amounts_minor", "message": "negative"}]})
    order = rebate_credit_use(
        customer_id=_customer(request, code).pk, order_reference=body.order_reference,
        line_amounts_minor=body.line_amounts_minor, effective_date=body.effective_date, actor=request.user,
        requested_minor=body.requested_minor,
    )
    return {"order_reference": order.order_reference, "order_amount_minor": order.order_amount_minor,
            "offset_minor": order.offset_minor, "line_split_minor": order.line_split}


class CreditExpiryIn(Schema):
    today: date | None = None


@router.post("/credit/expiry", response={200: dict[str, int]}, summary="Expire what is left of credit past its last day (once per lot)")
@permission("settle")
def credit_expiry(request: HttpRequest, body: CreditExpiryIn) -> dict[str, int]:
    return {"expired_minor": credit_expire(today=body.today or timezone.localdate(), actor=request.user)}


# ---------------------------------------------------------------- checks


@router.get("/reconciliation", response={200: dict[str, Any]}, summary="Settled figures that differ from a recomputation over raw data")
@permission("view_all_customers")
def reconciliation(request: HttpRequest, policy: str | None = None) -> dict[str, Any]:
    """``policy``: comma-separated policy codes (default: all)."""
    rows = reconcile(policy_codes=[p for p in policy.split(",") if p] if policy else None)
    return {"matches": not rows, "differences": rows}


@router.get("/ledger/balances", response={200: dict[str, int]}, summary="Balance of each ledger account (liabilities positive)")
@permission("view_all_customers")
def ledger_balances(request: HttpRequest) -> dict[str, int]:
    return account_balances()


@router.get("/ledger/check", response={200: dict[str, Any]}, summary="Trial balance and statement/payout consistency")
@permission("view_all_customers")
def ledger_check_view(request: HttpRequest) -> dict[str, Any]:
    return ledger_check()
