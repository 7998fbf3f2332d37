"""Policy documents: the published schema, exact decimals, and every error listed by path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fanli.common.exceptions import ValidationFailed
from fanli.rebates.document import load_policy_text, policy_json_schema

BASE = """
code: sample
name: Sample
valid_from: 2026-01-01
settlement: {period: quarter}
"""


def errors_of(text: str) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(text)
    return refused.value.details["errors"]


def test_the_schema_is_draft_2020_12_and_names_every_calculation_type():
    schema = policy_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"FlatRate", "PerUnit", "TargetBonus", "Tiers"} <= set(schema["$defs"])
    assert schema["required"] == ["code", "name", "valid_from", "settlement", "calculation"]


def test_yaml_floats_are_read_as_their_decimal_text():
    document = load_policy_text(BASE + "calculation: {type: flat_rate, rate_percent: 0.1}")
    assert document.calculation.rate_percent == Decimal("0.1")  # type: ignore[union-attr]


def test_field_errors_are_all_listed_with_their_paths():
    assert errors_of(BASE.replace("quarter", "week") + "calculation: {type: tiers, mode: stepped, tiers: []}\n"
                     "colour: red") == [
        {"path": "settlement.period", "message": "Input should be 'month', 'quarter', 'half_year' or 'year'"},
        {"path": "calculation.mode", "message": "Input should be 'retroactive', 'incremental', 'rolling' or 'total'"},
        {"path": "calculation.tiers", "message": "List should have at least 1 item after validation, not 0"},
        {"path": "colour", "message": "Extra inputs are not permitted"},
    ]


def test_rules_across_sections_are_all_listed_with_the_field_to_fix():
    text = BASE + (
        "valid_until: 2025-12-31\nmetric: orders\n"
        "calculation: {type: tiers, mode: incremental, tiers: [{from: 0, rate_percent: 1}, {from: 5, rate_percent: 2}]}\n"
        "growth: {applies_to: whole}\nstacks_after: [sample]\n"
        "campaigns: [{name: old, from: 2025-11-01, until: 2025-11-11, extra_rate_percent: 1}]"
    )
    assert [e["path"] for e in errors_of(text)] == [
        "valid_until", "calculation.mode", "growth", "stacks_after", "campaigns.0",
    ]


def test_tier_tables_must_start_at_zero_and_ascend():
    errors = errors_of(BASE + "calculation: {type: tiers, mode: retroactive, tiers: [{from: 10, rate_percent: 1}]}")
    assert errors == [{"path": "calculation.tiers", "message": "the first tier must start at 0"}]
    errors = errors_of(BASE + "calculation: {type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, "
                              "{from: 0, rate_percent: 2}]}")
    assert errors == [{"path": "calculation.tiers", "message": "tier thresholds must be strictly ascending"}]


def test_amounts_with_more_than_two_decimals_and_rates_over_100_are_refused():
    errors = errors_of(BASE + "calculation: {type: flat_rate, rate_percent: 101}\ncaps: {rebate_cap: 10.001}\n"
                              "payout: {form: rebate_account, max_offset_percent_per_order: -1, min_order_amount: '-5'}")
    assert errors == [
        {"path": "calculation.rate_percent", "message": "must be a percentage between 0 and 100"},
        {"path": "caps.rebate_cap", "message": "has more than two decimal places"},
        {"path": "payout.max_offset_percent_per_order", "message": "must be a percentage between 0 and 100"},
        {"path": "payout.min_order_amount", "message": "must not be negative"},
    ]
