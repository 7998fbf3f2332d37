"""The loyalty programme document (忠诚度计划): earning, bonuses, campaigns, expiry, tiers.

Points are whole numbers. ``point_value`` is what one point is worth in money (``"0.01"``: a
hundred points make a yuan); ``earn_percent`` is the share of net spend given back as points'
value, so 5 % of ¥100.00 at ¥0.01 a point is 500 points.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from fanli.common.exceptions import ValidationFailed
from fanli.common.limits import COUNT_MAX
from fanli.rebates.document import Amount, Rate, Strict, _amount, _rate, read_document_text


class TierSpec(Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,29}$")
    name: str = Field(min_length=1, max_length=60)
    from_spend: Amount = Field(description="Qualifying spend over the window needed for this tier.")
    earn_percent: Rate
    discount_percent: Rate = Decimal(0)
    entitlements: list[str] = Field(default_factory=list, description="E.g. free delivery, priority service.")

    @field_validator("from_spend")
    @classmethod
    def _spend(cls, value: Decimal) -> Decimal:
        return _amount(value)

    @field_validator("earn_percent", "discount_percent")
    @classmethod
    def _percent(cls, value: Decimal) -> Decimal:
        return _rate(value)


class Bonuses(Strict):
    sign_up: int = Field(0, ge=0, le=COUNT_MAX)
    first_purchase: int = Field(0, ge=0, le=COUNT_MAX)
    email_opt_in: int = Field(0, ge=0, le=COUNT_MAX)


class Campaign(Strict):
    name: str = Field(min_length=1, max_length=100)
    from_: date = Field(alias="from")
    until: date
    multiplier: Decimal = Field(gt=1, le=10, description="2 doubles the points of purchases inside the window.")

    model_config = Strict.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _window(self) -> Campaign:
        if self.until < self.from_:
            raise ValueError("until must not be before from")
        return self


class MonthsAfterEarning(Strict):
    rule: Literal["months_after_earning"]
    months: int = Field(ge=1, le=120)


class EndOfFollowingYear(Strict):
    rule: Literal["end_of_following_year"]


Expiry = Annotated[MonthsAfterEarning | EndOfFollowingYear, Field(discriminator="rule")]


class ProgrammeDocument(Strict):
    """A loyalty programme."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,59}$")
    name: str = Field(min_length=1, max_length=200)
    valid_from: date
    point_value: Amount = Field(description="Money one point is worth, e.g. \"0.01\".")
    min_order_amount: Amount | None = Field(None, description="Orders below this earn nothing.")
    tiers: list[TierSpec] = Field(min_length=1)
    qualifying_window_months: int = Field(12, ge=1, le=36)
    downgrade_grace_months: int = Field(3, ge=0, le=24)
    bonuses: Bonuses = Field(default_factory=Bonuses)
    campaigns: list[Campaign] = Field(default_factory=list)
    expiry: Expiry
    allow_negative_balance: bool = Field(False, description="A return may take back more points than are left.")

    @field_validator("point_value")
    @classmethod
    def _value(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("must be more than zero")
        return _amount(value)

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[TierSpec]) -> list[TierSpec]:
        if tiers[0].from_spend != 0:
            raise ValueError("the first tier must start at 0")
        for lower, upper in itertools.pairwise(tiers):
            if upper.from_spend <= lower.from_spend:
                raise ValueError("tier spends must be strictly ascending")
        if len({tier.code for tier in tiers}) != len(tiers):
            raise ValueError("tier codes must differ")
        return tiers


def parse_programme(data: Any) -> ProgrammeDocument:
    if not isinstance(data, dict):
        raise ValidationFailed("a programme must be a mapping",
                               details={"errors": [{"path": "(document)", "message": "not a mapping"}]})
    try:
        return ProgrammeDocument.model_validate(data)
    except ValidationError as exc:
        errors = [{"path": ".".join(str(p) for p in err["loc"] if p not in ("months_after_earning",
                                                                           "end_of_following_year")),
                   "message": err["msg"].removeprefix("Value error, ")} for err in exc.errors(include_url=False)]
        raise ValidationFailed(f"the programme has {len(errors)} error(s)", details={"errors": errors}) from None


def load_programme_text(text: str) -> ProgrammeDocument:
    return parse_programme(read_document_text(text, "programme"))
