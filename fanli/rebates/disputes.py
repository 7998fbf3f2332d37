"""Disputes (争议): the conversation about a statement and how it ends.

A dispute opens when a customer or staff member disputes a statement (``statement_dispute``).
Both sides write in its thread; staff may add internal notes the customer never sees. It ends
in one of two ways:

- **figure confirmed**: the statement goes back to approved (``dispute_confirm``);
- **manual adjustment**: someone with the ``dispute`` permission proposes an amount and a reason;
  someone else with the ``approve`` permission approves it (four eyes). Approval books the
  amount as a new statement of kind ``manual`` for the same customer, policy and period, payable
  like any statement. Recomputation leaves manual statements alone: a later settlement run never
  claws an agreed adjustment back (see ADR 1).

Every step writes an audit event and an entry in the thread, so the dispute's full history reads
in one place.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from fanli.accounts.controls import require
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.money import format_minor, major_to_minor_exact
from fanli.common.services import audit_record
from fanli.customers.models import NoticeKind
from fanli.ledger.models import Account, EntryKind
from fanli.ledger.services import Posting, entries_post
from fanli.notices.services import notice_raise

from .explain import manual_explanation
from .models import Dispute, DisputeMessage, Statement
from .selectors import parsed


def _error(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"errors": [{"path": path, "message": message}]})


def _name(user: Any) -> str:
    return user.get_username() if getattr(user, "pk", None) else "system"


def _dispute_for_update(dispute_id: int) -> Dispute:
    dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound(f"no dispute {dispute_id}")
    return dispute


def _note(dispute: Dispute, event: str, body: str, actor: Any = None, *, internal: bool = False) -> None:
    DisputeMessage.objects.create(dispute=dispute, author=actor if getattr(actor, "pk", None) else None,
                                  body=body, event=event, internal=internal)


def dispute_open(*, statement: Statement, reason: str, actor: Any) -> Dispute:
    """Called inside ``statement_dispute``'s transaction: the dispute and its first message."""
    dispute = Dispute.objects.create(statement=statement, reason=reason,
                                     opened_by=actor if getattr(actor, "pk", None) else None)
    _note(dispute, "opened", reason, actor)
    return dispute


def dispute_message_add(*, dispute_id: int, body: str, actor: Any, internal: bool = False) -> DisputeMessage:
    """A message in the thread of an unresolved dispute. Customers never write internal notes."""
    if not body.strip():
        raise _error("body", "write a message")
    with transaction.atomic():
        dispute = _dispute_for_update(dispute_id)
        if dispute.state == Dispute.State.RESOLVED:
            raise StateError("this dispute is resolved; open a new one from the statement if needed")
        message = DisputeMessage.objects.create(dispute=dispute, author=actor if getattr(actor, "pk", None) else None,
                                                body=body.strip(), internal=internal)
        audit_record(actor=actor, action="dispute.message", object_type="dispute", object_id=dispute.pk,
                     data={"internal": internal})
        return message


def dispute_adjustment_propose(*, dispute_id: int, amount: str, reason: str, actor: Any) -> Dispute:
    """Propose settling the dispute by a manual adjustment of ``amount`` yuan (negative takes back)."""
    require(actor, "dispute")
    try:
        value = Decimal(amount.strip().replace(",", ""))
        minor = major_to_minor_exact(value) if value.is_finite() else 0
    except (InvalidOperation, ValueError):
        raise _error("amount", f"{amount!r} is not an amount in yuan with at most two decimals") from None
    if minor == 0:
        raise _error("amount", "an adjustment needs an amount other than zero")
    if not reason.strip():
        raise _error("reason", "say why the adjustment is due")
    with transaction.atomic():
        dispute = _dispute_for_update(dispute_id)
        if dispute.state != Dispute.State.OPEN:
            raise StateError(f"dispute {dispute.pk} is {dispute.state}; a proposal needs an open dispute")
        Dispute.objects.filter(pk=dispute.pk).update(
            state=Dispute.State.PROPOSED, proposed_minor=minor, proposal_reason=reason.strip(),
            proposed_by=actor if getattr(actor, "pk", None) else None, proposed_at=timezone.now())
        _note(dispute, "proposed", f"{format_minor(minor)}: {reason.strip()}", actor)
        audit_record(actor=actor, action="dispute.propose", object_type="dispute", object_id=dispute.pk,
                     data={"amount_minor": minor, "reason": reason.strip(), "statement": dispute.statement_id})
        dispute.refresh_from_db()
        return dispute


def dispute_adjustment_decide(*, dispute_id: int, approve: bool, actor: Any, note: str = "") -> Dispute:
    """Approve (book the manual statement, resolve) or reject (back to open) a proposal.

    The person who proposed may not decide: an adjustment always has two people behind it.
    """
    require(actor, "approve")
    with transaction.atomic():
        dispute = _dispute_for_update(dispute_id)
        if dispute.state != Dispute.State.PROPOSED:
            raise StateError(f"dispute {dispute.pk} is {dispute.state}; there is no proposal to decide")
        if getattr(actor, "pk", None) is None or actor.pk == dispute.proposed_by_id:
            raise StateError("the person who proposed an adjustment cannot approve or reject it",
                             code="four_eyes")
        if not approve:
            Dispute.objects.filter(pk=dispute.pk).update(state=Dispute.State.OPEN)
            _note(dispute, "rejected", note.strip(), actor)
            audit_record(actor=actor, action="dispute.reject", object_type="dispute", object_id=dispute.pk,
                         data={"amount_minor": dispute.proposed_minor, "note": note})
            dispute.refresh_from_db()
            return dispute
        adjustment = _book_manual_statement(dispute, actor)
        Statement.objects.filter(pk=dispute.statement_id, state=Statement.State.DISPUTED).update(
            state=Statement.State.APPROVED)
        Dispute.objects.filter(pk=dispute.pk).update(
            state=Dispute.State.RESOLVED, outcome=Dispute.Outcome.ADJUSTED, adjustment=adjustment,
            resolution=dispute.proposal_reason, resolved_by=actor, resolved_at=timezone.now())
        _note(dispute, "resolved", f"{format_minor(adjustment.amount_minor)} → #{adjustment.pk}", actor)
        audit_record(actor=actor, action="dispute.approve", object_type="dispute", object_id=dispute.pk,
                     data={"amount_minor": adjustment.amount_minor, "adjustment_statement": adjustment.pk,
                           "statement": dispute.statement_id})
        dispute.refresh_from_db()
        _answered_notice(dispute, adjustment)
        return dispute


def _answered_notice(dispute: Dispute, adjustment: Statement | None = None) -> None:
    """Tell the customer's contacts who take dispute notices how their dispute ended (once per
    dispute), with the adjustment statement's PDF when there is one."""
    statement = dispute.statement
    params: dict[str, Any] = {"dispute": dispute.pk, "statement": statement.pk, "policy_name": statement.policy.name,
                              "period_key": statement.period_key, "outcome": dispute.outcome,
                              "resolution": dispute.resolution, "currency": statement.currency}
    if adjustment is not None:
        params |= {"adjustment_statement": adjustment.pk, "adjustment_minor": adjustment.amount_minor}
    notice_raise(customer_id=statement.customer_id, kind=NoticeKind.DISPUTE, key=f"dispute:{dispute.pk}:answered",
                 params=params, attachment=f"statement_pdf:{adjustment.pk}" if adjustment is not None else "")


def _book_manual_statement(dispute: Dispute, approver: Any) -> Statement:
    disputed = Statement.objects.select_related("policy", "customer", "policy_version").get(pk=dispute.statement_id)
    same = Statement.objects.filter(customer_id=disputed.customer_id, policy_id=disputed.policy_id,
                                    period_key=disputed.period_key)
    sequence = (same.aggregate(last=Max("sequence"))["last"] or 0) + 1
    before = same.aggregate(total=Sum("amount_minor"))["total"] or 0
    amount = dispute.proposed_minor or 0
    today = timezone.localdate()
    document = parsed(disputed.policy_version)
    statement = Statement.objects.create(
        customer_id=disputed.customer_id, policy_id=disputed.policy_id, policy_version=disputed.policy_version,
        period_key=disputed.period_key, period_start=disputed.period_start, period_end=disputed.period_end,
        as_of=today, sequence=sequence, kind=Statement.Kind.MANUAL, currency=disputed.currency,
        basis_minor=0, earned_minor=before + amount, previously_settled_minor=before, amount_minor=amount,
        state=Statement.State.APPROVED, due_date=today + timedelta(days=document.settlement.due_days),
        explanation=manual_explanation(
            customer_code=disputed.customer.code,
            policy={"code": disputed.policy.code, "name": disputed.policy.name,
                    "version": disputed.policy_version.number},
            period={"key": disputed.period_key, "start": disputed.period_start.isoformat(),
                    "end": disputed.period_end.isoformat()},
            dispute_id=dispute.pk, disputed_statement=disputed.pk, amount_minor=amount,
            reason=dispute.proposal_reason, proposed_by=_name(dispute.proposed_by), approved_by=_name(approver),
            previously_settled_minor=before,
        ),
    )
    entries_post(postings=[Posting(
        EntryKind.SETTLEMENT, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE, amount, f"statement:{statement.pk}:settle",
        today, customer_id=statement.customer_id, policy_id=statement.policy_id, period_key=statement.period_key,
        statement_id=statement.pk, reason=f"manual adjustment, dispute {dispute.pk}",
    )], actor=approver)
    audit_record(actor=approver, action="statement.manual_create", object_type="statement", object_id=statement.pk,
                 data={"dispute": dispute.pk, "amount_minor": amount})
    return statement


def dispute_confirm(*, dispute_id: int, resolution: str, actor: Any) -> Dispute:
    """End the dispute with the figure confirmed: the statement goes back to approved."""
    require(actor, "dispute")
    if not resolution.strip():
        raise _error("resolution", "say how the dispute was resolved")
    with transaction.atomic():
        dispute = _dispute_for_update(dispute_id)
        if dispute.state == Dispute.State.RESOLVED:
            raise StateError(f"dispute {dispute.pk} is already resolved")
        _close_confirmed(dispute, resolution.strip(), actor)
        Statement.objects.filter(pk=dispute.statement_id, state=Statement.State.DISPUTED).update(
            state=Statement.State.APPROVED)
        audit_record(actor=actor, action="statement.resolve", object_type="statement", object_id=dispute.statement_id,
                     data={"from": "disputed", "to": "approved", "resolution": resolution, "dispute": dispute.pk})
        dispute.refresh_from_db()
        _answered_notice(dispute)
        return dispute


def _close_confirmed(dispute: Dispute, resolution: str, actor: Any) -> None:
    Dispute.objects.filter(pk=dispute.pk).update(
        state=Dispute.State.RESOLVED, outcome=Dispute.Outcome.CONFIRMED, resolution=resolution,
        resolved_by=actor if getattr(actor, "pk", None) else None, resolved_at=timezone.now())
    _note(dispute, "resolved", resolution, actor)


def dispute_close_for_statement(*, statement_id: int, resolution: str, actor: Any) -> None:
    """Called by ``statement_resolve`` (CLI, API): the statement's open dispute ends confirmed."""
    dispute = Dispute.objects.select_for_update().filter(statement_id=statement_id).exclude(
        state=Dispute.State.RESOLVED).first()
    if dispute is not None:
        _close_confirmed(dispute, resolution, actor)
