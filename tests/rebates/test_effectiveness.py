"""Policy effectiveness: hand-computed tiers, cost, uplift, difference in differences and return."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fanli.rebates.effectiveness import Participant, Sales, measure, policy_effectiveness
from fanli.rebates.services import policy_apply
from tests.builders import catalog, credit_note, customer, invoice

POLICY = """
code: dist-q
name: 经销商季度阶梯返利
valid_from: 2025-01-01
eligibility: {kinds: [distributor], regions: [华东]}
settlement: {period: quarter}
calculation: {type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2}]}
"""


def test_measure_by_hand():
    participants = [Participant(1, 2, 150_000_00, 3_000_00), Participant(2, 1, 50_000_00, 500_00),
                    Participant(3, 1, 20_000_00, 200_00)]  # 3 is new: no sales a year earlier
    sales = {1: Sales(1, 160_000_00, 100_000_00), 2: Sales(2, 50_000_00, 50_000_00), 3: Sales(3, 20_000_00, 0),
             4: Sales(4, 55_000_00, 50_000_00), 5: Sales(5, 0, 10_000_00)}
    result = measure(participants, sales, [sales[4], sales[5], sales[1]])  # a participant is never a comparison
    assert (result.participants, result.paid, result.new_participants) == (3, 3, 1)
    assert result.tiers == [(1, 2), (2, 1)]
    assert result.tier_shares() == [(1, 2, Decimal("66.67")), (2, 1, Decimal("33.33"))]
    assert (result.rebate_minor, result.sales_minor, result.basis_minor) == (3_700_00, 230_000_00, 220_000_00)
    assert (result.cost_of_sales, result.cost_of_basis) == (Decimal("1.61"), Decimal("1.68"))  # 3,700 / 230,000
    # panel: customers 1 and 2, 210,000 now against 150,000 before: +40 %
    assert (result.panel.customers, result.panel.growth) == (2, Decimal("0.4"))
    # comparison: customers 4 and 5, 55,000 against 60,000: -8.33 %
    assert (result.comparison.customers, result.comparison.now_minor, result.comparison.before_minor) == (
        2, 55_000_00, 60_000_00)
    assert result.difference_points == Decimal("48.33")
    # expected without the policy: 150,000 * 55/60 = 137,500; incremental 210,000 - 137,500 = 72,500
    assert result.incremental_minor == 72_500_00
    assert result.return_per_yuan == Decimal("20.71")  # 72,500 / 3,500 (the panel's rebate)


def test_nothing_to_compare_gives_no_figure_rather_than_a_wrong_one():
    result = measure([Participant(1, None, 10_00, 0)], {1: Sales(1, 10_00, 0)}, [])
    assert (result.panel.growth, result.comparison.growth, result.difference_points) == (None, None, None)
    assert (result.incremental_minor, result.return_per_yuan, result.cost_of_sales) == (None, None, Decimal("0.00"))


@pytest.mark.django_db
def test_a_policy_measured_over_a_past_quarter_from_the_sales():
    catalog()
    policy_apply(text=POLICY, actor=None)
    big, small, outside, dealer = customer("D1"), customer("D2"), customer("D3"), customer("K1", kind="dealer")
    invoice(big, date(2025, 8, 1), ("TEA-1", "80000"))
    invoice(big, date(2026, 8, 1), ("TEA-1", "120000"))
    invoice(small, date(2025, 8, 1), ("TEA-1", "40000"))
    invoice(small, date(2026, 8, 1), ("TEA-1", "40000"))
    credit_note(small, date(2026, 8, 5), ("TEA-1", "10000"))  # returns count against the sales
    invoice(outside, date(2025, 8, 1), ("TEA-1", "50000"))
    invoice(dealer, date(2025, 8, 1), ("TEA-1", "999999"))  # another kind: not comparable, not counted
    from fanli.customers.models import Customer

    Customer.objects.filter(code="D3").update(status="suspended")  # left out, but not active: not comparable
    elsewhere = customer("D4", region="华南")  # left out by the region rule: the comparison group
    invoice(elsewhere, date(2025, 8, 2), ("TEA-1", "20000"))
    invoice(elsewhere, date(2026, 8, 2), ("TEA-1", "22000"))
    report = policy_effectiveness("dist-q", "2026-Q3", today=date(2026, 11, 24))
    result = report.result
    assert (report.period.key, report.year_before.key) == ("2026-Q3", "2025-Q3")
    assert (report.comparison_kinds, report.widened) == (["distributor"], False)
    # D1 reaches tier 2 (120,000: 2 % = 2,400), D2 tier 1 (30,000 net of the return: 1 % = 300)
    assert (result.participants, result.tiers, result.rebate_minor) == (2, [(1, 1), (2, 1)], 2_700_00)
    assert (result.panel.now_minor, result.panel.before_minor) == (150_000_00, 120_000_00)  # +25 %
    assert (result.comparison.customers, result.comparison.now_minor, result.comparison.before_minor) == (
        1, 22_000_00, 20_000_00)  # +10 %
    assert result.difference_points == Decimal("15.00")
    # expected without the policy: 120,000 * 1.1 = 132,000; incremental 18,000; per yuan: 18,000 / 2,700
    assert (result.incremental_minor, result.return_per_yuan) == (18_000_00, Decimal("6.67"))
    assert [row["code"] for row in report.rows] == ["D1", "D2"] and report.rows[0]["growth"] == Decimal("50.00")


@pytest.mark.django_db
def test_a_policy_for_every_customer_of_a_kind_is_compared_with_the_other_kinds():
    catalog()
    policy_apply(text=POLICY.replace("eligibility: {kinds: [distributor], regions: [华东]}",
                                     "eligibility: {kinds: [distributor]}"), actor=None)
    invoice(customer("D1"), date(2026, 8, 1), ("TEA-1", "1000"))
    dealer = customer("K1", kind="dealer")
    invoice(dealer, date(2025, 8, 1), ("TEA-1", "400"))
    invoice(dealer, date(2026, 8, 1), ("TEA-1", "300"))
    report = policy_effectiveness("dist-q", "2026-Q3", today=date(2026, 11, 24))
    assert report.widened and "dealer" in report.comparison_kinds and "member" not in report.comparison_kinds
    assert (report.result.comparison.customers, report.result.comparison.growth) == (1, Decimal("-0.25"))
    assert report.result.new_participants == 1 and report.result.incremental_minor is None  # no panel: no figure


def test_calculation_notes_read_in_the_readers_language_with_their_figures():
    from django.utils import translation

    from fanli.rebates.explain import note_text

    with translation.override("zh-hans"):
        assert note_text("growth 12.50% on last year's 80000.00") == "较上年 ¥80,000.00 增长 12.50%"
        assert note_text("12.34 is below the minimum payout of 50: nothing is paid") == "¥12.34 低于最低兑付额 ¥50.00：不予兑付"
        assert note_text("something new") == "something new"
    with translation.override("en"):
        assert note_text("growth 12.50% on last year's 80000.00") == "growth 12.50% on last year's ¥80,000.00"


@pytest.mark.django_db
def test_the_what_if_and_effectiveness_commands_print_their_figures_and_store_nothing(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from fanli.rebates.models import PolicyVersion

    catalog()
    policy_apply(text=POLICY, actor=None)
    big = customer("D1")
    invoice(big, date(2025, 8, 1), ("TEA-1", "80000"))
    invoice(big, date(2026, 8, 1), ("TEA-1", "120000"))
    changed = tmp_path / "dist-q.yaml"
    changed.write_text(POLICY.replace("rate_percent: 2}", "rate_percent: 2.5}"), encoding="utf-8")
    out = StringIO()
    call_command("policy", "what-if", str(changed), "2026-Q3", stdout=out)
    assert out.getvalue().splitlines()[0] == ("2026-Q3: this file pays ¥3,000.00 to 1 customer(s); v1 in force pays "
                                              "¥2,400.00; difference ¥600.00; 1 gain, 0 lose")
    assert PolicyVersion.objects.count() == 1
    out = StringIO()
    call_command("policy", "effectiveness", "dist-q", "2026-Q3", stdout=out)
    assert out.getvalue().splitlines()[:3] == [
        "dist-q v1 2026-Q3 against 2025-Q3",
        "participants 1 (1 with a rebate), rebate ¥2,400.00, 2.00 % of their sales, 2.00 % of the basis",
        "  tier 2: 1 (100.00 %)"]
