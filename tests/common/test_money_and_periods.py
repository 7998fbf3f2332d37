from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fanli.common.exceptions import CurrencyMismatch
from fanli.common.money import Money, format_minor, round_minor, split_proportionally, to_decimal
from fanli.common.periods import PeriodKind, parse_period, period_containing, periods_between


def test_half_up_rounding_rounds_half_a_fen_away_from_zero():
    assert round_minor(Decimal("0.005")) == 1
    assert round_minor(Decimal("0.0049999")) == 0
    assert round_minor(Decimal("-0.005")) == -1
    assert round_minor(Decimal("10500")) == 1_050_000


def test_floats_are_refused_as_money_input():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    assert to_decimal("1,234.50") == Decimal("1234.50")


def test_money_refuses_to_mix_currencies():
    with pytest.raises(CurrencyMismatch):
        Money(Decimal(1), "CNY") + Money(Decimal(1), "USD")
    assert (Money(Decimal("1.10")) + Money(Decimal("2.20"))).amount == Decimal("3.30")


def test_format_minor_shows_yuan_with_thousands_separator():
    assert format_minor(123456) == "¥1,234.56"
    assert format_minor(-1200) == "-¥12.00"


def test_split_gives_leftover_fen_to_largest_remainders():
    assert split_proportionally(100, [1, 1, 1]) == [34, 33, 33]
    assert split_proportionally(-100, [1, 1, 1]) == [-34, -33, -33]
    assert split_proportionally(1000, [0, 0]) == [500, 500]


@given(
    st.integers(min_value=-10**12, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30),
)
def test_split_parts_always_add_up_to_the_total(total, weights):
    parts = split_proportionally(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)


def test_periods_are_calendar_aligned_and_round_trip_their_keys():
    q = parse_period("2026-Q1")
    assert (q.start, q.end, q.kind) == (date(2026, 1, 1), date(2026, 3, 31), PeriodKind.QUARTER)
    assert period_containing(date(2024, 2, 29), "month").end == date(2024, 2, 29)
    assert parse_period("2026-H2").start == date(2026, 7, 1)
    assert parse_period("2025").end == date(2025, 12, 31)
    assert [p.key for p in periods_between(date(2025, 11, 15), date(2026, 2, 1), "quarter")] == ["2025-Q4", "2026-Q1"]
    assert q.year_earlier().key == "2025-Q1"
    with pytest.raises(ValueError):
        parse_period("2026-13")


def test_an_exact_figure_reads_with_separators_and_keeps_every_decimal():
    from fanli.common.money import format_exact

    assert format_exact("74826.7") == "¥74,826.70"
    assert format_exact("2916.4005") == "¥2,916.4005"
    assert format_exact("100000") == "¥100,000.00"
    assert format_exact("-5.5") == "-¥5.50"
    assert format_exact("1250.5", None) == "1,250.5"
    assert format_exact("100000", None) == "100,000"
    assert format_exact("infinite") == "infinite" and format_exact(None) == "—"


@given(st.decimals(min_value=-10**14, max_value=10**14, places=6, allow_nan=False, allow_infinity=False))
def test_an_exact_figure_is_never_rounded(value):
    from fanli.common.money import format_exact

    shown = format_exact(str(value))
    assert Decimal(shown.replace("¥", "").replace(",", "")) == value
