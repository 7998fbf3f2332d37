"""The rebate policy document: what a channel manager writes, in YAML or JSON.

The pydantic models below *are* the published JSON Schema (``fanli policy schema``), so the
schema, the validation and the errors (one per problem, each with its path such as
``calculation.tiers.1.rate_percent``) can never disagree. Amounts are decimal strings in major
units (``"100000.00"``); rates are percentages (``"2.5"`` is 2.5 %). Floats in YAML are read
through their decimal text, so ``2.5`` means exactly 2.5.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fanli.common.exceptions import ValidationFailed
from fanli.common.limits import (
    COUNT_MAX,
    DOCUMENT_MAX_BYTES,
    DOCUMENT_MAX_DEPTH,
    DOCUMENT_MAX_NODES,
    PERIOD_AMOUNT_MAX,
)

SCHEMA_ID = "https://fanli.example/schemas/rebate-policy.json"


def _amount(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("has more than two decimal places")
    return value


def _rate(value: Decimal) -> Decimal:
    if value < 0 or value > 100:
        raise ValueError("must be a percentage between 0 and 100")
    return value


Amount = Annotated[Decimal, Field(le=PERIOD_AMOUNT_MAX, description=(
    "Money in major units, at most two decimals, e.g. \"100000.00\"; at most 1,000,000,000,000.00."))]
Rate = Annotated[Decimal, Field(description="Percentage, e.g. \"2.5\" for 2.5 %.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=False)


class PeriodKindName(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


class Settlement(Strict):
    period: PeriodKindName = Field(description="Calendar-aligned settlement period.")
    interim: PeriodKindName | None = Field(
        None, description="Pay on account at the end of each shorter period (e.g. quarterly on a yearly policy)."
    )
    due_days: int = Field(30, ge=0, le=366, description="Payout deadline: days after the period (or interim) end.")

    @model_validator(mode="after")
    def _interim_shorter(self) -> Settlement:
        order = list(PeriodKindName)
        if self.interim is not None and order.index(self.interim) >= order.index(self.period):
            raise ValueError("interim must be a shorter period than the settlement period")
        return self


class Eligibility(Strict):
    kinds: list[str] = Field(default_factory=list, description="Customer kinds; empty means any.")
    grades: list[str] = Field(default_factory=list, description="Grade codes; empty means any.")
    regions: list[str] = Field(default_factory=list, description="Regions; empty means any.")
    tags_any: list[str] = Field(default_factory=list, description="Customer must carry at least one of these tags.")
    abc_classes: list[Literal["A", "B", "C"]] = Field(
        default_factory=list, description="ABC classes (as last computed by fanli segments); empty means any.")
    lifecycle_stages: list[Literal["acquisition", "growth", "maturity", "decline", "lost"]] = Field(
        default_factory=list, description="Lifecycle stages (as last computed); empty means any.")
    relationships: list[Literal["transactional", "preferred", "partner", "strategic"]] = Field(
        default_factory=list, description="Relationship levels; empty means any.")
    min_tenure_days: int = Field(0, ge=0, le=36_500, description="Days since the customer's start date, at period end.")
    enrolment_required: bool = Field(False, description="Only customers with an enrolment (返利协议) take part.")


class ScopeSet(Strict):
    categories: list[str] = Field(default_factory=list, description="Category codes, sub-categories included.")
    brands: list[str] = Field(default_factory=list, description="Brand codes.")
    skus: list[str] = Field(default_factory=list, description="Product SKUs.")

    def is_empty(self) -> bool:
        return not (self.categories or self.brands or self.skus)


class Scope(Strict):
    include: ScopeSet = Field(default_factory=ScopeSet, description="Empty means every product.")
    exclude: ScopeSet = Field(default_factory=ScopeSet)


class Metric(StrEnum):
    AMOUNT = "amount"
    QUANTITY = "quantity"
    ORDERS = "orders"
    GROWTH = "growth"


class BasisSource(StrEnum):
    INVOICED = "invoiced"
    PAID = "paid"


class Growth(Strict):
    applies_to: Literal["whole", "increase"] = Field(
        "whole", description="Pay the rate on the whole basis or only on the increase over last year."
    )
    no_prior_year: Literal["ineligible", "zero_baseline"] = Field(
        "ineligible", description="A customer without sales in the same period last year."
    )


class TierMode(StrEnum):
    RETROACTIVE = "retroactive"
    INCREMENTAL = "incremental"
    ROLLING = "rolling"
    TOTAL = "total"


class Tier(Strict):
    from_: Decimal = Field(alias="from", ge=0, le=PERIOD_AMOUNT_MAX,
                           description="Threshold, inclusive, in the metric's unit.")
    rate_percent: Rate | None = None
    amount_per_unit: Amount | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_rate(self) -> Tier:
        if (self.rate_percent is None) == (self.amount_per_unit is None):
            raise ValueError("give exactly one of rate_percent or amount_per_unit")
        if self.rate_percent is not None:
            _rate(self.rate_percent)
        if self.amount_per_unit is not None:
            _amount(self.amount_per_unit)
        return self


class FlatRate(Strict):
    type: Literal["flat_rate"]
    rate_percent: Rate

    _check = field_validator("rate_percent")(classmethod(lambda cls, v: _rate(v)))


class PerUnit(Strict):
    type: Literal["per_unit"]
    amount_per_unit: Amount

    _check = field_validator("amount_per_unit")(classmethod(lambda cls, v: _amount(v)))


class TargetBonus(Strict):
    type: Literal["target_bonus"]
    target: Decimal = Field(gt=0, le=PERIOD_AMOUNT_MAX, description="Metric value to reach, inclusive.")
    bonus: Amount

    _check = field_validator("bonus")(classmethod(lambda cls, v: _amount(v)))


class Tiers(Strict):
    type: Literal["tiers"]
    mode: TierMode
    tiers: list[Tier] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[Tier]) -> list[Tier]:
        if tiers[0].from_ != 0:
            raise ValueError("the first tier must start at 0")
        for previous, current in itertools.pairwise(tiers):
            if current.from_ <= previous.from_:
                raise ValueError("tier thresholds must be strictly ascending")
        kinds = {t.rate_percent is None for t in tiers}
        if len(kinds) > 1:
            raise ValueError("all tiers must use rate_percent, or all amount_per_unit")
        return tiers


Calculation = Annotated[FlatRate | PerUnit | TargetBonus | Tiers, Field(discriminator="type")]


class Campaign(Strict):
    name: str = Field(min_length=1, max_length=100)
    from_: date = Field(alias="from")
    until: date
    extra_rate_percent: Rate

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _window(self) -> Campaign:
        if self.until < self.from_:
            raise ValueError("until must not be before from")
        _rate(self.extra_rate_percent)
        return self


class Caps(Strict):
    basis_cap: Amount | None = Field(None, description="Count at most this much basis (e.g. 1 % on at most 100,000).")
    rebate_cap: Amount | None = Field(None, description="At most this rebate per customer and period.")
    rebate_cap_percent: Rate | None = Field(None, description="At most this % of the basis per period.")
    minimum_payout: Amount | None = Field(None, description="Results below this pay nothing.")

    @field_validator("basis_cap", "rebate_cap", "minimum_payout")
    @classmethod
    def _amounts(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _amount(value)

    @field_validator("rebate_cap_percent")
    @classmethod
    def _percent(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _rate(value)


class PayoutFormName(StrEnum):
    REBATE_ACCOUNT = "rebate_account"
    CASH = "cash"
    GOODS = "goods"
    POINTS = "points"


class Payout(Strict):
    form: PayoutFormName = PayoutFormName.REBATE_ACCOUNT
    max_offset_percent_per_order: Rate | None = Field(
        None, description="rebate_account: at most this % of each order may be paid with credit."
    )
    min_order_amount: Amount | None = Field(None, description="rebate_account: credit usable only on orders from this amount.")
    max_offset_amount: Amount | None = Field(None, description="rebate_account: at most this much credit per order.")
    credit_expiry_days: int | None = Field(None, ge=1, le=36_500, description="rebate_account: credit expires after this many days.")
    goods_sku: str | None = Field(None, description="goods: the product given; the remainder is kept as credit.")
    points_per_yuan: Decimal | None = Field(None, gt=0, le=COUNT_MAX, description="points: points granted per yuan of rebate.")
    points_programme: str | None = Field(
        None, description="points: the loyalty programme whose points ledger receives them (the customer must be a member).")

    @field_validator("min_order_amount", "max_offset_amount")
    @classmethod
    def _amounts(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _amount(value)

    @field_validator("max_offset_percent_per_order")
    @classmethod
    def _percent(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _rate(value)

    @model_validator(mode="after")
    def _form_fields(self) -> Payout:
        if self.form is PayoutFormName.GOODS and not self.goods_sku:
            raise ValueError("goods payout needs goods_sku")
        if self.form is PayoutFormName.POINTS and self.points_per_yuan is None:
            raise ValueError("points payout needs points_per_yuan")
        return self


class PolicyDocument(Strict):
    """A rebate policy (返利政策)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, title="Fanli rebate policy", json_schema_extra={"$id": SCHEMA_ID}
    )

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,59}$", description="Stable identifier, e.g. dist-quarterly.")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    valid_from: date
    valid_until: date | None = None
    settlement: Settlement
    eligibility: Eligibility = Field(default_factory=Eligibility)
    scope: Scope = Field(default_factory=Scope)
    metric: Metric = Metric.AMOUNT
    basis_source: BasisSource = BasisSource.INVOICED
    growth: Growth | None = None
    calculation: Calculation
    campaigns: list[Campaign] = Field(default_factory=list)
    caps: Caps = Field(default_factory=Caps)
    pooling: Literal["none", "parent"] = Field(
        "none", description="parent: a parent's branches count together; the rebate is split back by basis."
    )
    stacks_after: list[str] = Field(
        default_factory=list,
        description="Codes of policies whose rebate is deducted from this policy's basis first.",
    )
    payout: Payout = Field(default_factory=Payout)
    budget: Decimal | None = Field(
        None, gt=0, le=PERIOD_AMOUNT_MAX, decimal_places=2,
        description="Rebate budget per settlement period, all customers together; a warning is raised "
                    "when the period's cost is projected to exceed it.")

    def coherence_errors(self) -> list[dict[str, str]]:
        """Rules that tie sections together, every broken one with the path to fix."""
        errors: list[dict[str, str]] = []

        def error(path: str, message: str) -> None:
            errors.append({"path": path, "message": message})

        if self.valid_until is not None and self.valid_until < self.valid_from:
            error("valid_until", "must not be before valid_from")
        calc = self.calculation
        money_metric = self.metric in (Metric.AMOUNT, Metric.GROWTH)
        if isinstance(calc, PerUnit) and self.metric is not Metric.QUANTITY:
            error("metric", "per_unit calculation needs metric quantity")
        if isinstance(calc, FlatRate) and not money_metric:
            error("metric", "flat_rate pays a % of the amount: use metric amount or growth")
        if isinstance(calc, Tiers):
            per_unit = calc.tiers[0].amount_per_unit is not None
            if per_unit and self.metric is not Metric.QUANTITY:
                error("metric", "amount_per_unit tiers need metric quantity")
            if not per_unit and not money_metric and calc.mode is not TierMode.RETROACTIVE:
                error("calculation.mode", f"{calc.mode.value} tiers with rate_percent split the basis into bands of "
                      "the metric; with metric quantity or orders use retroactive mode or amount_per_unit")
            if self.metric is Metric.GROWTH and calc.mode is not TierMode.RETROACTIVE:
                error("calculation.mode", "growth tiers are growth percentages: use retroactive mode")
        if self.metric is Metric.GROWTH and self.growth is None:
            error("growth", "metric growth needs a growth section")
        if self.metric is not Metric.GROWTH and self.growth is not None:
            error("growth", "a growth section needs metric growth")
        if self.code in self.stacks_after:
            error("stacks_after", "a policy cannot stack after itself")
        for index, campaign in enumerate(self.campaigns):
            if campaign.until < self.valid_from or (self.valid_until is not None and campaign.from_ > self.valid_until):
                error(f"campaigns.{index}", "the campaign window lies outside the policy's validity")
        return errors


def policy_json_schema() -> dict[str, Any]:
    schema = PolicyDocument.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _error_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for index, item in enumerate(loc):
        # a discriminated union adds its tag after the field name; it is noise for a reader
        if index == 1 and loc[0] == "calculation" and item in ("flat_rate", "per_unit", "target_bonus", "tiers"):
            continue
        parts.append(str(item))
    return ".".join(parts) or "(document)"


def parse_policy_document(data: Any) -> PolicyDocument:
    """Validate a decoded document; raise ``ValidationFailed`` listing every error by path."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "a policy document must be a mapping", details={"errors": [{"path": "(document)", "message": "not a mapping"}]}
        )
    try:
        document = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"path": _error_path(tuple(err["loc"])), "message": err["msg"].removeprefix("Value error, ")}
            for err in exc.errors(include_url=False)
        ]
        raise ValidationFailed(
            f"the policy document has {len(errors)} error(s)", details={"errors": errors}
        ) from None
    errors = document.coherence_errors()
    if errors:
        raise ValidationFailed(f"the policy document has {len(errors)} error(s)", details={"errors": errors})
    return document


def load_policy_text(text: str) -> PolicyDocument:
    """Parse YAML or JSON text (JSON is YAML) into a validated document."""
    return parse_policy_document(read_document_text(text, "policy"))


def read_document_text(text: str, what: str) -> Any:
    """YAML or JSON text (JSON is YAML) as data for a document's validation, floats as their decimal
    text; every kind of document (policies, discount rules, programmes, score cards) reads this way.

    Bounded before anything is built: at most ``DOCUMENT_MAX_BYTES`` of text, nested at most
    ``DOCUMENT_MAX_DEPTH`` deep, at most ``DOCUMENT_MAX_NODES`` values, and no anchors or aliases
    (``&name``/``*name``), which would let a few hundred bytes expand into gigabytes. An impossible date (``2026-02-30``) stays text,
    so the field's validation names it.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > DOCUMENT_MAX_BYTES:
        raise ValidationFailed(
            f"the {what} file is too large: {size:,} bytes, at most {DOCUMENT_MAX_BYTES:,}",
            details={"errors": [{"path": "(file)", "message": f"larger than {DOCUMENT_MAX_BYTES:,} bytes"}]},
            code="document_too_large",
        )
    deep = _flow_depth_exceeded(text)
    if deep is not None:
        reason = f"line {deep}: nested more than {DOCUMENT_MAX_DEPTH} levels deep"
        raise ValidationFailed(f"the {what} file is refused: {reason}",
                               details={"errors": [{"path": "(file)", "message": reason}]})
    try:
        _check_events(text)
        data = yaml.load(text, Loader=_DocumentLoader)  # a safe loader; the events were checked above
    except _Refused as refused:
        raise ValidationFailed(f"the {what} file is refused: {refused.reason}",
                               details={"errors": [{"path": "(file)", "message": refused.reason}]}) from None
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"the {what} file is not valid YAML or JSON",
                               details={"errors": [{"path": "(file)", "message": str(exc)}]}) from None
    except ValueError as exc:  # an integer of thousands of digits
        reason = f"a value cannot be read: {str(exc).split(';')[0]}"
        raise ValidationFailed(f"the {what} file is not valid YAML or JSON",
                               details={"errors": [{"path": "(file)", "message": reason}]}) from None
    return _stringify_numbers(data)


_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_depth_exceeded(text: str) -> int | None:
    """The line where ``[``/``{`` brackets nest deeper than the limit, or None.

    YAML's scanner reads a whole flow collection before it can tell its first token, with work
    growing as the square of the nesting, so deep brackets are refused before it runs. Brackets
    inside quoted text count too: a real document never nests twenty deep even so.
    """
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > DOCUMENT_MAX_DEPTH:
                return text.count("\n", 0, match.start()) + 1
        elif depth:
            depth -= 1
    return None


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: several times faster
_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)
_OPEN_EVENTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_events(text: str) -> None:
    """Walk the parser's events (no value is built yet) and refuse anchors and aliases, nesting
    beyond ``DOCUMENT_MAX_DEPTH`` and more than ``DOCUMENT_MAX_NODES`` values, at the first one."""
    depth = 0
    nodes = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, _NODE_EVENTS):
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            if event.anchor is not None:
                raise _Refused(f"line {line}: anchors and aliases (&name, *name) are not allowed; write each value out")
            nodes += 1
            if nodes > DOCUMENT_MAX_NODES:
                raise _Refused(f"line {line}: more than {DOCUMENT_MAX_NODES:,} values")
            if isinstance(event, _OPEN_EVENTS):
                depth += 1
                if depth > DOCUMENT_MAX_DEPTH:
                    raise _Refused(f"line {line}: nested more than {DOCUMENT_MAX_DEPTH} levels deep")
        elif isinstance(event, _CLOSE_EVENTS):
            depth -= 1


class _DocumentLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, keeping an impossible date (``2026-02-30``) as its text so that the
    field's validation names it."""

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_DocumentLoader.add_constructor("tag:yaml.org,2002:timestamp", _DocumentLoader.construct_yaml_timestamp)


def _stringify_numbers(value: Any) -> Any:
    """YAML floats become their decimal text so 2.5 means exactly 2.5; dates become ISO text."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: _stringify_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_numbers(v) for v in value]
    return value


def document_to_json(doc: PolicyDocument) -> dict[str, Any]:
    return doc.model_dump(mode="json", by_alias=True, exclude_none=False)
