"""Two credit uses with one order reference at once: the second answers the first's offset when
the order is the same, a conflict when it differs; never a database error, never two offsets.

The uses run in two threads with their own connections, as in the settlement concurrency test.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from django.db import connections

from fanli.common.exceptions import Conflict
from fanli.ledger.models import CreditUse, LedgerEntry, OrderOffset
from fanli.ledger.selectors import customer_balances
from fanli.rebates.models import Statement
from fanli.rebates.payouts import payout_record, rebate_credit_use
from fanli.rebates.services import policy_apply, settlement_run, statement_approve
from tests.builders import catalog, customer, invoice

POLICY = """
code: p-credit
name: p-credit
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
calculation: {type: flat_rate, rate_percent: 10}
payout: {form: rebate_account}
"""


def _customer_with_credit() -> int:
    """C01 with 1,000.00 of rebate-account credit."""
    catalog()
    policy_apply(text=POLICY, actor=None)
    buyer = customer("C01")
    invoice(buyer, date(2026, 1, 15), ("RICE-1", "10000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    statement = statement_approve(statement_id=Statement.objects.get().pk, actor=None, on=date(2026, 4, 2))
    payout_record(statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 2))
    assert customer_balances(buyer.pk)["rebate_account_minor"] == 100_000
    return buyer.pk


def _two_at_once(calls: list[dict[str, Any]]) -> tuple[list[OrderOffset], list[BaseException]]:
    barrier = threading.Barrier(len(calls))
    results: list[OrderOffset] = []
    errors: list[BaseException] = []

    def use(arguments: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(rebate_credit_use(effective_date=date(2026, 4, 3), actor=None, **arguments))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use, args=(arguments,)) for arguments in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_identical_credit_uses_at_once_both_answer_the_one_offset_posted_once():
    buyer = _customer_with_credit()
    same = {"customer_id": buyer, "order_reference": "SO-1", "line_amounts_minor": [30_000, 10_000],
            "requested_minor": 25_000}

    results, errors = _two_at_once([same, same])

    assert errors == []
    assert len({order.pk for order in results}) == 1 and len(results) == 2
    assert OrderOffset.objects.count() == 1
    assert [order.offset_minor for order in results] == [25_000, 25_000]
    assert list(CreditUse.objects.filter(kind="order").values_list("amount_minor", flat=True)) == [25_000]
    assert LedgerEntry.objects.filter(kind="order_offset").count() == 1
    assert customer_balances(buyer)["rebate_account_minor"] == 75_000


@pytest.mark.django_db(transaction=True)
def test_two_different_credit_uses_of_one_order_reference_at_once_give_one_offset_and_one_conflict():
    buyer = _customer_with_credit()
    first = {"customer_id": buyer, "order_reference": "SO-1", "line_amounts_minor": [40_000], "requested_minor": 20_000}
    other = {**first, "requested_minor": 30_000}

    results, errors = _two_at_once([first, other])

    assert len(results) == 1
    assert [(type(error), error.code) for error in errors] == [(Conflict, "already_done")]
    assert errors[0].message == "order SO-1 already has a different offset"
    assert OrderOffset.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="order_offset").count() == 1
    assert customer_balances(buyer)["rebate_account_minor"] == 100_000 - results[0].offset_minor
