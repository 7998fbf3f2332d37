"""The discount rule document (折扣规则): what a channel manager writes, in YAML or JSON.

Like rebate policies, rules are validated documents stored as immutable versions. Amounts are
decimal strings in major units; percentages are percent ("10" is 10 %). Eligibility and product
scope are the same sections as in a rebate policy.

A rule gives each line it applies to a percentage off (a grade ladder, or one percentage) or an
amount off per unit. Rules marked ``exclusive`` compete and the best one wins the line; rules
marked ``additive`` come on top, in priority order, until the line's discount reaches the cap.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from fanli.common.exceptions import ValidationFailed
from fanli.common.limits import COUNT_MAX, QUANTITY_MAX_MILLI
from fanli.rebates.document import Amount, Eligibility, Rate, Scope, Strict, _amount, _rate, read_document_text

SCHEMA_ID = "https://fanli.example/schemas/discount-rule.json"
QUANTITY_MAX = Decimal(QUANTITY_MAX_MILLI) / 1000


class GradeLadder(Strict):
    type: Literal["grade_ladder"]
    grades: dict[str, Rate] = Field(min_length=1, description="Percent off by customer grade code, e.g. {vip: \"10\"}.")
    default_percent: Rate | None = Field(None, description="Percent off for a grade not listed; none: no discount.")

    @field_validator("grades")
    @classmethod
    def _rates(cls, grades: dict[str, Decimal]) -> dict[str, Decimal]:
        for value in grades.values():
            _rate(value)
        return grades

    @field_validator("default_percent")
    @classmethod
    def _default(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _rate(value)


class PercentOff(Strict):
    type: Literal["percent"]
    percent: Rate

    @field_validator("percent")
    @classmethod
    def _check(cls, value: Decimal) -> Decimal:
        return _rate(value)


class AmountOffPerUnit(Strict):
    type: Literal["amount_per_unit"]
    amount: Amount = Field(description="Money off each unit, e.g. \"2.50\".")

    @field_validator("amount")
    @classmethod
    def _check(cls, value: Decimal) -> Decimal:
        return _amount(value)


Discount = Annotated[GradeLadder | PercentOff | AmountOffPerUnit, Field(discriminator="type")]


class Window(Strict):
    """Extra percent off for sales dated inside the window (e.g. a slow month)."""

    name: str = Field(min_length=1, max_length=100)
    from_: date = Field(alias="from")
    until: date
    extra_percent: Rate

    model_config = Strict.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _window(self) -> Window:
        if self.until < self.from_:
            raise ValueError("until must not be before from")
        _rate(self.extra_percent)
        return self


class Conditions(Strict):
    min_quantity: Decimal | None = Field(None, gt=0, le=QUANTITY_MAX, description="A line needs at least this quantity.")
    min_order_amount: Amount | None = Field(
        None, description="The order's lines in scope must add up to at least this (before discounts)."
    )

    @field_validator("min_order_amount")
    @classmethod
    def _amount(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _amount(value)


class StackingName(StrEnum):
    EXCLUSIVE = "exclusive"
    ADDITIVE = "additive"


class Limits(Strict):
    uses_per_customer: int | None = Field(None, ge=1, le=COUNT_MAX, description="Invoices per customer the rule may discount.")
    uses_total: int | None = Field(None, ge=1, le=COUNT_MAX, description="Invoices in all the rule may discount.")
    budget: Amount | None = Field(None, description="Money the rule may give away in all.")

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _amount(value)


class DiscountRuleDocument(Strict):
    """A discount rule (折扣规则)."""

    model_config = Strict.model_config | {"title": "Fanli discount rule", "json_schema_extra": {"$id": SCHEMA_ID}}

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,59}$", description="Stable identifier, e.g. grade-ladder.")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    valid_from: date
    valid_until: date | None = None
    priority: int = Field(100, ge=0, le=10000, description="Lower goes first: it wins ties and stacks first.")
    eligibility: Eligibility = Field(default_factory=Eligibility)
    scope: Scope = Field(default_factory=Scope)
    discount: Discount
    windows: list[Window] = Field(default_factory=list)
    conditions: Conditions = Field(default_factory=Conditions)
    stacking: StackingName = StackingName.EXCLUSIVE
    additive_cap_percent: Rate | None = Field(
        None, description="additive: the line's total discount stays at or below this percent."
    )
    limits: Limits = Field(default_factory=Limits)

    def coherence_errors(self) -> list[dict[str, str]]:
        errors: list[dict[str, str]] = []
        if self.valid_until is not None and self.valid_until < self.valid_from:
            errors.append({"path": "valid_until", "message": "must not be before valid_from"})
        if self.additive_cap_percent is not None:
            if self.stacking is not StackingName.ADDITIVE:
                errors.append({"path": "additive_cap_percent", "message": "only an additive rule has a cap"})
            else:
                _rate(self.additive_cap_percent)
        for index, window in enumerate(self.windows):
            if window.until < self.valid_from or (self.valid_until is not None and window.from_ > self.valid_until):
                errors.append({"path": f"windows.{index}", "message": "the window lies outside the rule's validity"})
        if isinstance(self.discount, AmountOffPerUnit) and self.windows:
            errors.append({"path": "windows", "message": "windows add a percentage: use them with percent rules"})
        return errors


def discount_rule_json_schema() -> dict[str, Any]:
    schema = DiscountRuleDocument.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _path(loc: tuple[Any, ...]) -> str:
    """Error paths as a reader writes them: the union's tag after ``discount`` is left out."""
    if len(loc) > 1 and loc[0] == "discount" and loc[1] in ("grade_ladder", "percent", "amount_per_unit"):
        loc = loc[:1] + loc[2:]
    return ".".join(str(part) for part in loc) or "(document)"


def parse_discount_rule(data: Any) -> DiscountRuleDocument:
    """Validate a decoded document; raise ``ValidationFailed`` listing every error by path."""
    if not isinstance(data, dict):
        raise ValidationFailed("a discount rule must be a mapping",
                               details={"errors": [{"path": "(document)", "message": "not a mapping"}]})
    try:
        document = DiscountRuleDocument.model_validate(data)
    except ValidationError as exc:
        errors = [{"path": _path(tuple(err["loc"])), "message": err["msg"].removeprefix("Value error, ")}
                  for err in exc.errors(include_url=False)]
        raise ValidationFailed(f"the discount rule has {len(errors)} error(s)", details={"errors": errors}) from None
    errors = document.coherence_errors()
    if errors:
        raise ValidationFailed(f"the discount rule has {len(errors)} error(s)", details={"errors": errors})
    return document


def load_discount_rule_text(text: str) -> DiscountRuleDocument:
    return parse_discount_rule(read_document_text(text, "rule"))


def discount_rule_to_json(document: DiscountRuleDocument) -> dict[str, Any]:
    return document.model_dump(mode="json", by_alias=True, exclude_none=False)
