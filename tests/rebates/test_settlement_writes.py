"""A settlement writes its statements and entries set-wise: the rows are exactly what the
model would have written (every field, the explanation as the JSON text Django stores), and
each statement's entries point at it by the id reserved for it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection

from fanli.ledger.models import LedgerEntry
from fanli.rebates.models import Statement
from fanli.rebates.services import accrual_run, policy_apply, settlement_run
from tests.builders import catalog, credit_note, customer, invoice

from .test_settlement_scenarios import DIST_TIERS

pytestmark = pytest.mark.django_db


def test_statements_and_their_entries_are_written_with_every_field_and_linked_by_id():
    catalog()
    policy_apply(text=DIST_TIERS, actor=None)
    acme, beta, gone = customer("C001"), customer("C002"), customer("C003")
    march = invoice(acme, date(2026, 3, 20), ("TEA-1", "200000"))
    invoice(acme, date(2026, 2, 10), ("TEA-1", "110000"))
    invoice(beta, date(2026, 1, 10), ("COLA-1", "5000"))
    invoice(gone, date(2026, 1, 11), ("RICE-1", "1000"))
    accrual_run(month_key="2026-03", actor=None, today=date(2026, 4, 1))
    first = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    credit_note(acme, date(2026, 4, 15), ("TEA-1", "20000"), reverses=march)
    second = settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 7, 1))

    rows = list(Statement.objects.order_by("id").values_list(
        "customer__code", "period_key", "sequence", "kind", "state", "currency", "basis_minor", "earned_minor",
        "previously_settled_minor", "amount_minor", "period_start", "period_end", "as_of", "due_date", "run_id"))
    assert rows == [
        ("C001", "2026-Q1", 1, "settlement", "draft", "CNY", 31_000_000, 930_000, 0, 930_000, date(2026, 1, 1),
         date(2026, 3, 31), date(2026, 3, 31), date(2026, 4, 30), first.pk),
        ("C002", "2026-Q1", 1, "settlement", "draft", "CNY", 500_000, 5_000, 0, 5_000, date(2026, 1, 1),
         date(2026, 3, 31), date(2026, 3, 31), date(2026, 4, 30), first.pk),
        ("C003", "2026-Q1", 1, "settlement", "draft", "CNY", 100_000, 1_000, 0, 1_000, date(2026, 1, 1),
         date(2026, 3, 31), date(2026, 3, 31), date(2026, 4, 30), first.pk),
        ("C001", "2026-Q1", 2, "adjustment", "draft", "CNY", 29_000_000, 580_000, 930_000, -350_000,
         date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 31), date(2026, 7, 30), second.pk),
    ]
    statements = list(Statement.objects.order_by("id"))
    assert len({s.created_at for s in statements[:3]}) == 1 and statements[0].created_at <= statements[3].created_at
    for statement in statements:
        entries = {e.idempotency_key: e for e in LedgerEntry.objects.filter(statement=statement)}
        settle = entries[f"statement:{statement.pk}:settle"]
        assert (settle.customer_id, settle.policy_id, settle.period_key, settle.amount_minor) == (
            statement.customer_id, statement.policy_id, statement.period_key, abs(statement.amount_minor))
        assert settle.reason == f"{statement.kind} #{statement.sequence}"
        assert set(entries) <= {f"statement:{statement.pk}:settle", f"statement:{statement.pk}:release"}
    releases = LedgerEntry.objects.filter(idempotency_key__endswith=":release").count()
    assert releases == 3  # the March accrual of each Q1 customer, released by their statements

    explanation = statements[3].explanation
    assert (explanation["customer"], explanation["amount_minor"], explanation["previously_settled_minor"]) == (
        "C001", -350_000, 930_000)
    assert explanation["previous_statements"] == [
        {"sequence": 1, "kind": "settlement", "as_of": "2026-03-31", "amount_minor": 930_000}]
    assert explanation["tier_table"] == [{"from": "0", "rate_percent": "1"}, {"from": "100000", "rate_percent": "2"},
                                         {"from": "300000", "rate_percent": "3"}]
    if connection.vendor == "sqlite":  # stored as the very text Django's JSONField writes
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, explanation FROM rebates_statement ORDER BY id")
            for pk, text in cursor.fetchall():
                assert text == json.dumps(Statement.objects.get(pk=pk).explanation)
