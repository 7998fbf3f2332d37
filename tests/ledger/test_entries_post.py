"""Posting entries set-wise keeps the ledger's guarantees: each row balances, zero is skipped, a
key is posted once (a second posting of any key posts nothing of its set), and the database
itself refuses an unbalanced row."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fanli.common.bulk import ids_reserve, rows_insert
from fanli.ledger.exceptions import LedgerError
from fanli.ledger.models import Account, EntryKind, LedgerEntry
from fanli.ledger.selectors import trial_balance
from fanli.ledger.services import Posting, entries_post
from tests.builders import customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 4, 2)


def _posting(key: str, amount: int, **extra) -> Posting:
    return Posting(EntryKind.SETTLEMENT, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE, amount, key, DAY, **extra)


def test_entries_are_written_oriented_with_every_field_and_zero_amounts_are_skipped(staff_user):
    acme = customer("C001")
    posted = entries_post(postings=[
        _posting("a", 1_500, customer_id=acme.pk, period_key="2026-Q1", reason="settlement #1"),
        _posting("b", 0, customer_id=acme.pk),
        _posting("c", -700, customer_id=acme.pk, reason="clawback"),
    ], actor=staff_user)

    assert [(p.idempotency_key, p.debit, p.credit, p.amount_minor) for p in posted] == [
        ("a", Account.REBATE_EXPENSE, Account.REBATES_PAYABLE, 1_500),
        ("c", Account.REBATES_PAYABLE, Account.REBATE_EXPENSE, 700),
    ]
    rows = list(LedgerEntry.objects.order_by("id").values_list(
        "idempotency_key", "kind", "debit_account", "credit_account", "amount_minor", "currency", "customer_id",
        "period_key", "reason", "effective_date", "actor_id"))
    assert rows == [
        ("a", "settlement", "rebate_expense", "rebates_payable", 1_500, "CNY", acme.pk, "2026-Q1", "settlement #1",
         DAY, staff_user.pk),
        ("c", "settlement", "rebates_payable", "rebate_expense", 700, "CNY", acme.pk, "", "clawback", DAY,
         staff_user.pk),
    ]
    recorded = LedgerEntry.objects.values_list("recorded_at", flat=True).first()
    assert recorded is not None and abs((timezone.now() - recorded).total_seconds()) < 60
    assert sum(trial_balance().values()) == 0
    assert entries_post(postings=[_posting("d", 0)]) == []


def test_a_key_posted_before_posts_nothing_of_the_second_set():
    entries_post(postings=[_posting("statement:1:settle", 100)])

    with pytest.raises(LedgerError) as refused:
        entries_post(postings=[_posting("statement:2:settle", 200), _posting("statement:1:settle", 100)])

    assert refused.value.code == "duplicate_posting"
    assert list(LedgerEntry.objects.values_list("idempotency_key", "amount_minor")) == [("statement:1:settle", 100)]


@pytest.mark.parametrize(("amount", "debit", "credit"), [
    (0, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE),
    (-5, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE),
    (5, Account.CASH, Account.CASH),
])
def test_the_database_refuses_an_entry_that_does_not_balance_by_construction(amount, debit, credit):
    fields = ("effective_date", "recorded_at", "kind", "debit_account", "credit_account", "amount_minor", "currency",
              "period_key", "reason", "idempotency_key")
    row = (connection.ops.adapt_datefield_value(DAY), connection.ops.adapt_datetimefield_value(timezone.now()),
           "settlement", debit, credit, amount, "CNY", "", "", "raw")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(LedgerEntry, fields, [row])
    assert LedgerEntry.objects.count() == 0


def test_reserved_ids_follow_every_id_ever_used_and_take_the_rows_written_with_them():
    entries_post(postings=[_posting("first", 1)])
    first = LedgerEntry.objects.get().pk
    with transaction.atomic():
        ids = ids_reserve(LedgerEntry, 3)
    assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > first
    LedgerEntry.objects.all().delete()  # ids are never reused, even after a row is gone
    with transaction.atomic():
        again = ids_reserve(LedgerEntry, 1)
    assert again[0] > first
    assert ids_reserve(LedgerEntry, 0) == []
