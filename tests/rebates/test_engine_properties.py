"""Laws of the engine, checked over generated tier tables and bases."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from fanli.common.money import round_minor
from fanli.rebates.engine import Basis, Terms, TierSpec, calculate

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def ascending_tables(draw):
    size = draw(st.integers(min_value=1, max_value=6))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=500_000), min_size=size - 1, max_size=size - 1))
    rates = sorted(draw(st.lists(st.integers(min_value=0, max_value=2000), min_size=size, max_size=size)))
    thresholds = [0]
    for gap in gaps:
        thresholds.append(thresholds[-1] + gap)
    return tuple(TierSpec(D(t), D(r) / 100) for t, r in zip(thresholds, rates, strict=True))


@given(ascending_tables(), amounts)
def test_retroactive_never_pays_less_than_incremental_for_ascending_rates(table, basis):
    retro = calculate(Terms(kind="tiers", mode="retroactive", tiers=table), Basis(amount=basis))
    incr = calculate(Terms(kind="tiers", mode="incremental", tiers=table), Basis(amount=basis))
    assert retro.unrounded >= incr.unrounded


@given(ascending_tables(), amounts, amounts, st.sampled_from(["retroactive", "incremental", "rolling", "total"]))
def test_more_basis_never_earns_less_without_caps(table, a, b, mode):
    low, high = sorted((a, b))
    terms = Terms(kind="tiers", mode=mode, tiers=table)
    assert calculate(terms, Basis(amount=low)).amount_minor <= calculate(terms, Basis(amount=high)).amount_minor


@given(
    ascending_tables(), amounts, st.sampled_from(["retroactive", "incremental", "rolling", "total"]),
    st.one_of(st.none(), amounts), st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
    st.one_of(st.none(), amounts),
)
def test_caps_always_hold(table, basis, mode, rebate_cap, cap_percent, basis_cap):
    terms = Terms(kind="tiers", mode=mode, tiers=table, rebate_cap=rebate_cap,
                  rebate_cap_percent=cap_percent, basis_cap=basis_cap)
    result = calculate(terms, Basis(amount=basis))
    counted = basis if basis_cap is None else min(basis, basis_cap)
    if rebate_cap is not None:
        assert result.amount_minor <= round_minor(rebate_cap)
    if cap_percent is not None:
        assert result.amount_minor <= round_minor(counted * cap_percent / 100)
    assert result.amount_minor >= 0


@given(ascending_tables(), amounts, st.sampled_from(["retroactive", "incremental", "rolling", "total"]))
def test_band_lines_add_up_to_the_unrounded_result(table, basis, mode):
    result = calculate(Terms(kind="tiers", mode=mode, tiers=table), Basis(amount=basis))
    assert sum((band.amount for band in result.bands), D(0)) == result.unrounded
    assert result.amount_minor == round_minor(result.unrounded)
