"""``calculate``: one customer (or pool), one policy, one period.

Order of work, each step recorded in the result:
1. basis amount less any stacked policies' rebate; the basis cap;
2. the metric value (amount, quantity, orders or growth %) that decides the tier;
3. the pay base the rate applies to (amount, quantity, or for growth the whole or the increase);
4. the main calculation (flat rate, per unit, target bonus or a tier mode);
5. campaign windows' extra rates on the amount dated inside them;
6. rebate caps (amount and % of basis), never below zero;
7. one rounding to the minor unit, half-up; then the minimum payout.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fanli.common.money import round_minor

from .terms import ZERO, BandLine, Basis, CampaignLine, CapLine, Result, Terms
from .tiers import TIER_MODES, tier_reached

INFINITE_GROWTH = Decimal("Infinity")


def _metric_value(terms: Terms, basis: Basis, amount: Decimal, notes: list[str]) -> tuple[Decimal | None, Decimal]:
    """Return (metric value, money base for a % rate). None as value means not eligible."""
    if terms.metric == "quantity":
        return basis.quantity, amount
    if terms.metric == "orders":
        return Decimal(basis.orders), amount
    if terms.metric == "growth":
        prior = basis.prior_amount or ZERO
        if prior <= 0:
            if terms.growth_no_prior_year == "ineligible":
                notes.append("no sales in the same period a year earlier: not eligible for a growth rebate")
                return None, ZERO
            notes.append("no sales in the same period a year earlier: baseline taken as zero, all growth tiers reached")
            return INFINITE_GROWTH, amount
        growth = (amount - prior) / prior * 100
        notes.append(f"growth {growth.quantize(Decimal('0.01'), ROUND_HALF_UP)}% on last year's {prior}")
        if terms.growth_applies_to == "increase":
            return growth, max(amount - prior, ZERO)
        return growth, amount
    return amount, amount


def _main(terms: Terms, value: Decimal, pay_base: Decimal) -> tuple[tuple[BandLine, ...], int | None, Decimal | None]:
    """Band lines, the tier reached and the next threshold for the main calculation."""
    if terms.kind == "flat_rate":
        assert terms.rate_percent is not None
        if terms.metric == "growth" and value <= 0:
            return (), None, None
        line = BandLine(0, ZERO, None, pay_base, f"{terms.rate_percent}%", pay_base * terms.rate_percent / 100)
        return (line,), 0, None
    if terms.kind == "per_unit":
        assert terms.amount_per_unit is not None
        line = BandLine(0, ZERO, None, pay_base, f"{terms.amount_per_unit}/unit", pay_base * terms.amount_per_unit)
        return (line,), 0, None
    if terms.kind == "target_bonus":
        assert terms.target is not None and terms.bonus is not None
        if value >= terms.target:
            return (BandLine(0, terms.target, None, value, "bonus", terms.bonus),), 0, None
        return (), None, terms.target
    strategy = TIER_MODES[terms.mode or "retroactive"]
    reached = tier_reached(terms.tiers, value)
    next_index = 0 if reached is None else reached + 1
    next_threshold = terms.tiers[next_index].threshold if next_index < len(terms.tiers) else None
    return strategy(terms.tiers, value, pay_base), reached, next_threshold


def calculate(terms: Terms, basis: Basis) -> Result:
    notes: list[str] = []
    caps: list[CapLine] = []
    amount = basis.amount
    if basis.deduction:
        amount -= basis.deduction
        notes.append(f"basis reduced by {basis.deduction} already granted by policies this one stacks after")
    if terms.basis_cap is not None and amount > terms.basis_cap:
        caps.append(CapLine("basis_cap", terms.basis_cap, amount, terms.basis_cap))
        amount = terms.basis_cap

    value, money_base = _metric_value(terms, basis, amount, notes)
    pay_base = basis.quantity if terms.per_unit_pay else money_base

    def empty(note: str | None, eligible: bool) -> Result:
        if note:
            notes.append(note)
        return Result(
            eligible=eligible, metric=terms.metric, metric_value=value, pay_base=pay_base, mode=terms.mode,
            tier_index=None, bands=(), campaigns=(), caps=tuple(caps), before_caps=ZERO, unrounded=ZERO,
            amount_minor=0, next_threshold=None, gap_to_next=None, notes=tuple(notes),
        )

    if value is None:
        return empty(None, eligible=False)

    bands, reached, next_threshold = _main(terms, value, pay_base)
    if pay_base <= 0 and bands and terms.kind != "target_bonus":
        notes.append("the basis is not positive: nothing is earned")
        bands = ()
    main_amount = sum((band.amount for band in bands), ZERO)

    campaign_lines = []
    for index, campaign in enumerate(terms.campaigns):
        in_window = basis.campaign_amounts[index] if index < len(basis.campaign_amounts) else ZERO
        extra = in_window * campaign.extra_rate_percent / 100 if in_window > 0 else ZERO
        campaign_lines.append(
            CampaignLine(campaign.name, campaign.start, campaign.end, in_window, campaign.extra_rate_percent, extra)
        )
    before_caps = main_amount + sum((line.amount for line in campaign_lines), ZERO)

    result_amount = max(before_caps, ZERO)
    if terms.rebate_cap is not None and result_amount > terms.rebate_cap:
        caps.append(CapLine("rebate_cap", terms.rebate_cap, result_amount, terms.rebate_cap))
        result_amount = terms.rebate_cap
    if terms.rebate_cap_percent is not None:
        limit = max(amount, ZERO) * terms.rebate_cap_percent / 100
        if result_amount > limit:
            caps.append(CapLine("rebate_cap_percent", limit, result_amount, limit))
            result_amount = limit

    amount_minor = round_minor(result_amount)
    if terms.minimum_payout is not None and 0 < amount_minor < round_minor(terms.minimum_payout):
        notes.append(f"{amount_minor / 100:.2f} is below the minimum payout of {terms.minimum_payout}: nothing is paid")
        amount_minor = 0

    gap = None
    if next_threshold is not None and value != INFINITE_GROWTH:
        gap = next_threshold - value
    return Result(
        eligible=True, metric=terms.metric, metric_value=value, pay_base=pay_base, mode=terms.mode,
        tier_index=reached, bands=bands, campaigns=tuple(campaign_lines), caps=tuple(caps),
        before_caps=before_caps, unrounded=result_amount, amount_minor=amount_minor,
        next_threshold=next_threshold, gap_to_next=gap, notes=tuple(notes),
    )


def project(terms: Terms, basis: Basis, *, elapsed_days: int, total_days: int) -> Result:
    """The result if the rest of the period runs at the rate seen so far."""
    if elapsed_days <= 0:
        return calculate(terms, Basis(prior_amount=basis.prior_amount))
    factor = Decimal(total_days) / Decimal(elapsed_days)
    return calculate(terms, basis.scaled(factor))
