"""Customer segmentation, pure: ABC class by share of sales, RFM scores, lifecycle stage.

Inputs are per-customer figures the selectors aggregate in SQL; nothing here reads the database.

- **ABC**: customers sorted by trailing-12-month net sales, largest first; A until the running
  share reaches 80 % (the customer crossing it included), B until 95 %, C the rest (and every
  customer without sales).
- **RFM**: recency (days since the last invoice), frequency (invoices in the window) and monetary
  value (net sales in the window), each scored 1 to 5 by position among customers with sales, 1
  the worst and 5 the best (most recent, most frequent, largest). Ties take the same score;
  customers without sales in the window score 0.
- **Lifecycle**: *lost* without an invoice for 180 days; *acquisition* when the first invoice is
  within the last 180 days; otherwise by the last six months against the six before: *growth* at
  120 % or more, *decline* at 80 % or less, *maturity* in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

A_SHARE, B_SHARE = Decimal("0.80"), Decimal("0.95")
LOST_DAYS = ACQUISITION_DAYS = 180
GROWTH, DECLINE = Decimal("1.2"), Decimal("0.8")


@dataclass(frozen=True)
class CustomerFigures:
    customer_id: int
    sales_12m_minor: int
    invoices_12m: int
    last_invoice: date | None
    first_invoice: date | None
    last_6m_minor: int
    previous_6m_minor: int


@dataclass(frozen=True)
class Segment:
    customer_id: int
    abc: str
    recency: int  # 1..5, 0 without sales
    frequency: int
    monetary: int
    lifecycle: str

    @property
    def rfm(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


def abc_classes(figures: list[CustomerFigures]) -> dict[int, str]:
    total = sum(max(f.sales_12m_minor, 0) for f in figures)
    classes, running = {}, 0
    for item in sorted(figures, key=lambda f: (-f.sales_12m_minor, f.customer_id)):
        if item.sales_12m_minor <= 0 or total == 0:
            classes[item.customer_id] = "C"
            continue
        before = Decimal(running) / total
        running += item.sales_12m_minor
        classes[item.customer_id] = "A" if before < A_SHARE else "B" if before < B_SHARE else "C"
    return classes


def _quintiles(values: dict[int, Decimal]) -> dict[int, int]:
    """Score 1..5 by position among the distinct values, worst 1 and best 5, spread evenly in
    between; equal values share a score."""
    ordered = sorted(set(values.values()))
    last = len(ordered) - 1
    position = {value: index for index, value in enumerate(ordered)}
    return {key: 5 if last == 0 else 1 + (4 * position[value]) // last for key, value in values.items()}


def segments(figures: list[CustomerFigures], *, today: date) -> list[Segment]:
    classes = abc_classes(figures)
    active = [f for f in figures if f.invoices_12m > 0 and f.last_invoice is not None]

    def scores(value: Callable[[CustomerFigures], Decimal]) -> dict[int, int]:
        return _quintiles({f.customer_id: value(f) for f in active})

    recency = scores(lambda f: -Decimal((today - f.last_invoice).days))  # type: ignore[operator]
    frequency = scores(lambda f: Decimal(f.invoices_12m))
    monetary = scores(lambda f: Decimal(f.sales_12m_minor))
    return [Segment(f.customer_id, classes[f.customer_id], recency.get(f.customer_id, 0),
                    frequency.get(f.customer_id, 0), monetary.get(f.customer_id, 0), lifecycle(f, today=today))
            for f in sorted(figures, key=lambda f: f.customer_id)]


def lifecycle(figures: CustomerFigures, *, today: date) -> str:
    if figures.last_invoice is None or (today - figures.last_invoice).days >= LOST_DAYS:
        return "lost"
    if figures.first_invoice is not None and (today - figures.first_invoice).days < ACQUISITION_DAYS:
        return "acquisition"
    previous, last = Decimal(figures.previous_6m_minor), Decimal(figures.last_6m_minor)
    if previous <= 0:
        return "growth" if last > 0 else "maturity"
    if last >= previous * GROWTH:
        return "growth"
    if last <= previous * DECLINE:
        return "decline"
    return "maturity"
