"""A quote reads the rules in force from the database every time: what a process remembers of a
rule (its parsed and compiled document) never outlives a publish, here or in another process."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fanli.common.services import canonical_json, sha256_text
from fanli.discounts.models import DiscountRuleVersion
from fanli.discounts.selectors import LineRequest, quote_prepare, quote_to_json
from fanli.discounts.services import discount_contract_set, discount_rule_apply, discount_rule_version_decide
from tests.builders import catalog, customer

DAY = date(2026, 11, 20)
TEA = [LineRequest("TEA-1", "2")]  # list price 120.00 -> 240.00


def ladder(vip: str) -> str:
    return f"""
code: grade-ladder
name: 等级折扣
valid_from: 2026-01-01
discount: {{type: grade_ladder, grades: {{normal: 5, vip: {vip}}}}}
"""


def applied(code: str = "C001") -> list[tuple[str, int, str]]:
    result = quote_to_json(quote_prepare(actor=None, customer_code=code, day=DAY, lines=TEA))
    return [(a["rule"], a["amount_minor"], a["reason"]) for a in result["lines"][0]["applied"]]


@pytest.fixture
def shop(db):
    catalog()
    customer("C001", grade="vip")
    discount_rule_apply(text=ladder("10"), actor=None)


def test_a_new_version_applies_to_the_very_next_quote_and_a_draft_does_not(shop):
    assert applied() == [("grade-ladder", 2_400, "10% (grade vip)")]  # the rule is now parsed and remembered
    discount_rule_apply(text=ladder("12"), actor=None, publish=False)
    assert applied() == [("grade-ladder", 2_400, "10% (grade vip)")]  # not in force: nothing changes
    version = DiscountRuleVersion.objects.get(rule__code="grade-ladder", number=2)
    discount_rule_version_decide(rule_code="grade-ladder", number=version.number, actor=None, publish=True)
    assert applied() == [("grade-ladder", 2_880, "12% (grade vip)")]


def test_a_newly_published_rule_applies_to_the_next_quote(shop):
    assert applied() == [("grade-ladder", 2_400, "10% (grade vip)")]
    discount_rule_apply(text="""
code: tea-extra
name: 茶叶加赠
valid_from: 2026-01-01
stacking: additive
scope: {include: {categories: [drinks]}}
discount: {type: percent, percent: 2}
""", actor=None)
    # TEA-1 is in tea, a sub-category of drinks: the category's ancestors count
    assert applied() == [("grade-ladder", 2_400, "10% (grade vip)"), ("tea-extra", 480, "2% (rule)")]


def test_a_version_published_behind_this_process_applies_too(shop):
    """Another process publishes by writing the rows; this process was told nothing."""
    assert applied() == [("grade-ladder", 2_400, "10% (grade vip)")]
    first = DiscountRuleVersion.objects.get(rule__code="grade-ladder")
    body = {**first.document, "discount": {"type": "grade_ladder", "grades": {"normal": "5", "vip": "15"}}}
    DiscountRuleVersion.objects.filter(pk=first.pk).update(status=DiscountRuleVersion.Status.RETIRED)
    DiscountRuleVersion.objects.create(rule=first.rule, number=2, document=body,
                                       document_sha256=sha256_text(canonical_json(body)),
                                       status=DiscountRuleVersion.Status.PUBLISHED)
    assert applied() == [("grade-ladder", 3_600, "15% (grade vip)")]


def test_a_restored_database_that_reuses_a_version_id_with_other_content_is_read_anew(shop):
    assert applied() == [("grade-ladder", 2_400, "10% (grade vip)")]
    version = DiscountRuleVersion.objects.get(rule__code="grade-ladder")
    body = {**version.document, "discount": {"type": "grade_ladder", "grades": {"vip": "7"}}}
    DiscountRuleVersion.objects.filter(pk=version.pk).update(document=body,
                                                             document_sha256=sha256_text(canonical_json(body)))
    assert applied() == [("grade-ladder", 1_680, "7% (grade vip)")]


def test_a_contract_percent_with_two_decimals_is_exact_on_every_database(shop):
    discount_contract_set(customer_code="C001", rule_code="grade-ladder", percent="33.33", actor=None)
    # 240.00 x 33.33 % = 79.992 -> 79.99; a float on the way (SQLite keeps decimals as floats) would show here
    assert applied() == [("grade-ladder", 7_999, "33.33% (contract)")]
    result = quote_to_json(quote_prepare(actor=None, customer_code="C001", day=DAY, lines=TEA))
    assert result["lines"][0]["applied"][0]["percent"] == "33.33"
    assert Decimal(result["lines"][0]["applied"][0]["percent"]) == Decimal("33.33")
