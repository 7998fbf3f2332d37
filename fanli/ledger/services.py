"""Ledger writes. Every posting is a positive amount from a debit to a credit account.

``entries_post`` turns signed movements into balanced rows (a negative amount swaps the
accounts), and relies on the unique ``idempotency_key`` so that posting the same thing twice
is refused by the database, not by a prior read. ``entry_reverse`` undoes an entry with a reason.
``credit_take`` consumes rebate credit from a customer's lots, ``credit_expire`` ends what is
left of lots past their last day. What pays statements and applies the policies' limits to
credit use lives with the statements, in ``fanli.rebates.payouts``; this module knows neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from fanli.accounts.controls import require
from fanli.common.bulk import rows_insert
from fanli.common.services import audit_record

from .exceptions import LedgerError
from .models import Account, CreditLot, CreditUse, EntryKind, LedgerEntry, OrderOffset, Payout
from .selectors import lot_remaining


@dataclass(frozen=True)
class Posting:
    kind: str
    debit: str
    credit: str
    amount_minor: int
    idempotency_key: str
    effective_date: date
    customer_id: int | None = None
    policy_id: int | None = None
    period_key: str = ""
    statement_id: int | None = None
    payout_id: int | None = None
    reason: str = ""

    def oriented(self) -> Posting | None:
        """The same movement with a positive amount (accounts swapped if negative); None if zero."""
        if self.amount_minor == 0:
            return None
        if self.amount_minor > 0:
            return self
        return Posting(
            self.kind, self.credit, self.debit, -self.amount_minor, self.idempotency_key, self.effective_date,
            self.customer_id, self.policy_id, self.period_key, self.statement_id, self.payout_id, self.reason,
        )


_ENTRY_FIELDS = (
    "effective_date", "recorded_at", "kind", "debit_account", "credit_account", "amount_minor", "currency",
    "customer", "policy", "period_key", "statement", "payout", "reason", "idempotency_key", "actor",
)


def entries_post(*, postings: list[Posting], actor: Any = None) -> list[Posting]:
    """Post many entries in one statement; all or nothing. Zero amounts are skipped.

    Answers the postings written, each oriented (positive amount, accounts swapped for a
    negative one), so each row balances by construction; the database checks the amount is
    positive and the accounts differ. The rows go in set-wise (``COPY`` on PostgreSQL,
    ``executemany`` elsewhere): a settlement posts thousands at once. A key posted before makes
    the database refuse the whole set, answered as ``LedgerError`` ``duplicate_posting``.
    """
    oriented = [p for p in (posting.oriented() for posting in postings) if p is not None]
    if not oriented:
        return []
    operations = connection.ops
    adapt_date = operations.adapt_datefield_value
    recorded_at = operations.adapt_datetimefield_value(timezone.now())
    actor_id = getattr(actor, "pk", None)
    currency = LedgerEntry._meta.get_field("currency").default
    rows = [
        (adapt_date(p.effective_date), recorded_at, str(p.kind), str(p.debit), str(p.credit), p.amount_minor, currency,
         p.customer_id, p.policy_id, p.period_key, p.statement_id, p.payout_id, p.reason, p.idempotency_key, actor_id)
        for p in oriented
    ]
    try:
        with transaction.atomic():
            rows_insert(LedgerEntry, _ENTRY_FIELDS, rows)
    except IntegrityError as exc:
        raise LedgerError(
            "a ledger entry with the same idempotency key exists already: nothing was posted",
            details={"keys": [p.idempotency_key for p in oriented[:20]]},
            code="duplicate_posting",
        ) from exc
    return oriented


def entry_reverse(*, entry: LedgerEntry, reason: str, actor: Any, effective_date: date) -> LedgerEntry:
    """Post the opposite of ``entry`` (once) with a reason code."""
    require(actor, "settle")
    if not reason.strip():
        raise LedgerError("a reversal needs a reason", code="reason_required")
    if entry.kind == EntryKind.REVERSAL:
        raise LedgerError("a reversal is itself not reversed; post a new entry instead", code="invalid_reversal")
    with transaction.atomic():
        try:
            reversal = LedgerEntry.objects.create(
                effective_date=effective_date, kind=EntryKind.REVERSAL, debit_account=entry.credit_account,
                credit_account=entry.debit_account, amount_minor=entry.amount_minor, customer_id=entry.customer_id,
                policy_id=entry.policy_id, period_key=entry.period_key, statement_id=entry.statement_id,
                payout_id=entry.payout_id, reverses=entry, reason=reason,
                idempotency_key=f"reversal:{entry.pk}", actor=actor if getattr(actor, "pk", None) else None,
            )
        except IntegrityError as exc:
            raise LedgerError(f"entry {entry.pk} is already reversed", code="already_reversed") from exc
        audit_record(actor=actor, action="ledger.reverse", object_type="ledger_entry", object_id=entry.pk,
                     data={"reason": reason, "reversal_id": reversal.pk})
    return reversal


# ---------------------------------------------------------------- credit lots


def credit_take(customer_id: int, amount_minor: int, *, on: date, kind: str, order_offset: OrderOffset | None = None,
                 payout: Payout | None = None) -> None:
    """Consume ``amount_minor`` from the customer's lots, earliest expiry first (no expiry last)."""
    lots = list(
        CreditLot.objects.select_for_update().filter(customer_id=customer_id).exclude(expires_on__lt=on)
        .order_by(F("expires_on").asc(nulls_last=True), "id")
    )
    remaining = lot_remaining([lot.pk for lot in lots])
    uses = []
    for lot in lots:
        if amount_minor <= 0:
            break
        take = min(remaining[lot.pk], amount_minor)
        if take > 0:
            uses.append(CreditUse(lot=lot, kind=kind, amount_minor=take, order_offset=order_offset, payout=payout,
                                  effective_date=on))
            amount_minor -= take
    if amount_minor > 0:
        raise LedgerError("not enough rebate credit", code="insufficient_credit")
    CreditUse.objects.bulk_create(uses)


def credit_expire(*, today: date, actor: Any) -> int:
    """Expire what is left of every lot whose last day has passed; return the amount expired.

    Expired credit leaves the rebate account and reduces the rebate expense (breakage); each
    lot expires once (a unique constraint), so running this again posts nothing.
    """
    require(actor, "settle")
    with transaction.atomic():
        lots = list(CreditLot.objects.select_for_update().filter(expires_on__lt=today).exclude(uses__kind="expiry"))
        remaining = lot_remaining([lot.pk for lot in lots])
        uses, postings = [], []
        for lot in lots:
            left = remaining[lot.pk]
            if left <= 0:
                continue
            uses.append(CreditUse(lot=lot, kind=CreditUse.Kind.EXPIRY, amount_minor=left, effective_date=today))
            postings.append(Posting(EntryKind.CREDIT_EXPIRY, Account.REBATE_ACCOUNT, Account.REBATE_EXPENSE, left,
                                    f"expiry:{lot.pk}", today, customer_id=lot.customer_id,
                                    reason=f"credit from payout {lot.payout_id} expired on {lot.expires_on}"))
        CreditUse.objects.bulk_create(uses)
        entries_post(postings=postings, actor=actor)
        total = sum(p.amount_minor for p in postings)
        if postings:
            audit_record(actor=actor, action="credit.expire", object_type="credit_lot", object_id="",
                         data={"lots": len(postings), "amount_minor": total, "today": today.isoformat()})
    return total
