"""Settlement scenarios from DOMAIN.md §3, end to end through the database."""

from __future__ import annotations

from datetime import date

import pytest

from fanli.ledger.models import Account, LedgerEntry
from fanli.ledger.selectors import account_balances, trial_balance
from fanli.rebates.models import Run, Statement
from fanli.rebates.services import accrual_run, policy_apply, settlement_run
from tests.builders import catalog, credit_note, customer, invoice

DIST_TIERS = """
code: dist-q
name: Distributor quarterly tiers
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
eligibility: {kinds: [distributor]}
calculation:
  type: tiers
  mode: retroactive
  tiers:
    - {from: 0, rate_percent: 1}
    - {from: 100000, rate_percent: 2}
    - {from: 300000, rate_percent: 3}
"""

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    products = catalog()
    policy_apply(text=DIST_TIERS, actor=None)
    return products


def test_a_return_after_settlement_is_clawed_back_in_the_next_run_and_q1_never_changes(shop):
    acme = customer("C001")
    march = invoice(acme, date(2026, 3, 20), ("TEA-1", "200000"))
    invoice(acme, date(2026, 2, 10), ("TEA-1", "110000"))

    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    q1 = Statement.objects.get()
    assert (q1.kind, q1.basis_minor, q1.earned_minor, q1.amount_minor) == ("settlement", 31_000_000, 930_000, 930_000)
    assert q1.due_date == date(2026, 4, 30)

    credit_note(acme, date(2026, 4, 15), ("TEA-1", "20000"), reverses=march)
    settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 7, 1))

    statements = list(Statement.objects.order_by("id"))
    assert len(statements) == 2
    first, clawback = statements
    assert (first.amount_minor, first.earned_minor, first.state) == (930_000, 930_000, "draft")
    assert (clawback.period_key, clawback.kind, clawback.sequence) == ("2026-Q1", "adjustment", 2)
    assert (clawback.earned_minor, clawback.previously_settled_minor, clawback.amount_minor) == (580_000, 930_000, -350_000)
    assert clawback.due_date == date(2026, 7, 30)
    assert account_balances(customer_id=acme.pk)[Account.REBATES_PAYABLE] == 580_000


def test_settling_the_same_period_twice_posts_nothing_new(shop):
    acme = customer("C001")
    invoice(acme, date(2026, 1, 5), ("TEA-1", "350000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    entries = LedgerEntry.objects.count()
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 3))
    assert Statement.objects.count() == 1
    assert Statement.objects.get().amount_minor == 1_050_000
    assert LedgerEntry.objects.count() == entries == 1
    assert Run.objects.count() == 2
    assert sum(trial_balance().values()) == 0


def test_a_period_cannot_be_settled_before_it_ends(shop):
    from fanli.common.exceptions import StateError

    with pytest.raises(StateError, match="2026-Q1 ends on 2026-03-31"):
        settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 3, 31))
    assert Run.objects.count() == 0


def test_month_end_accrual_posts_the_change_in_estimate_and_settlement_releases_it(shop):
    acme = customer("C001")
    invoice(acme, date(2026, 1, 10), ("TEA-1", "62000"))
    accrual_run(month_key="2026-01", actor=None, today=date(2026, 2, 1))
    # 62,000 in 31 of 90 days projects to 180,000 for the quarter: 2 % = 3,600.00
    assert account_balances(customer_id=acme.pk)[Account.ACCRUED_REBATES] == 360_000
    accrual_run(month_key="2026-01", actor=None, today=date(2026, 2, 2))
    assert LedgerEntry.objects.count() == 1
    invoice(acme, date(2026, 2, 10), ("TEA-1", "300000"))
    accrual_run(month_key="2026-02", actor=None, today=date(2026, 3, 1))
    # 362,000 in 59 days projects to 552,203.38; 3 % = 16,566.10
    assert account_balances(customer_id=acme.pk)[Account.ACCRUED_REBATES] == 1_656_610
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    balances = account_balances(customer_id=acme.pk)
    assert balances[Account.ACCRUED_REBATES] == 0
    assert balances[Account.REBATES_PAYABLE] == 1_086_000
    assert balances[Account.REBATE_EXPENSE] == 1_086_000


def test_an_estimate_for_a_customer_who_ends_the_period_with_nothing_is_released_at_settlement(shop):
    acme = customer("C001")
    sale = invoice(acme, date(2026, 1, 10), ("TEA-1", "50000"))
    accrual_run(month_key="2026-01", actor=None, today=date(2026, 2, 1))
    assert account_balances(customer_id=acme.pk)[Account.ACCRUED_REBATES] > 0
    credit_note(acme, date(2026, 2, 1), ("TEA-1", "50000"), reverses=sale)
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert Statement.objects.count() == 0
    balances = account_balances(customer_id=acme.pk)
    assert (balances[Account.ACCRUED_REBATES], balances[Account.REBATE_EXPENSE]) == (0, 0)
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    assert LedgerEntry.objects.count() == 2


def test_a_late_return_is_clawed_back_even_when_the_customer_changed_kind_after_the_period(shop):
    from fanli.customers.models import Customer

    acme = customer("C001")
    sale = invoice(acme, date(2026, 3, 1), ("TEA-1", "310000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    Customer.objects.filter(pk=acme.pk).update(kind="dealer")  # no longer eligible for new periods
    credit_note(acme, date(2026, 4, 15), ("TEA-1", "20000"), reverses=sale)
    settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 7, 1))
    clawback = Statement.objects.get(sequence=2)
    assert clawback.amount_minor == -350_000
    assert clawback.explanation["eligibility"] == (
        "settled for this period before (kind dealer is not among distributor now)")


def test_adjustments_use_the_version_their_period_was_settled_with_and_new_periods_the_new_one(shop):
    acme = customer("C001")
    sale = invoice(acme, date(2026, 3, 1), ("TEA-1", "310000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    v2 = policy_apply(text=DIST_TIERS.replace("rate_percent: 3}", "rate_percent: 4}"), actor=None).version
    assert v2.number == 2
    credit_note(acme, date(2026, 4, 15), ("TEA-1", "10000"), reverses=sale)
    invoice(acme, date(2026, 5, 1), ("TEA-1", "300000"))
    settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 7, 1))
    q1_adjustment = Statement.objects.get(period_key="2026-Q1", sequence=2)
    q2 = Statement.objects.get(period_key="2026-Q2")
    assert (q1_adjustment.policy_version.number, q1_adjustment.amount_minor) == (1, 900_000 - 930_000)
    assert (q2.policy_version.number, q2.amount_minor) == (2, 1_200_000)
    assert q1_adjustment.explanation["policy"]["version"] == 1
