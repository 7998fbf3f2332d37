"""Value types of the engine: frozen, hashable, Decimal-only."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TierSpec:
    threshold: Decimal
    rate_percent: Decimal | None = None
    amount_per_unit: Decimal | None = None

    def pays(self, portion: Decimal) -> Decimal:
        """What this tier's rate pays on ``portion`` (money for %, units for per-unit)."""
        if self.rate_percent is not None:
            return portion * self.rate_percent / 100
        assert self.amount_per_unit is not None
        return portion * self.amount_per_unit

    def rate_text(self) -> str:
        if self.rate_percent is not None:
            return f"{self.rate_percent}%"
        return f"{self.amount_per_unit}/unit"


@dataclass(frozen=True, slots=True)
class CampaignTerms:
    name: str
    start: date
    end: date
    extra_rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class Terms:
    """A policy's calculation, ready to apply. ``kind`` is flat_rate, per_unit, target_bonus or tiers."""

    kind: str
    metric: str = "amount"
    rate_percent: Decimal | None = None
    amount_per_unit: Decimal | None = None
    target: Decimal | None = None
    bonus: Decimal | None = None
    mode: str | None = None
    tiers: tuple[TierSpec, ...] = ()
    campaigns: tuple[CampaignTerms, ...] = ()
    basis_cap: Decimal | None = None
    rebate_cap: Decimal | None = None
    rebate_cap_percent: Decimal | None = None
    minimum_payout: Decimal | None = None
    growth_applies_to: str = "whole"
    growth_no_prior_year: str = "ineligible"

    @property
    def per_unit_pay(self) -> bool:
        return self.kind == "per_unit" or (self.kind == "tiers" and self.tiers[0].amount_per_unit is not None)


@dataclass(frozen=True, slots=True)
class Basis:
    """What counted for one customer (or pool) in one period, in major units."""

    amount: Decimal = ZERO
    quantity: Decimal = ZERO
    orders: int = 0
    campaign_amounts: tuple[Decimal, ...] = ()
    prior_amount: Decimal | None = None
    deduction: Decimal = ZERO

    def __add__(self, other: Basis) -> Basis:
        width = max(len(self.campaign_amounts), len(other.campaign_amounts))
        left = self.campaign_amounts + (ZERO,) * (width - len(self.campaign_amounts))
        right = other.campaign_amounts + (ZERO,) * (width - len(other.campaign_amounts))
        prior: Decimal | None
        if self.prior_amount is None and other.prior_amount is None:
            prior = None
        else:
            prior = (self.prior_amount or ZERO) + (other.prior_amount or ZERO)
        return Basis(
            amount=self.amount + other.amount,
            quantity=self.quantity + other.quantity,
            orders=self.orders + other.orders,
            campaign_amounts=tuple(a + b for a, b in zip(left, right, strict=True)),
            prior_amount=prior,
            deduction=self.deduction + other.deduction,
        )

    def scaled(self, factor: Decimal) -> Basis:
        """The basis at a run rate: amounts and counts times ``factor`` (prior year unchanged)."""
        return replace(
            self,
            amount=self.amount * factor,
            quantity=self.quantity * factor,
            orders=int((Decimal(self.orders) * factor).to_integral_value()),
            campaign_amounts=self.campaign_amounts,
        )


@dataclass(frozen=True, slots=True)
class BandLine:
    tier_index: int
    lower: Decimal
    upper: Decimal | None
    portion: Decimal
    rate: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CampaignLine:
    name: str
    start: date
    end: date
    basis: Decimal
    rate_percent: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CapLine:
    name: str
    limit: Decimal
    before: Decimal
    after: Decimal


@dataclass(frozen=True, slots=True)
class Result:
    eligible: bool
    metric: str
    metric_value: Decimal | None
    pay_base: Decimal
    mode: str | None
    tier_index: int | None
    bands: tuple[BandLine, ...]
    campaigns: tuple[CampaignLine, ...]
    caps: tuple[CapLine, ...]
    before_caps: Decimal
    unrounded: Decimal
    amount_minor: int
    next_threshold: Decimal | None
    gap_to_next: Decimal | None
    notes: tuple[str, ...] = field(default=())
