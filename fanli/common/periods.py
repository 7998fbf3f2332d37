"""Settlement periods, calendar aligned.

A period is named by a key: ``2026`` (year), ``2026-H1`` (half), ``2026-Q3`` (quarter),
``2026-07`` (month). Periods are closed date ranges ``start..end``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


_MONTHS_PER = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF_YEAR: 6, PeriodKind.YEAR: 12}
_KEY_RE = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: date
    end: date
    kind: PeriodKind

    @property
    def key(self) -> str:
        y = self.start.year
        if self.kind is PeriodKind.YEAR:
            return f"{y}"
        if self.kind is PeriodKind.HALF_YEAR:
            return f"{y}-H{1 if self.start.month == 1 else 2}"
        if self.kind is PeriodKind.QUARTER:
            return f"{y}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{y}-{self.start.month:02d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Period:
        return period_containing(self.end + timedelta(days=1), self.kind)

    def previous(self) -> Period:
        return period_containing(self.start - timedelta(days=1), self.kind)

    def year_earlier(self) -> Period:
        return period_containing(_shift_year(self.start, -1), self.kind)

    def __str__(self) -> str:
        return self.key


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def period_containing(day: date, kind: PeriodKind | str) -> Period:
    kind = PeriodKind(kind)
    months = _MONTHS_PER[kind]
    first_month = ((day.month - 1) // months) * months + 1
    last_month = first_month + months - 1
    start = date(day.year, first_month, 1)
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(start, end, kind)


def parse_period(key: str) -> Period:
    """``2026-Q1`` → Period(2026-01-01..2026-03-31, quarter). Raises ValueError on bad keys."""
    match = _KEY_RE.match(key.strip())
    if not match:
        raise ValueError(f"not a period: {key!r} (use 2026, 2026-H1, 2026-Q1 or 2026-01)")
    year = int(match.group(1))
    part = match.group(2)
    if part is None:
        return period_containing(date(year, 1, 1), PeriodKind.YEAR)
    if part.startswith("Q"):
        return period_containing(date(year, (int(part[1]) - 1) * 3 + 1, 1), PeriodKind.QUARTER)
    if part.startswith("H"):
        return period_containing(date(year, 1 if part == "H1" else 7, 1), PeriodKind.HALF_YEAR)
    month = int(part)
    if not 1 <= month <= 12:
        raise ValueError(f"not a period: {key!r} (month must be 01..12)")
    return period_containing(date(year, month, 1), PeriodKind.MONTH)


def periods_between(start: date, end: date, kind: PeriodKind | str) -> list[Period]:
    """Every period of ``kind`` that overlaps ``start..end``, in order."""
    result = []
    current = period_containing(start, kind)
    while current.start <= end:
        result.append(current)
        current = current.next()
    return result
