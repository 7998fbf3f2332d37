"""A large settlement read in parts at once (PostgreSQL): the same figures as one whole read,
and never where the parts could miss the caller's own uncommitted lines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from fanli.common import split_reads
from fanli.common.revisions import revisions_bump_sales
from fanli.rebates.models import Statement
from fanli.rebates.selectors import aggregate_sales
from fanli.rebates.services import policy_apply, settlement_run
from tests.builders import catalog, credit_note, customer, invoice

POLICIES = [
    """
code: acme-tiers
name: Acme quarterly tiers
valid_from: 2025-01-01
settlement: {period: quarter, due_days: 30}
scope: {include: {brands: [acme]}}
campaigns: [{name: spring, from: 2026-02-10, until: 2026-02-20, extra_rate_percent: 1}]
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 3000, rate_percent: 2}]
""",
    """
code: growth
name: Growth on last year
valid_from: 2025-01-01
settlement: {period: quarter, due_days: 30}
metric: growth
growth: {applies_to: whole, no_prior_year: zero_baseline}
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 10, rate_percent: 2}]
""",
    """
code: paid-basis
name: Paid share only
valid_from: 2025-01-01
settlement: {period: quarter, due_days: 30}
basis_source: paid
calculation: {type: flat_rate, rate_percent: 3}
""",
]

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="parts run on PostgreSQL only")


def _sales() -> dict[str, int]:
    """Lines on every day of 2026-Q1 (across the cuts between parts and the campaign) and of
    2025-Q1 (the growth policy's prior year), part paid invoices and returns among them."""
    products = {sku: product.pk for sku, product in catalog().items()}
    customers = [customer(f"C{n:02d}") for n in range(6)]
    skus = ["TEA-1", "COLA-1", "RICE-1"]
    for year in (2025, 2026):
        day = date(year, 1, 1)
        n = 0
        while day <= date(year, 3, 31):
            who = customers[n % len(customers)]
            paid = "33.33" if n % 4 == 0 else None
            document = invoice(who, day, (skus[n % 3], f"{100 + n % 7}.10"), (skus[(n + 1) % 3], "57.77"), paid=paid)
            if n % 11 == 0:
                credit_note(who, day, (skus[n % 3], "20.00"), reverses=document)
            day += timedelta(days=1)
            n += 1
    return products


def _statements() -> list[tuple[str, str, int, int]]:
    return sorted(Statement.objects.values_list("policy__code", "customer__code", "basis_minor", "amount_minor"))


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_settlement_read_in_parts_has_the_figures_of_a_whole_read(settings, monkeypatch):
    products = _sales()
    parts_run: list[int] = []
    run_parts = split_reads.run_parts
    monkeypatch.setattr(split_reads, "run_parts", lambda queries: parts_run.append(len(queries)) or run_parts(queries))
    for text in POLICIES:
        policy_apply(text=text, actor=None)
    classes = {1: [products["TEA-1"], products["RICE-1"]], 2: [products["COLA-1"]]}
    segments = [(date(2026, 2, 10), date(2026, 2, 20))]
    quarter = {"start": date(2026, 1, 1), "end": date(2026, 3, 31), "classes": classes, "segments": segments}

    settings.FANLI_READ_PARTS = 1
    whole = sorted(aggregate_sales(**quarter))
    whole_paid = sorted(aggregate_sales(**quarter, paid_basis=True))
    first = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    expected = _statements()
    assert parts_run == []

    settings.FANLI_READ_PARTS = 3
    settings.FANLI_READ_PARTS_FROM_LINES = 0
    with transaction.atomic():
        assert split_reads.parts_for("sales_salesline") == 3
        assert sorted(aggregate_sales(**quarter)) == whole
        assert sorted(aggregate_sales(**quarter, paid_basis=True)) == whole_paid
    assert {segment for _, _, segment, _, _ in whole} == {0, 1}  # the campaign's lines are among them
    assert whole_paid != whole  # part paid invoices count less on the paid basis
    assert parts_run == [3, 3]

    # Every period settled is read again, now in parts: the same amounts, so nothing new is written.
    revisions_bump_sales([date(2026, 2, 1), date(2025, 2, 1)])
    again = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    assert first.summary["statements"] == len(expected) > 6
    assert {item["policy"] for item in again.summary["rechecked"]} == {"acme-tiers", "growth", "paid-basis"}
    assert again.summary["statements"] == 0
    assert parts_run == [3, 3, 3, 3, 3]  # this quarter, its paid share, last year's quarter
    assert _statements() == expected
    assert {code for code, _, _, _ in expected} == {"acme-tiers", "growth", "paid-basis"}


@needs_postgresql
@pytest.mark.django_db
def test_inside_a_transaction_someone_else_opened_the_read_stays_whole_and_sees_its_lines(settings):
    """The parts' connections could not see lines this transaction wrote and did not commit."""
    tea = catalog()["TEA-1"]
    who = customer("C01")
    invoice(who, date(2026, 2, 1), ("TEA-1", "500.00"))  # not committed: the test's transaction holds it
    settings.FANLI_READ_PARTS = 2
    settings.FANLI_READ_PARTS_FROM_LINES = 0
    with transaction.atomic():
        assert split_reads.parts_for("sales_salesline") == 1
        rows = aggregate_sales(start=date(2026, 1, 1), end=date(2026, 3, 31), classes={1: [tea.pk]}, segments=[])
    assert rows == [(who.pk, 1, 0, 50_000, 1_000)]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_small_sales_table_is_read_whole(settings):
    settings.FANLI_READ_PARTS = 2
    settings.FANLI_READ_PARTS_FROM_LINES = 2_000_000
    assert split_reads.parts_for("sales_salesline") == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own case")
@pytest.mark.django_db
def test_sqlite_reads_whole(settings):
    settings.FANLI_READ_PARTS_FROM_LINES = 0
    assert split_reads.parts_for("sales_salesline") == 1
