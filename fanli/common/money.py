"""Exact money.

Storage is integer minor units (fen); in memory a ``Money`` holds a ``Decimal`` of major units
and refuses to mix currencies. Rounding happens only where a caller names it, with an explicit
mode; the default business rounding is half-up (四舍五入) to the minor unit.
``split_proportionally`` divides an integer total into integer parts that always add back up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .exceptions import CurrencyMismatch

MINOR_PER_MAJOR = 100
_CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Parse a number from text or int exactly; floats are refused (they are not exact)."""
    if isinstance(value, bool | float):
        raise TypeError(f"refusing inexact number {value!r}; pass a string or Decimal")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(str(value).strip().replace(",", ""))


def round_minor(amount_major: Decimal, rounding: str = ROUND_HALF_UP) -> int:
    """Round an exact amount in major units to integer minor units (half-up by default)."""
    return int((amount_major * MINOR_PER_MAJOR).quantize(Decimal(1), rounding=rounding))


def minor_to_major(amount_minor: int) -> Decimal:
    return (Decimal(amount_minor) / MINOR_PER_MAJOR).quantize(_CENT)


def major_to_minor_exact(amount_major: Decimal) -> int:
    """Major units to minor units, refusing amounts finer than one minor unit."""
    scaled = amount_major * MINOR_PER_MAJOR
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount_major} has more than two decimal places")
    return int(scaled)


def money_text(amount_minor: int) -> str:
    """``3000000000`` → ``"30,000,000.00"``: an amount as a reader writes it, without currency."""
    return f"{minor_to_major(amount_minor):,.2f}"


def format_minor(amount_minor: int, currency: str = "CNY") -> str:
    """¥1,234.56 / -¥12.00 for CNY; other currencies get their code."""
    sign = "-" if amount_minor < 0 else ""
    major = minor_to_major(abs(amount_minor))
    symbol = "¥" if currency == "CNY" else f"{currency} "
    return f"{sign}{symbol}{major:,.2f}"


def format_exact(text: str | Decimal | None, currency: str | None = "CNY") -> str:
    """An exact decimal (as explanations store it: "74826.7", "2916.4005") for reading: thousands
    separated, at least two decimals for money and every further decimal kept, never rounded
    ("¥74,826.70", "¥2,916.4005"); ``currency`` None for a quantity ("1,250.5"). Text that is not
    a number ("infinite") comes back as it is."""
    if text is None:
        return "—"
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        return str(text)
    if not value.is_finite():
        return str(text)
    sign = "-" if value < 0 else ""
    value = abs(value)
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if currency is not None:
        places = max(places, 2)
    digits = f"{value:,.{places}f}"
    if currency is None:
        return f"{sign}{digits}"
    symbol = "¥" if currency == "CNY" else f"{currency} "
    return f"{sign}{symbol}{digits}"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "CNY"

    @classmethod
    def of_minor(cls, amount_minor: int, currency: str = "CNY") -> Money:
        return cls(Decimal(amount_minor) / MINOR_PER_MAJOR, currency)

    def _check(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}",
                details={"left": self.currency, "right": other.currency},
            )

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, factor: Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    def rounded_minor(self, rounding: str = ROUND_HALF_UP) -> int:
        return round_minor(self.amount, rounding)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def split_proportionally(total_minor: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``total_minor`` over ``weights`` so the parts add up to the total exactly.

    Largest-remainder method: each part gets the floor of its exact share, then the leftover
    minor units go one each to the largest remainders (ties to the earlier weight). Negative
    totals split symmetrically. All-zero weights split evenly.
    """
    if not weights:
        if total_minor:
            raise ValueError("cannot split a non-zero amount over no parts")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    sign = -1 if total_minor < 0 else 1
    total = abs(total_minor)
    dec_weights = [Decimal(w) for w in weights]
    weight_sum = sum(dec_weights)
    if weight_sum == 0:
        dec_weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    exact = [Decimal(total) * w / weight_sum for w in dec_weights]
    parts = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    leftover = total - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:leftover]:
        parts[i] += 1
    return [sign * p for p in parts]
