"""Payment batches (付款批次): approved statements paid together.

- ``payment_batch_prepare`` gathers approved statements under one reference. Each must be
  approved, positive (a clawback is recovered, not transferred), in no other open batch, and of a
  customer the actor reaches; a statement paid in cash needs its customer's bank account on record.
- ``bank_transfers`` is the batch's file for the bank: one transfer per payee (the customer's
  cash statements summed), with the account from the customer record and the batch reference.
  ``bank_file`` gives them only when every payee's account was verified by a second person since
  it last changed (``fanli.customers.services.customer_bank_verify``); a batch is not prepared for
  an unverified account either, so whoever changes a payee's account cannot also pay into it.
  Statements paid as rebate-account credit, goods or points move no money at the bank; they are
  booked when the batch is confirmed.
- ``payment_batch_confirm`` records, once the bank confirms, the payout of every statement of the
  batch on the date given (``payout_record`` for each, all or nothing): the same rights, dates and
  four eyes as one payout at a time (who approved a statement does not pay it).
- ``payment_batch_cancel`` gives up a batch not yet paid; its statements are free for another.
- ``payment_batch_remove`` takes statements out of a batch not yet paid (disputed since it was
  prepared, say), with a reason; the rest of the batch stays as it was.

Controls: the ``pay`` right for all four; the batch's reference and amounts are fixed when it is
prepared, and confirming refuses a batch whose statements changed since.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from fanli.accounts.controls import require
from fanli.accounts.selectors import customers_for
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.money import format_minor
from fanli.common.services import audit_record
from fanli.ledger.models import PayoutForm

from .models import PaymentBatch, Statement
from .payouts import payout_record
from .selectors import parsed

BATCH_STATEMENTS_MAX = 5_000


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _next_reference(today: date) -> str:
    prefix = f"PB-{today:%Y%m%d}-"
    taken = PaymentBatch.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


def payout_forms(statements: list[Statement]) -> dict[int, str]:
    """Policy version id -> the form it pays in (cash, rebate_account, goods, points), each
    version's document read once however many statements share it."""
    forms: dict[int, str] = {}
    for statement in statements:
        if statement.policy_version_id not in forms:
            forms[statement.policy_version_id] = str(parsed(statement.policy_version).payout.form.value)
    return forms


def payment_batch_prepare(*, statement_ids: list[int], actor: Any, today: date | None = None) -> PaymentBatch:
    """A new batch of the given approved statements; refused as a whole, with every reason."""
    require(actor, "pay")
    today = today or timezone.localdate()
    wanted = sorted(set(statement_ids))
    if any(not 0 < pk < 2**63 for pk in wanted):
        raise ValidationFailed("statement ids are positive whole numbers",
                               details={"errors": [{"path": "statements", "message": "not a statement id"}]})
    if not wanted:
        raise ValidationFailed("a payment batch needs at least one approved statement",
                               details={"errors": [{"path": "statements", "message": "none chosen"}]})
    if len(wanted) > BATCH_STATEMENTS_MAX:
        raise ValidationFailed(f"a payment batch holds at most {BATCH_STATEMENTS_MAX:,} statements; "
                               f"{len(wanted):,} were chosen",
                               details={"errors": [{"path": "statements", "message": "too many"}]})
    with transaction.atomic():
        statements = list(
            Statement.objects.select_for_update(of=("self",)).filter(pk__in=wanted, customer__in=customers_for(actor))
            .select_related("customer", "policy_version", "payment_batch").order_by("id"))
        errors = []
        found = {s.pk for s in statements}
        errors += [{"path": f"statements.{pk}", "message": f"no statement {pk}"} for pk in wanted if pk not in found]
        forms = payout_forms(statements)
        for statement in statements:
            problem = _not_payable(statement, forms[statement.policy_version_id])
            if problem:
                errors.append({"path": f"statements.{statement.pk}", "message": problem})
        if errors:
            raise ValidationFailed(f"{len(errors)} of the {len(wanted)} statements cannot go into a payment batch",
                                   details={"errors": errors})
        batch = _batch_create(today, actor, statements[0].currency)
        Statement.objects.filter(pk__in=found).update(payment_batch=batch)
        audit_record(actor=actor, action="payment_batch.prepare", object_type="payment_batch", object_id=batch.pk,
                     data={"reference": batch.reference, "statements": len(found),
                           "amount_minor": sum(s.amount_minor for s in statements)})
    return batch


def _batch_create(today: date, actor: Any, currency: str) -> PaymentBatch:
    """A batch with the day's next reference (PB-20260420-001, -002, …); a reference another
    preparer took a moment earlier is skipped, not reused."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return PaymentBatch.objects.create(reference=_next_reference(today), currency=currency,
                                                   prepared_by=_actor_or_none(actor))
        except IntegrityError:
            continue
    raise StateError("no free payment batch reference: try again", code="busy")


def _not_payable(statement: Statement, form: str) -> str:
    if statement.state != Statement.State.APPROVED:
        return f"statement {statement.pk} is {statement.state}; only an approved statement is paid"
    if statement.amount_minor <= 0:
        return (f"statement {statement.pk} is a clawback of {format_minor(-statement.amount_minor, statement.currency)}: "
                "it is recovered from the customer, not paid; record it on its own")
    batch = statement.payment_batch
    if batch is not None and batch.state == PaymentBatch.State.PREPARED:
        return f"statement {statement.pk} is already in payment batch {batch.reference}"
    if form == PayoutForm.CASH and not statement.customer.bank_account_number:
        return (f"customer {statement.customer.code} has no bank account on record: add it (bank_account_number) "
                "before paying a cash rebate by bank transfer")
    if form == PayoutForm.CASH and not statement.customer.bank_verified:
        return _unverified(statement.customer)
    return ""


def _unverified(customer: Any) -> str:
    return (f"customer {customer.code}'s bank account changed and is not verified yet: another person with the "
            "right to pay verifies it on the customer's page")


@dataclass(frozen=True)
class Transfer:
    """One line of the bank file: everything paid to one payee in the batch."""

    customer_code: str
    customer_name: str
    bank_name: str
    account_name: str
    account_number: str
    amount_minor: int
    statements: tuple[int, ...]
    remark: str
    verified: bool  # the account was verified by a second person since it last changed


@dataclass(frozen=True)
class BatchSummary:
    statements: int
    amount_minor: int
    cash_minor: int
    booked_minor: int  # paid as rebate-account credit, goods or points: no bank transfer


def batch_statements(batch: PaymentBatch) -> Any:
    return batch.statements.select_related("customer", "policy", "policy_version").order_by("customer__code", "id")


def bank_transfers(batch: PaymentBatch) -> list[Transfer]:
    """The transfers the bank makes for ``batch``: a row per payee, in customer-code order."""
    by_customer: dict[int, list[Statement]] = defaultdict(list)
    statements = list(batch_statements(batch))
    forms = payout_forms(statements)
    for statement in statements:
        if forms[statement.policy_version_id] == PayoutForm.CASH:
            by_customer[statement.customer_id].append(statement)
    transfers = []
    for statements in by_customer.values():
        customer = statements[0].customer
        transfers.append(Transfer(
            customer.code, customer.name, customer.bank_name, customer.bank_account_name or customer.name,
            customer.bank_account_number, sum(s.amount_minor for s in statements), tuple(s.pk for s in statements),
            f"{batch.reference} " + " ".join(f"{s.policy.code} {s.period_key}" for s in statements)[:60],
            customer.bank_verified,
        ))
    return sorted(transfers, key=lambda t: t.customer_code)


def bank_file(batch: PaymentBatch) -> list[Transfer]:
    """The transfers to send to the bank, only while the batch waits for it (a paid batch's file
    sent again would pay twice; its transfers stay on its page); refused while a payee's account
    is not verified (it changed after the batch was prepared, say)."""
    if batch.state != PaymentBatch.State.PREPARED:
        raise StateError(f"payment batch {batch.reference} is {batch.state}: its bank file is offered only while the "
                         "batch waits for the bank, so that it is never sent twice",
                         details={"state": batch.state}, code="batch_closed")
    transfers = bank_transfers(batch)
    held = [t.customer_code for t in transfers if not t.verified]
    if held:
        raise StateError(f"the bank file is held: the bank account of {', '.join(held)} changed and is not verified "
                         "yet; another person with the right to pay verifies it on the customer's page",
                         details={"customers": held}, code="bank_account_unverified")
    return transfers


def batch_summary(batch: PaymentBatch) -> BatchSummary:
    totals = batch.statements.aggregate(n=Count("id"), amount=Sum("amount_minor"))
    cash = sum(t.amount_minor for t in bank_transfers(batch))
    amount = totals["amount"] or 0
    return BatchSummary(totals["n"] or 0, amount, cash, amount - cash)


def _batch_for_update(batch_id: int) -> PaymentBatch:
    batch = PaymentBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"no payment batch {batch_id}")
    if batch.state != PaymentBatch.State.PREPARED:
        raise StateError(f"payment batch {batch.reference} is {batch.state}; only a prepared batch is "
                         "confirmed or cancelled", details={"state": batch.state}, code="batch_closed")
    return batch


def payment_batch_confirm(*, batch_id: int, paid_on: date, actor: Any, today: date | None = None) -> PaymentBatch:
    """The bank paid the batch on ``paid_on``: record every statement's payout with the batch's
    reference, all or nothing."""
    require(actor, "pay")
    with transaction.atomic():
        batch = _batch_for_update(batch_id)
        statements = list(batch.statements.order_by("id").values_list("id", flat=True))
        changed = list(batch.statements.exclude(state=Statement.State.APPROVED).order_by("id")
                       .values_list("id", "state"))
        if changed:
            listed = ", ".join(f"{pk} ({state})" for pk, state in changed)
            raise StateError(f"statements of payment batch {batch.reference} are no longer approved: {listed}; take "
                             "them out of the batch before recording it paid",
                             details={"statements": [pk for pk, _ in changed]}, code="batch_changed")
        for statement_id in statements:
            payout_record(statement_id=statement_id, actor=actor, paid_on=paid_on, reference=batch.reference,
                          today=today)
        batch.state = PaymentBatch.State.PAID
        batch.paid_on = paid_on
        batch.confirmed_by = _actor_or_none(actor)
        batch.confirmed_at = timezone.now()
        batch.save(update_fields=["state", "paid_on", "confirmed_by", "confirmed_at"])
        audit_record(actor=actor, action="payment_batch.confirm", object_type="payment_batch", object_id=batch.pk,
                     data={"reference": batch.reference, "paid_on": paid_on.isoformat(), "statements": len(statements)})
    return batch


def payment_batch_cancel(*, batch_id: int, reason: str, actor: Any) -> PaymentBatch:
    """Give up a prepared batch (the bank refused the file, a transfer is wrong): its statements
    leave it, still approved, and may go into another."""
    require(actor, "pay")
    if not reason.strip():
        raise ValidationFailed("cancelling a payment batch needs a reason",
                               details={"errors": [{"path": "reason", "message": "empty"}]})
    with transaction.atomic():
        batch = _batch_for_update(batch_id)
        freed = Statement.objects.filter(payment_batch=batch).update(payment_batch=None)
        batch.state = PaymentBatch.State.CANCELLED
        batch.cancelled_reason = reason.strip()[:200]
        batch.save(update_fields=["state", "cancelled_reason"])
        audit_record(actor=actor, action="payment_batch.cancel", object_type="payment_batch", object_id=batch.pk,
                     data={"reference": batch.reference, "reason": batch.cancelled_reason, "statements": freed})
    return batch


def payment_batch_remove(*, batch_id: int, statement_ids: list[int], reason: str, actor: Any) -> PaymentBatch:
    """Take statements out of a prepared batch (before its bank file goes to the bank): they stay
    as they are (approved or disputed) and may go into another batch; an emptied batch is cancelled."""
    require(actor, "pay")
    if not reason.strip():
        raise ValidationFailed("taking a statement out of a payment batch needs a reason",
                               details={"errors": [{"path": "reason", "message": "empty"}]})
    with transaction.atomic():
        batch = _batch_for_update(batch_id)
        wanted = sorted(set(statement_ids))
        inside = set(batch.statements.filter(pk__in=wanted).values_list("id", flat=True))
        missing = [pk for pk in wanted if pk not in inside]
        if not wanted or missing:
            raise ValidationFailed(f"statements {', '.join(map(str, missing))} are not in payment batch "
                                   f"{batch.reference}" if missing else "no statement chosen",
                                   details={"errors": [{"path": "statements", "message": "not in the batch"}]})
        Statement.objects.filter(pk__in=wanted).update(payment_batch=None)
        audit_record(actor=actor, action="payment_batch.remove", object_type="payment_batch", object_id=batch.pk,
                     data={"reference": batch.reference, "statements": wanted, "reason": reason.strip()[:200]})
        if not batch.statements.exists():
            batch.state = PaymentBatch.State.CANCELLED
            batch.cancelled_reason = reason.strip()[:200]
            batch.save(update_fields=["state", "cancelled_reason"])
    return batch
