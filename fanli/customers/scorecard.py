"""Dealer score cards (经销商评分卡), pure: criteria with weights, each scored 0 to 100.

A card is a document (YAML or JSON) naming the customer kinds it rates and its criteria; the
weights are whole numbers adding up to 100. Each criterion takes its score from a *source*:

- ``sales_rank``: position by trailing-12-month net sales among the rated customers, 0 for the
  smallest and 100 for the largest (ties share a score); 0 without sales.
- ``growth``: trailing 12 months against the 12 before, -50 % or worse scores 0, +50 % or
  better 100, linear between; 100 when new sales start from nothing.
- ``collection``: share of the amounts due in the last 12 months that is paid (credit).
- ``satisfaction``: average survey score over 12 months, 1 to 5 mapped to 0 to 100.
- ``complaints``: 100 less 20 per complaint opened in the last 12 months, at least 0.
- ``contacts``: 25 per contact logged in the last 90 days, at most 100 (relations).
- ``manual``: a rating a person gives (initiative, capability...).

A criterion without a figure (no answers, nothing due, not rated) is left out and the others'
weights count in proportion; the card says so. The total is rounded half up to a whole number.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from fanli.common.exceptions import ValidationFailed
from fanli.rebates.document import Strict, read_document_text

Source = Literal["sales_rank", "growth", "collection", "satisfaction", "complaints", "contacts", "manual"]
Kind = Literal["distributor", "dealer", "retailer", "joint_venture", "member"]
HUNDRED = Decimal(100)


class Criterion(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")
    name: str = Field(min_length=1, max_length=60)
    weight: int = Field(gt=0, le=100)
    source: Source


def _dealers() -> list[Kind]:
    return ["distributor", "dealer"]


class ScoreCardDocument(Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,39}$")
    name: str = Field(min_length=1, max_length=100)
    kinds: list[Kind] = Field(default_factory=_dealers, min_length=1)
    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _weights(cls, criteria: list[Criterion]) -> list[Criterion]:
        if len({c.key for c in criteria}) != len(criteria):
            raise ValueError("criterion keys must differ")
        if sum(c.weight for c in criteria) != 100:
            raise ValueError(f"weights add up to {sum(c.weight for c in criteria)}, not 100")
        return criteria


def load_scorecard_text(text: str) -> ScoreCardDocument:
    data = read_document_text(text, "score card")
    if not isinstance(data, dict):
        raise ValidationFailed("a score card must be a mapping",
                               details={"errors": [{"path": "(document)", "message": "not a mapping"}]})
    try:
        return ScoreCardDocument.model_validate(data)
    except ValidationError as exc:
        errors = [{"path": ".".join(str(p) for p in err["loc"]) or "(document)",
                   "message": err["msg"].removeprefix("Value error, ")} for err in exc.errors(include_url=False)]
        raise ValidationFailed(f"the score card has {len(errors)} error(s)", details={"errors": errors}) from None


@dataclass(frozen=True)
class ScoreFacts:
    """What the sources read about one customer; the selectors aggregate them in SQL."""

    customer_id: int
    sales_12m_minor: int = 0
    sales_prior_12m_minor: int = 0
    due_12m_minor: int = 0
    paid_12m_minor: int = 0
    survey_average: Decimal | None = None
    complaints_12m: int = 0
    contacts_90d: int = 0
    ratings: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    key: str
    name: str
    weight: int
    score: int | None  # None: no figure, left out
    detail: str


@dataclass(frozen=True)
class Score:
    customer_id: int
    total: int | None
    parts: tuple[Part, ...]

    def as_json(self) -> list[dict[str, Any]]:
        return [{"key": p.key, "name": p.name, "weight": p.weight, "score": p.score, "detail": p.detail}
                for p in self.parts]


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def _sales_ranks(facts: list[ScoreFacts]) -> dict[int, int]:
    """0 for the smallest seller, 100 for the largest; equal sales share the lower position."""
    selling = sorted(f.sales_12m_minor for f in facts if f.sales_12m_minor > 0)
    ranks: dict[int, int] = {}
    for f in facts:
        if f.sales_12m_minor <= 0:
            ranks[f.customer_id] = 0
        elif len(selling) == 1:
            ranks[f.customer_id] = 100
        else:
            below = bisect.bisect_left(selling, f.sales_12m_minor)
            ranks[f.customer_id] = _whole(Decimal(below) * HUNDRED / (len(selling) - 1))
    return ranks


def _part(criterion: Criterion, facts: ScoreFacts, rank: int) -> Part:
    def part(score: int | None, detail: str) -> Part:
        return Part(criterion.key, criterion.name, criterion.weight, score, detail)

    source = criterion.source
    if source == "sales_rank":
        return part(rank, f"net sales {Decimal(facts.sales_12m_minor) / 100:,.2f} over 12 months")
    if source == "growth":
        now, before = facts.sales_12m_minor, facts.sales_prior_12m_minor
        if before <= 0:
            return part(100 if now > 0 else 0, "new sales" if now > 0 else "no sales in either year")
        growth = (Decimal(now - before) * HUNDRED / before)
        return part(_whole(min(max(growth, Decimal(-50)), Decimal(50)) + 50), f"{_whole(growth)} % on the year before")
    if source == "collection":
        if facts.due_12m_minor <= 0:
            return part(None, "nothing fell due")
        share = Decimal(max(min(facts.paid_12m_minor, facts.due_12m_minor), 0)) * HUNDRED / facts.due_12m_minor
        return part(_whole(share), f"{_whole(share)} % of the amounts due in 12 months paid")
    if source == "satisfaction":
        if facts.survey_average is None:
            return part(None, "no survey answers")
        return part(_whole((facts.survey_average - 1) * 25), f"average {facts.survey_average:.2f} of 5")
    if source == "complaints":
        return part(max(0, 100 - 20 * facts.complaints_12m), f"{facts.complaints_12m} complaint(s) in 12 months")
    if source == "contacts":
        return part(min(100, 25 * facts.contacts_90d), f"{facts.contacts_90d} contact(s) in 90 days")
    rating = facts.ratings.get(criterion.key)
    return part(rating, "rated" if rating is not None else "not rated yet")


def score_customers(card: ScoreCardDocument, facts: list[ScoreFacts]) -> list[Score]:
    """Every customer's parts and weighted total (missing figures left out, weights in proportion)."""
    ranks = _sales_ranks(facts)
    scores = []
    for f in facts:
        parts = tuple(_part(criterion, f, ranks[f.customer_id]) for criterion in card.criteria)
        counted = [p for p in parts if p.score is not None]
        weight = sum(p.weight for p in counted)
        total = _whole(Decimal(sum(p.weight * (p.score or 0) for p in counted)) / weight) if weight else None
        scores.append(Score(f.customer_id, total, parts))
    return scores
