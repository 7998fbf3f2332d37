"""Discount rules stored as versions, contracts, quotes and the usage ledger, on a real database."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connections

from fanli.common.exceptions import Conflict, ValidationFailed
from fanli.common.models import AuditEvent
from fanli.discounts.models import (
    DiscountCustomerUse,
    DiscountedInvoice,
    DiscountRuleUse,
    DiscountRuleVersion,
    DiscountUsage,
)
from fanli.discounts.selectors import LineRequest, quote_prepare, quote_to_json, rule_usage
from fanli.discounts.services import discount_contract_set, discount_rule_apply, invoice_discounts_record
from tests.builders import catalog, customer

LADDER = """
code: grade-ladder
name: 等级折扣
valid_from: 2026-01-01
priority: 10
discount: {type: grade_ladder, grades: {normal: 5, vip: 10, svip: 15}}
"""
ONCE = """
code: first-order
name: 首单立减
valid_from: 2026-01-01
stacking: additive
additive_cap_percent: 12
discount: {type: percent, percent: 3}
limits: {uses_per_customer: 1, budget: 1000}
"""
DAY = date(2026, 11, 20)
TEA = [LineRequest("TEA-1", "2")]  # list price 120.00 -> 240.00


@pytest.fixture
def shop(db):
    catalog()
    customer("C001", grade="vip")
    customer("C002", grade="normal")
    discount_rule_apply(text=LADDER, actor=None)
    discount_rule_apply(text=ONCE, actor=None)


def test_a_quote_applies_the_ladder_and_an_additive_rule_and_writes_nothing(shop):
    result = quote_to_json(quote_prepare(actor=None, customer_code="C001", day=DAY, lines=TEA))
    assert (result["gross_minor"], result["discount_minor"], result["net_minor"]) == (24_000, 2_880, 21_120)
    assert result["lines"][0]["applied"] == [
        {"rule": "grade-ladder", "percent": "10", "amount_minor": 2_400, "reason": "10% (grade vip)"},
        {"rule": "first-order", "percent": "3", "amount_minor": 480, "reason": "3% (rule); trimmed to the 12% cap"},
    ]
    assert DiscountUsage.objects.count() == 0 and DiscountRuleUse.objects.count() == 0


def test_a_contract_percent_replaces_the_grade_rate(shop):
    discount_contract_set(customer_code="C002", rule_code="grade-ladder", percent="12", actor=None, note="年度协议")
    line = quote_prepare(actor=None, customer_code="C002", day=DAY, lines=TEA).lines[0]
    assert [(a.rule, a.amount_minor, a.reason) for a in line.applied] == [("grade-ladder", 2_880, "12% (contract)")]
    assert [(s.rule, s.reason) for s in line.skipped] == [("first-order", "the line's discount already reaches the 12% cap")]


def test_recording_an_invoice_writes_its_usages_once_and_enforces_the_per_customer_limit(shop):
    invoice = invoice_discounts_record(invoice_number="INV-1", customer_code="C001", day=DAY, lines=TEA, actor=None,
                                       expected_net_minor=21_120)
    assert (invoice.gross_minor, invoice.discount_minor) == (24_000, 2_880)
    assert list(DiscountUsage.objects.values_list("rule__code", "invoice_number", "line_number", "amount_minor")
                .order_by("rule__code")) == [("first-order", "INV-1", 1, 480), ("grade-ladder", "INV-1", 1, 2_400)]
    assert invoice_discounts_record(invoice_number="INV-1", customer_code="C001", day=DAY, lines=TEA,
                                    actor=None).pk == invoice.pk  # a replay records nothing new
    assert DiscountUsage.objects.count() == 2
    with pytest.raises(Conflict):
        invoice_discounts_record(invoice_number="INV-1", customer_code="C001", day=DAY,
                                 lines=[LineRequest("TEA-1", "3")], actor=None)
    second = quote_prepare(actor=None, customer_code="C001", day=DAY, lines=TEA)
    assert [s.reason for s in second.skipped] == ["already used on 1 invoice(s) of this customer, the limit"]
    assert second.discount_minor == 2_400
    assert quote_prepare(actor=None, customer_code="C002", day=DAY, lines=TEA).discount_minor == 1_200 + 720  # C002 not yet
    uses = {u.rule.code: (u.invoices, u.spent_minor) for u in DiscountRuleUse.objects.select_related("rule")}
    assert uses == {"grade-ladder": (1, 2_400), "first-order": (1, 480)}
    assert {r["rule"]: (r["invoices"], r["spent_minor"], r["budget_minor"]) for r in rule_usage()} == {
        "grade-ladder": (1, 2_400, None), "first-order": (1, 480, 100_000)}
    assert AuditEvent.objects.filter(action="discount.invoice_record").count() == 1


def test_a_quote_that_changed_since_it_was_shown_is_refused_and_nothing_is_written(shop):
    shown = quote_prepare(actor=None, customer_code="C001", day=DAY, lines=TEA).net_minor
    invoice_discounts_record(invoice_number="INV-1", customer_code="C001", day=DAY, lines=TEA, actor=None)
    with pytest.raises(Conflict) as failure:
        invoice_discounts_record(invoice_number="INV-2", customer_code="C001", day=DAY, lines=TEA, actor=None,
                                 expected_net_minor=shown)
    assert failure.value.code == "quote_changed"
    assert not DiscountedInvoice.objects.filter(number="INV-2").exists()
    assert DiscountUsage.objects.filter(invoice_number="INV-2").count() == 0
    assert DiscountCustomerUse.objects.get(rule__code="first-order", customer__code="C001").invoices == 1


def test_unknown_customer_and_skus_and_bad_numbers_are_all_reported_and_nothing_changes(shop):
    with pytest.raises(ValidationFailed) as failure:
        quote_prepare(actor=None, customer_code="NOPE", day=DAY, lines=[LineRequest("TEA-1", "0"), LineRequest("GHOST", "1"),
                                                            LineRequest("RICE-1", "1", "12.345")])
    assert failure.value.details["errors"] == [
        {"path": "customer", "message": "no customer 'NOPE'"},
        {"path": "lines.0.quantity", "message": "'0' is not a positive quantity"},
        {"path": "lines.1.sku", "message": "no product with SKU 'GHOST'"},
        {"path": "lines.2.unit_price", "message": "'12.345' is not a price (at most two decimals, not negative)"},
    ]
    with pytest.raises(ValidationFailed):
        invoice_discounts_record(invoice_number="INV-9", customer_code="C001", day=DAY,
                                 lines=[LineRequest("GHOST", "1")], actor=None)
    assert DiscountedInvoice.objects.count() == 0 and DiscountUsage.objects.count() == 0


def test_a_rule_with_wrong_types_lists_every_error_by_path_and_stores_nothing(shop):
    before = DiscountRuleVersion.objects.count()
    with pytest.raises(ValidationFailed) as failure:
        discount_rule_apply(text="""
code: Bad Code
name: bad
valid_from: someday
discount: {type: grade_ladder, grades: {vip: lots}}
stacking: sideways
limits: {budget: -5}
""", actor=None)
    paths = sorted(e["path"] for e in failure.value.details["errors"])
    assert paths == ["code", "discount.grades.vip", "limits.budget", "stacking", "valid_from"]
    assert DiscountRuleVersion.objects.count() == before


def test_applying_the_same_rule_again_stores_nothing_and_a_change_is_a_new_version(shop):
    version, created = discount_rule_apply(text=LADDER, actor=None)
    assert (version.number, created) == (1, False)
    changed, created = discount_rule_apply(text=LADDER.replace("vip: 10", "vip: 11"), actor=None)
    assert (changed.number, created, changed.status) == (2, True, "published")
    assert DiscountRuleVersion.objects.get(rule__code="grade-ladder", number=1).status == "retired"


@pytest.mark.django_db(transaction=True)
def test_two_invoices_racing_for_the_last_use_only_one_gets_the_discount():
    catalog()
    customer("C001", grade="vip")
    discount_rule_apply(text=ONCE.replace("uses_per_customer: 1", "uses_total: 1"), actor=None)
    shown = quote_prepare(actor=None, customer_code="C001", day=DAY, lines=TEA).net_minor
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def record(number: str) -> None:
        try:
            barrier.wait(timeout=10)
            invoice_discounts_record(invoice_number=number, customer_code="C001", day=DAY, lines=TEA, actor=None,
                                     expected_net_minor=shown)
            outcomes[number] = "recorded"
        except Conflict as conflict:
            outcomes[number] = conflict.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=(n,)) for n in ("INV-A", "INV-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["quote_changed", "recorded"]
    assert DiscountUsage.objects.count() == 1 and DiscountRuleUse.objects.get().invoices == 1


def test_a_quote_offers_rebate_credit_within_the_policys_cap_per_order(shop):
    from fanli.rebates.models import Statement
    from fanli.rebates.payouts import payout_record
    from fanli.rebates.services import policy_apply, settlement_run, statement_approve
    from tests.builders import invoice

    policy_apply(text="""
code: credit-q
name: 返利账户
valid_from: 2026-01-01
settlement: {period: quarter}
calculation: {type: flat_rate, rate_percent: 2}
payout: {form: rebate_account, max_offset_percent_per_order: 10}
""", actor=None)
    from fanli.customers.models import Customer

    invoice(Customer.objects.get(code="C001"), date(2026, 2, 1), ("TEA-1", "50000"))  # 2 % = ¥1,000.00 of credit
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    statement = Statement.objects.get(customer__code="C001")
    statement_approve(statement_id=statement.pk, actor=None, on=date(2026, 4, 2))
    payout_record(statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 10))
    credit = quote_to_json(quote_prepare(actor=None, customer_code="C001", day=DAY, lines=TEA))["rebate_credit"]
    # net ¥211.20 after discounts: 10 % of it may be paid with the ¥1,000.00 of credit
    assert (credit["available_minor"], credit["usable_minor"], credit["net_after_credit_minor"]) == (100_000, 2_112, 19_008)
    nothing = quote_to_json(quote_prepare(actor=None, customer_code="C002", day=DAY, lines=TEA))["rebate_credit"]
    assert (nothing["available_minor"], nothing["usable_minor"]) == (0, 0)


def test_a_loyalty_tier_discount_applies_after_the_rules_and_is_not_a_rules_usage(shop):
    from fanli.loyalty.models import Member
    from fanli.loyalty.services import member_enrol, programme_apply
    from tests.loyalty.test_points import PROGRAMME

    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C002", day=date(2026, 1, 5), actor=None)
    Member.objects.update(tier_code="gold")  # gold: 3 % off as a tier benefit
    line = quote_prepare(actor=None, customer_code="C002", day=DAY, lines=TEA).lines[0]
    # normal grade 5 % = 12.00, first order 3 % = 7.20, then gold 3 % of 240.00 = 7.20
    assert [(a.rule, a.amount_minor) for a in line.applied] == [
        ("grade-ladder", 1_200), ("first-order", 720), ("tier:club:gold", 720)]
    assert line.applied[-1].reason == "3% (金卡, 会员俱乐部)"
    invoice = invoice_discounts_record(invoice_number="INV-G", customer_code="C002", day=DAY, lines=TEA, actor=None)
    assert invoice.discount_minor == 2_640
    assert sorted(DiscountUsage.objects.values_list("rule__code", "amount_minor")) == [
        ("first-order", 720), ("grade-ladder", 1_200)]
