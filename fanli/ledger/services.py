"""Ledger writes. Every posting is a positive amount from a debit to a credit account.

``entry_post`` turns a signed movement into one balanced row (a negative amount swaps the
accounts), and relies on the unique ``idempotency_key`` so that posting the same thing twice
is refused by the database, not by a prior read. ``entry_reverse`` undoes an entry with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from fanli.common.services import audit_record

from .exceptions import LedgerError
from .models import Account, EntryKind, LedgerEntry


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


def entries_post(*, postings: list[Posting], actor: Any = None) -> list[LedgerEntry]:
    """Post many entries in one statement; all or nothing. Zero amounts are skipped."""
    rows = []
    for posting in postings:
        p = posting.oriented()
        if p is None:
            continue
        rows.append(
            LedgerEntry(
                effective_date=p.effective_date, kind=p.kind, debit_account=p.debit, credit_account=p.credit,
                amount_minor=p.amount_minor, customer_id=p.customer_id, policy_id=p.policy_id,
                period_key=p.period_key, statement_id=p.statement_id, payout_id=p.payout_id,
                reason=p.reason, idempotency_key=p.idempotency_key, actor=actor if getattr(actor, "pk", None) else None,
            )
        )
    if not rows:
        return []
    try:
        with transaction.atomic():
            return LedgerEntry.objects.bulk_create(rows, batch_size=500)
    except IntegrityError as exc:
        raise LedgerError(
            "a ledger entry with the same idempotency key exists already: nothing was posted",
            details={"keys": [r.idempotency_key for r in rows[:20]]},
            code="duplicate_posting",
        ) from exc


def entry_reverse(*, entry: LedgerEntry, reason: str, actor: Any, effective_date: date) -> LedgerEntry:
    """Post the opposite of ``entry`` (once) with a reason code."""
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


__all__ = ["Account", "EntryKind", "Posting", "entries_post", "entry_reverse"]
