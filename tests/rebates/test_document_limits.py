"""Every document (policy, discount rule, loyalty programme, score card) is read by one bounded
reader: no anchors or aliases, a size and a nesting limit, impossible dates named by field, and
amounts within stated bounds; each refused in milliseconds with a clear error, storing nothing."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.common.exceptions import ValidationFailed
from fanli.common.limits import DOCUMENT_MAX_BYTES
from fanli.customers.scorecard import load_scorecard_text
from fanli.discounts.document import load_discount_rule_text
from fanli.loyalty.document import load_programme_text
from fanli.rebates.document import load_policy_text
from fanli.rebates.models import PolicyVersion

pytestmark = pytest.mark.django_db

GOOD = """\
code: dist-q
name: Distributor quarterly
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2}]
"""


def laughs(levels: int = 9) -> str:
    """The "billion laughs": each level lists the one before nine times, by alias."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


ALIASES = "line 1: anchors and aliases (&name, *name) are not allowed; write each value out"


@pytest.mark.parametrize(("load", "what"), [
    (load_policy_text, "policy"), (load_discount_rule_text, "rule"), (load_programme_text, "programme"),
    (load_scorecard_text, "score card"),
])
def test_every_kind_of_document_refuses_nested_aliases_in_milliseconds(load, what):
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        load(laughs())
    assert time.perf_counter() - started < 0.1
    assert refused.value.message == f"the {what} file is refused: {ALIASES}"
    assert refused.value.details == {"errors": [{"path": "(file)", "message": ALIASES}]}


def test_a_single_anchor_is_refused_too_though_nothing_refers_to_it():
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(GOOD.replace("name: Distributor quarterly", "name: &n Distributor quarterly"))
    assert refused.value.details["errors"][0]["message"] == (
        "line 2: anchors and aliases (&name, *name) are not allowed; write each value out")


def test_a_document_larger_than_the_limit_is_refused_before_it_is_parsed():
    text = GOOD + "description: " + "x" * DOCUMENT_MAX_BYTES + "\n"
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(text)
    assert refused.value.code == "document_too_large"
    assert refused.value.message == f"the policy file is too large: {len(text):,} bytes, at most 262,144"


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_nesting_deeper_than_the_limit_is_refused_in_yaml_and_json_alike(text):
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(text)
    assert time.perf_counter() - started < 0.1
    assert refused.value.details == {"errors": [{"path": "(file)", "message": "line 1: nested more than 20 levels deep"}]}


def test_a_number_of_thousands_of_digits_is_a_clear_error():
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(GOOD.replace("due_days: 30", "due_days: " + "9" * 5000))
    assert refused.value.message == "the policy file is not valid YAML or JSON"
    assert refused.value.details["errors"][0]["message"].startswith(
        "a value cannot be read: Exceeds the limit (4300 digits) for integer string conversion")


def test_an_impossible_date_is_an_error_naming_its_field():
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(GOOD.replace("2026-01-01", "2026-02-30"))
    assert refused.value.details == {"errors": [{
        "path": "valid_from", "message": "Input should be a valid date or datetime, day value is outside expected range"}]}


def test_amounts_beyond_the_document_bound_are_errors_naming_their_field():
    text = GOOD.replace("{from: 100000, rate_percent: 2}", "{from: 1e30, rate_percent: 2}") + (
        "caps: {rebate_cap: 100000000000000000000}\nbudget: 1000000000000.01\n")
    with pytest.raises(ValidationFailed) as refused:
        load_policy_text(text)
    assert refused.value.details == {"errors": [
        {"path": "calculation.tiers.1.from", "message": "Input should be less than or equal to 1000000000000"},
        {"path": "caps.rebate_cap", "message": "Input should be less than or equal to 1000000000000"},
        {"path": "budget", "message": "Input should be less than or equal to 1000000000000"},
    ]}


def test_the_published_schema_states_the_bounds():
    from fanli.rebates.document import policy_json_schema

    schema = policy_json_schema()
    assert schema["properties"]["budget"]["anyOf"][0]["maximum"] == 1000000000000
    assert schema["$defs"]["Tier"]["properties"]["from"]["anyOf"][0]["maximum"] == 1000000000000


def _apply(path) -> CommandError:
    with pytest.raises(CommandError) as refused:
        call_command("policy", "apply", str(path), stdout=io.StringIO())
    return refused.value


def test_the_command_line_refuses_an_alias_bomb_and_an_impossible_date_without_a_traceback(tmp_path):
    bomb, bad_date = tmp_path / "bomb.yaml", tmp_path / "date.yaml"
    bomb.write_text(laughs(), encoding="utf-8")
    bad_date.write_text(GOOD.replace("2026-01-01", "2026-02-30"), encoding="utf-8")

    started = time.perf_counter()
    refused = _apply(bomb)
    assert time.perf_counter() - started < 1
    assert str(refused).startswith(f"{bomb}: the policy file is refused: {ALIASES}")
    assert refused.returncode == 2
    refused = _apply(bad_date)
    assert "valid_from: Input should be a valid date or datetime, day value is outside expected range" in str(refused)
    assert refused.returncode == 2
    assert PolicyVersion.objects.count() == 0
