"""Points arithmetic, pure: what a purchase earns, when a lot expires, which lots a redemption
consumes. No database; the services do the writes."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from .document import EndOfFollowingYear, MonthsAfterEarning, ProgrammeDocument, TierSpec


class NotEnoughPoints(Exception):
    def __init__(self, wanted: int, available: int) -> None:
        super().__init__(f"{wanted} points wanted, {available} available")
        self.wanted, self.available = wanted, available


@dataclass(frozen=True)
class LotView:
    """What a redemption needs to know of a lot."""

    lot_id: int
    expires_on: date
    remaining: int


def tier_named(document: ProgrammeDocument, code: str | None) -> TierSpec:
    return next((tier for tier in document.tiers if tier.code == code), document.tiers[0])


def tier_for_spend(document: ProgrammeDocument, spend: Decimal) -> TierSpec:
    """The highest tier whose qualifying spend is reached."""
    reached = document.tiers[0]
    for tier in document.tiers:
        if spend >= tier.from_spend:
            reached = tier
    return reached


def multiplier_on(document: ProgrammeDocument, day: date) -> Decimal:
    """Campaign windows containing ``day`` multiply; two at once multiply together."""
    result = Decimal(1)
    for campaign in document.campaigns:
        if campaign.from_ <= day <= campaign.until:
            result *= campaign.multiplier
    return result


def points_for(document: ProgrammeDocument, tier: TierSpec, net_minor: int, day: date) -> int:
    """Points a purchase line of ``net_minor`` earns: the tier's share of spend, in points,
    times any campaign multiplier, rounded down to a whole point (never up)."""
    if net_minor <= 0:
        return 0
    value = Decimal(net_minor) * tier.earn_percent / 100 * multiplier_on(document, day)
    return int((value / (document.point_value * 100)).to_integral_value(ROUND_FLOOR))


def expiry_date(document: ProgrammeDocument, earned_on: date) -> date:
    """The last day a lot earned on ``earned_on`` may be used."""
    rule = document.expiry
    if isinstance(rule, EndOfFollowingYear):
        return date(earned_on.year + 1, 12, 31)
    assert isinstance(rule, MonthsAfterEarning)
    month_index = earned_on.month - 1 + rule.months
    year, month = earned_on.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(earned_on.day, calendar.monthrange(year, month)[1]))


def allocate(lots: list[LotView], points: int, *, today: date) -> list[tuple[int, int]]:
    """(lot id, points) to take, earliest expiry first; expired lots are never used."""
    usable = sorted((lot for lot in lots if lot.expires_on >= today and lot.remaining > 0),
                    key=lambda lot: (lot.expires_on, lot.lot_id))
    available = sum(lot.remaining for lot in usable)
    if points > available:
        raise NotEnoughPoints(points, available)
    taken, left = [], points
    for lot in usable:
        if left == 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.lot_id, take))
        left -= take
    return taken
