"""Two settlements of the same period at once: exactly one set of statements and entries.

On PostgreSQL the runs happen in two threads with their own connections; the row locks on
``SettlementLock`` make the second wait and then find nothing new. SQLite serialises writers
with ``BEGIN IMMEDIATE``; the same test runs there too.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connections

from fanli.ledger.models import LedgerEntry
from fanli.rebates.models import Run, Statement
from fanli.rebates.services import policy_apply, settlement_run
from tests.builders import catalog, customer, invoice

POLICY = """
code: dist-q
name: Distributor quarterly
valid_from: 2026-01-01
settlement: {period: quarter}
calculation: {type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2}]}
"""


@pytest.mark.django_db(transaction=True)
def test_two_settlements_started_at_once_post_exactly_one_set_of_entries():
    catalog()
    policy_apply(text=POLICY, actor=None)
    for index in range(40):
        invoice(customer(f"C{index:03d}"), date(2026, 2, 1 + index % 20), ("TEA-1", str(50_000 + index * 1_000)))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def settle() -> None:
        try:
            barrier.wait(timeout=10)
            settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=settle) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Run.objects.count() == 2
    assert sorted(Run.objects.values_list("summary__statements", flat=True)) == [0, 40]
    assert Statement.objects.count() == 40
    assert LedgerEntry.objects.count() == 40
    assert Statement.objects.filter(sequence=2).count() == 0
