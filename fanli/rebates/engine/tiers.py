"""Tier modes as strategies, named as the large ERPs name them.

Bands are half-open: tier *i* applies from its threshold (inclusive) to the next threshold
(exclusive). Each strategy gets the tiers, the metric value (which decides the tier reached)
and the pay base (what the rate is paid on) and returns the band lines that add up to the
rebate. For incremental and rolling the metric and the pay base are the same quantity (the
policy document refuses other combinations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from .terms import ZERO, BandLine, TierSpec

TierStrategy = Callable[[Sequence[TierSpec], Decimal, Decimal], tuple[BandLine, ...]]


def tier_reached(tiers: Sequence[TierSpec], value: Decimal) -> int | None:
    """Index of the highest tier whose threshold ``value`` reaches, or None below the first."""
    reached = None
    for index, tier in enumerate(tiers):
        if value >= tier.threshold:
            reached = index
    return reached


def _upper(tiers: Sequence[TierSpec], index: int) -> Decimal | None:
    return tiers[index + 1].threshold if index + 1 < len(tiers) else None


def _whole(tiers: Sequence[TierSpec], index: int, base: Decimal) -> BandLine:
    tier = tiers[index]
    return BandLine(index, tier.threshold, _upper(tiers, index), base, tier.rate_text(), tier.pays(base))


def _full_band(tiers: Sequence[TierSpec], index: int, value: Decimal) -> BandLine:
    tier = tiers[index]
    upper = _upper(tiers, index)
    top = value if upper is None else min(value, upper)
    portion = max(ZERO, top - tier.threshold)
    return BandLine(index, tier.threshold, upper, portion, tier.rate_text(), tier.pays(portion))


def retroactive(tiers: Sequence[TierSpec], value: Decimal, base: Decimal) -> tuple[BandLine, ...]:
    """SAP to-scale / Dynamics cumulative: the highest tier reached pays on the whole base."""
    reached = tier_reached(tiers, value)
    return () if reached is None else (_whole(tiers, reached, base),)


def incremental(tiers: Sequence[TierSpec], value: Decimal, base: Decimal) -> tuple[BandLine, ...]:
    """SAP interval / Dynamics stepped / 分段: each tier pays on the part inside its band."""
    reached = tier_reached(tiers, value)
    if reached is None:
        return ()
    return tuple(_full_band(tiers, i, value) for i in range(reached + 1))


def rolling(tiers: Sequence[TierSpec], value: Decimal, base: Decimal) -> tuple[BandLine, ...]:
    """Lower tiers pay on their full band; the highest tier reached pays on the whole base."""
    reached = tier_reached(tiers, value)
    if reached is None:
        return ()
    lower = tuple(_full_band(tiers, i, value) for i in range(reached))
    return (*lower, _whole(tiers, reached, base))


def total(tiers: Sequence[TierSpec], value: Decimal, base: Decimal) -> tuple[BandLine, ...]:
    """Every tier reached pays its rate on the whole base, added up."""
    reached = tier_reached(tiers, value)
    if reached is None:
        return ()
    return tuple(_whole(tiers, i, base) for i in range(reached + 1))


TIER_MODES: dict[str, TierStrategy] = {
    "retroactive": retroactive,
    "incremental": incremental,
    "rolling": rolling,
    "total": total,
}
