"""The worked examples of DOMAIN.md §3, reproduced exactly."""

from datetime import date
from decimal import Decimal as D

import pytest

from fanli.rebates.engine import Basis, CampaignTerms, Terms, TierSpec, calculate, project

THREE_TIERS = (TierSpec(D(0), D(1)), TierSpec(D(100000), D(2)), TierSpec(D(300000), D(3)))
DYNAMICS = (TierSpec(D(0), D(10)), TierSpec(D(1000), D(25)))


def tiers(mode, table=THREE_TIERS, **kw):
    return Terms(kind="tiers", mode=mode, tiers=table, **kw)


def test_retroactive_350000_pays_three_percent_on_everything():
    result = calculate(tiers("retroactive"), Basis(amount=D(350000)))
    assert result.amount_minor == 1_050_000
    assert result.tier_index == 2
    assert result.next_threshold is None


def test_incremental_350000_pays_each_band_its_own_rate():
    result = calculate(tiers("incremental"), Basis(amount=D(350000)))
    assert [b.amount for b in result.bands] == [D(1000), D(4000), D(1500)]
    assert result.amount_minor == 650_000


def test_basis_exactly_on_a_threshold_reaches_that_tier():
    result = calculate(tiers("retroactive"), Basis(amount=D(100000)))
    assert result.tier_index == 1
    assert result.amount_minor == 200_000


def test_just_below_a_threshold_stays_in_the_lower_tier_with_the_gap_shown():
    result = calculate(tiers("retroactive"), Basis(amount=D("99999.99")))
    assert result.tier_index == 0
    assert result.gap_to_next == D("0.01")
    assert result.amount_minor == 100_000  # 999.9999 rounds half-up to 1,000.00


@pytest.mark.parametrize(
    ("mode", "expected_minor"),
    [("incremental", 35_000), ("retroactive", 50_000), ("rolling", 60_000), ("total", 70_000)],
)
def test_dynamics_example_for_each_tier_mode(mode, expected_minor):
    assert calculate(tiers(mode, DYNAMICS), Basis(amount=D(2000))).amount_minor == expected_minor


def test_q1_clawback_after_a_return_is_3500():
    settled = calculate(tiers("retroactive"), Basis(amount=D(310000))).amount_minor
    after_return = calculate(tiers("retroactive"), Basis(amount=D(290000))).amount_minor
    assert (settled, after_return, after_return - settled) == (930_000, 580_000, -350_000)


def test_rounding_happens_once_half_up_and_the_unrounded_figure_is_kept():
    result = calculate(Terms(kind="flat_rate", rate_percent=D("1.5")), Basis(amount=D("0.33")))
    assert result.unrounded == D("0.00495")
    assert result.amount_minor == 0
    result = calculate(Terms(kind="flat_rate", rate_percent=D("1.5")), Basis(amount=D("0.34")))
    assert result.unrounded == D("0.0051")
    assert result.amount_minor == 1


def test_basis_cap_one_percent_on_at_most_100000():
    result = calculate(Terms(kind="flat_rate", rate_percent=D(1), basis_cap=D(100000)), Basis(amount=D(250000)))
    assert result.amount_minor == 100_000
    assert [(c.name, c.before, c.after) for c in result.caps] == [("basis_cap", D(250000), D(100000))]


def test_rebate_cap_by_amount_and_by_percent_of_basis_take_the_lower():
    terms = tiers("retroactive", rebate_cap=D(9000), rebate_cap_percent=D("2.5"))
    result = calculate(terms, Basis(amount=D(350000)))
    assert result.before_caps == D(10500)
    assert result.amount_minor == 875_000  # 2.5% of 350,000 = 8,750 is below the 9,000 cap
    assert [c.name for c in result.caps] == ["rebate_cap", "rebate_cap_percent"]


def test_minimum_payout_pays_nothing_below_it_and_everything_from_it():
    terms = Terms(kind="flat_rate", rate_percent=D(1), minimum_payout=D(500))
    assert calculate(terms, Basis(amount=D("49999"))).amount_minor == 0
    assert calculate(terms, Basis(amount=D("50000"))).amount_minor == 50_000


def test_campaign_window_adds_its_extra_rate_on_the_amount_inside_the_window():
    double11 = CampaignTerms("Double-11", date(2025, 11, 1), date(2025, 11, 11), D(1))
    terms = Terms(kind="flat_rate", rate_percent=D(2), campaigns=(double11,))
    result = calculate(terms, Basis(amount=D(100000), campaign_amounts=(D(30000),)))
    assert result.campaigns[0].amount == D(300)
    assert result.amount_minor == 230_000


def test_growth_with_no_prior_year_sales_is_ineligible_or_a_zero_baseline_as_the_policy_says():
    table = (TierSpec(D(0), D(1)), TierSpec(D(10), D(3)))
    ineligible = tiers("retroactive", table, metric="growth", growth_no_prior_year="ineligible")
    zero_base = tiers("retroactive", table, metric="growth", growth_no_prior_year="zero_baseline")
    basis = Basis(amount=D(50000), prior_amount=None)
    assert calculate(ineligible, basis).eligible is False
    assert calculate(ineligible, basis).amount_minor == 0
    assert calculate(zero_base, basis).amount_minor == 150_000


def test_growth_on_the_increase_only_pays_the_rate_on_the_increase():
    table = (TierSpec(D(0), D(1)), TierSpec(D(10), D(5)))
    terms = tiers("retroactive", table, metric="growth", growth_applies_to="increase")
    result = calculate(terms, Basis(amount=D(120000), prior_amount=D(100000)))
    assert result.metric_value == D(20)
    assert result.amount_minor == 100_000  # 5% of the 20,000 increase


def test_declining_sales_earn_no_growth_rebate():
    terms = Terms(kind="flat_rate", rate_percent=D(2), metric="growth")
    assert calculate(terms, Basis(amount=D(90000), prior_amount=D(100000))).amount_minor == 0


def test_per_unit_and_target_bonus():
    per_unit = Terms(kind="per_unit", metric="quantity", amount_per_unit=D("1.50"))
    assert calculate(per_unit, Basis(amount=D(9999), quantity=D(1234))).amount_minor == 185_100
    bonus = Terms(kind="target_bonus", metric="orders", target=D(12), bonus=D(5000))
    assert calculate(bonus, Basis(orders=11)).amount_minor == 0
    assert calculate(bonus, Basis(orders=11)).gap_to_next == D(1)
    assert calculate(bonus, Basis(orders=12)).amount_minor == 500_000


def test_a_negative_basis_earns_nothing_and_never_a_negative_rebate():
    result = calculate(tiers("retroactive"), Basis(amount=D(-5000)))
    assert result.amount_minor == 0
    assert result.tier_index is None
    assert result.gap_to_next == D(5000)


def test_projection_scales_the_basis_to_the_whole_period():
    # 45 days of a 90-day quarter at 160,000 projects to 320,000: tier 3 at 3%
    result = project(tiers("retroactive"), Basis(amount=D(160000)), elapsed_days=45, total_days=90)
    assert result.amount_minor == 960_000
