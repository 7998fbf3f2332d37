"""Interim settlement, payouts in every form, credit use, progress, pooling and reconciliation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fanli.common.exceptions import StateError, ValidationFailed
from fanli.ledger.models import Account, LedgerEntry, Payout
from fanli.ledger.selectors import account_balances, customer_balances, ledger_check
from fanli.rebates.models import Statement
from fanli.rebates.payouts import payout_record, rebate_credit_use
from fanli.rebates.selectors import customer_progress, reconcile, statement_lines
from fanli.rebates.services import enrolment_set, policy_apply, settlement_run, statement_approve, statement_dispute
from fanli.sales.models import SalesDocument
from tests.builders import catalog, credit_note, customer, invoice

pytestmark = pytest.mark.django_db


def policy(code: str, calculation: str, *, period: str = "quarter", extra: str = "", payout: str = "{form: cash}") -> str:
    return f"""
code: {code}
name: {code}
valid_from: 2026-01-01
settlement: {{period: {period}, due_days: 30}}
calculation: {calculation}
payout: {payout}
{extra}
"""


def approved(statement_id: int) -> Statement:
    """Approved on the first day after its period, so any payout in these scenarios may follow."""
    period_end = Statement.objects.get(pk=statement_id).period_end
    return statement_approve(statement_id=statement_id, actor=None, on=period_end + timedelta(days=1))


def test_interim_payments_on_account_are_deducted_from_the_final_settlement_as_in_sap_example():
    catalog()
    policy_apply(text=policy(
        "dealer-year",
        "{type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, {from: 50000, rate_percent: 2}]}",
        period="year", extra="", payout="{form: cash}",
    ).replace("period: year,", "period: year, interim: quarter,"), actor=None)
    dealer = customer("D01", kind="dealer")
    invoice(dealer, date(2026, 2, 1), ("TEA-1", "14000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    on_account = Statement.objects.get()
    assert (on_account.kind, on_account.period_key, on_account.amount_minor) == ("interim", "2026", 14_000)
    assert on_account.due_date == date(2026, 4, 30)
    invoice(dealer, date(2026, 9, 1), ("TEA-1", "40000"))
    settlement_run(period_key="2026", actor=None, today=date(2027, 1, 2))
    final = Statement.objects.order_by("-id").first()
    assert (final.kind, final.earned_minor, final.previously_settled_minor, final.amount_minor) == (
        "settlement", 108_000, 14_000, 94_000)
    assert final.due_date == date(2027, 1, 30)


def test_each_payout_form_books_its_accounts_and_goods_keep_the_remainder_as_credit():
    catalog()
    forms = {
        "p-cash": "{form: cash}",
        "p-credit": "{form: rebate_account, max_offset_percent_per_order: 10}",
        "p-goods": "{form: goods, goods_sku: TEA-1}",
        "p-points": "{form: points, points_per_yuan: 10}",
    }
    for code, payout in forms.items():
        policy_apply(text=policy(code, "{type: flat_rate, rate_percent: 1}", payout=payout), actor=None)
    buyer = customer("C01")
    invoice(buyer, date(2026, 1, 15), ("RICE-1", "3456789.00"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    by_policy = {s.policy.code: s for s in Statement.objects.select_related("policy")}
    assert {s.amount_minor for s in by_policy.values()} == {3_456_789}
    for statement in by_policy.values():
        payout_record(statement_id=approved(statement.pk).pk, actor=None, paid_on=date(2026, 4, 20))
    goods = Payout.objects.get(form="goods")
    # 34,567.89 at a list price of 120.00: 288 units worth 34,560.00, 7.89 kept as credit
    assert (goods.goods_quantity, goods.goods_value_minor, goods.remainder_credit_minor) == (288, 3_456_000, 789)
    assert Payout.objects.get(form="points").points == 345_678
    balances = customer_balances(buyer.pk)
    assert balances["rebate_account_minor"] == 3_456_789 + 789
    assert balances["paid_cash_minor"] == 3_456_789
    assert balances["paid_goods_minor"] == 3_456_000
    assert balances["paid_points_minor"] == 3_456_789
    assert balances["payable_minor"] == 0
    assert set(Statement.objects.values_list("state", flat=True)) == {"paid"}
    with pytest.raises(StateError, match="only an approved statement is paid"):
        payout_record(statement_id=by_policy["p-cash"].pk, actor=None, paid_on=date(2026, 4, 21))
    assert Payout.objects.count() == 4
    assert ledger_check()["problems"] == []


def test_credit_use_is_capped_per_order_and_split_over_lines_exactly():
    catalog()
    policy_apply(text=policy("p-credit", "{type: flat_rate, rate_percent: 10}",
                             payout="{form: rebate_account, max_offset_percent_per_order: 10, max_offset_amount: 500}"),
                 actor=None)
    buyer = customer("C01")
    invoice(buyer, date(2026, 1, 15), ("RICE-1", "10000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    payout_record(statement_id=approved(Statement.objects.get().pk).pk, actor=None, paid_on=date(2026, 4, 2))
    assert customer_balances(buyer.pk)["rebate_account_minor"] == 100_000
    with pytest.raises(ValidationFailed, match=r"at most 300\.00"):
        rebate_credit_use(customer_id=buyer.pk, order_reference="SO-1", line_amounts_minor=[100_000, 100_000, 100_000],
                          effective_date=date(2026, 4, 3), actor=None, requested_minor=40_000)
    order = rebate_credit_use(customer_id=buyer.pk, order_reference="SO-1", line_amounts_minor=[100_000, 100_000, 100_000],
                              effective_date=date(2026, 4, 3), actor=None)
    assert order.offset_minor == 30_000
    assert order.line_split == [10_000, 10_000, 10_000]
    big = rebate_credit_use(customer_id=buyer.pk, order_reference="SO-2", line_amounts_minor=[333_333, 333_334, 333_334],
                            effective_date=date(2026, 4, 3), actor=None)
    assert big.offset_minor == 50_000  # capped at 500.00 per order, below 10 %
    assert big.line_split == [16_666, 16_667, 16_667] and sum(big.line_split) == 50_000
    again = rebate_credit_use(customer_id=buyer.pk, order_reference="SO-2", line_amounts_minor=[333_333, 333_334, 333_334],
                              effective_date=date(2026, 4, 3), actor=None)
    assert again.pk == big.pk
    assert customer_balances(buyer.pk)["rebate_account_minor"] == 20_000


def test_progress_shows_basis_tier_gap_earned_and_projection_at_any_date():
    catalog()
    policy_apply(text=policy("dist-q", "{type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, "
                             "{from: 100000, rate_percent: 2}, {from: 300000, rate_percent: 3}]}"), actor=None)
    buyer = customer("C01")
    invoice(buyer, date(2026, 1, 10), ("TEA-1", "90000"))
    invoice(buyer, date(2026, 2, 10), ("COLA-1", "30000"))
    [row] = customer_progress(buyer, date(2026, 2, 28))
    assert (row["period"], row["basis_amount"], row["tier_reached"]) == ("2026-Q1", "120000", 2)
    assert (row["next_tier_from"], row["gap_to_next_tier"]) == ("300000", "180000")
    assert row["earned_minor"] == 240_000
    # 120,000 in 59 of 90 days runs at 183,050.85 for the quarter: still tier 2
    assert row["projected_minor"] == 366_102
    [early] = customer_progress(buyer, date(2026, 1, 31))
    assert (early["basis_amount"], early["tier_reached"], early["gap_to_next_tier"]) == ("90000", 1, "10000")


def test_pooled_branches_share_the_group_rebate_in_proportion_and_the_parts_add_up():
    catalog()
    policy_apply(text=policy("group", "{type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, "
                             "{from: 100000, rate_percent: 3}]}", extra="pooling: parent"), actor=None)
    head = customer("G00")
    branches = [customer(f"G0{i}", parent=head) for i in (1, 2, 3)]
    invoice(branches[0], date(2026, 1, 5), ("TEA-1", "33333.33"))
    invoice(branches[1], date(2026, 1, 5), ("TEA-1", "33333.33"))
    invoice(branches[2], date(2026, 1, 5), ("TEA-1", "33333.35"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    shares = dict(Statement.objects.values_list("customer__code", "amount_minor"))
    assert sum(shares.values()) == 300_000  # 100,000.01 pooled reaches 3 %: 3,000.0003 -> 3,000.00
    assert shares == {"G01": 100_000, "G02": 100_000, "G03": 100_000}
    explanation = Statement.objects.get(customer__code="G01").explanation
    assert explanation["pool"]["head"] == "G00" and explanation["pool"]["pooled_amount"] == "100000.01"


def test_explanation_lists_counted_and_excluded_lines_with_reasons():
    catalog()
    policy_apply(text=policy("tea-only", "{type: flat_rate, rate_percent: 2}",
                             extra="scope: {include: {categories: [drinks]}, exclude: {skus: [COLA-1]}}"), actor=None)
    buyer = customer("C01")
    invoice(buyer, date(2026, 1, 5), ("TEA-1", "1000"), ("COLA-1", "500"), ("RICE-1", "700"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    statement = Statement.objects.get()
    assert statement.amount_minor == 2_000
    listing = statement_lines(statement)
    reasons = {line["sku"]: (line["counted"], line["reason"]) for line in listing["lines"]}
    assert reasons == {
        "TEA-1": (True, "category drinks is included"),
        "COLA-1": (False, "SKU COLA-1 is excluded"),
        "RICE-1": (False, "not in the policy's product scope"),
    }
    assert listing["by_reason"]["counted"] == {"lines": 1, "amount_minor": 100_000}


def test_reconcile_reports_late_data_as_pending_and_nothing_once_adjusted():
    catalog()
    policy_apply(text=policy("flat", "{type: flat_rate, rate_percent: 1}"), actor=None)
    buyer = customer("C01")
    sale = invoice(buyer, date(2026, 1, 5), ("TEA-1", "10000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert reconcile() == []
    credit_note(buyer, date(2026, 4, 5), ("TEA-1", "4000"), reverses=sale)
    [row] = reconcile()
    assert (row["settled_minor"], row["recomputed_minor"], row["difference_minor"]) == (10_000, 6_000, -4_000)
    assert (row["late_documents"], row["status"]) == (1, "pending adjustment")
    SalesDocument.objects.filter(kind="return").update(recorded_at=Statement.objects.get().created_at)
    assert reconcile()[0]["status"] == "drift"
    settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 7, 1))
    assert reconcile() == []
    assert ledger_check()["balanced"] is True


def test_a_disputed_statement_cannot_be_paid_and_keeps_its_amount():
    catalog()
    policy_apply(text=policy("flat", "{type: flat_rate, rate_percent: 1}"), actor=None)
    invoice(customer("C01"), date(2026, 1, 5), ("TEA-1", "10000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    statement = Statement.objects.get()
    statement_dispute(statement_id=statement.pk, reason="customer counts 12,000", actor=None)
    with pytest.raises(StateError):
        payout_record(statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 2))
    statement.refresh_from_db()
    assert (statement.state, statement.amount_minor) == ("disputed", 10_000)
    assert not LedgerEntry.objects.filter(kind="payout").exists()


def test_enrolment_overrides_replace_the_tier_table_for_that_customer_only():
    catalog()
    policy_apply(text=policy("deal", "{type: tiers, mode: incremental, tiers: [{from: 0, rate_percent: 1}, "
                             "{from: 100000, rate_percent: 2}]}",
                             extra="eligibility: {enrolment_required: true}"), actor=None)
    a, b, c = customer("A"), customer("B"), customer("C")
    for who in (a, b, c):
        invoice(who, date(2026, 1, 5), ("TEA-1", "200000"))
    enrolment_set(policy_code="deal", customer_code="A", actor=None)
    enrolment_set(policy_code="deal", customer_code="B", actor=None,
                  overrides={"tiers": [{"from": 0, "rate_percent": 2}, {"from": 150000, "rate_percent": 4}]})
    with pytest.raises(ValidationFailed) as refused:
        enrolment_set(policy_code="deal", customer_code="C", actor=None,
                      overrides={"tiers": [{"from": 10, "rate_percent": "x"}], "colour": "red"})
    paths = {e["path"] for e in refused.value.details["errors"]}
    assert paths == {"overrides.colour"}
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    amounts = dict(Statement.objects.values_list("customer__code", "amount_minor"))
    assert amounts == {"A": 300_000, "B": 500_000}  # C has no agreement
    assert account_balances()[Account.REBATES_PAYABLE] == 800_000


def test_credit_is_used_earliest_expiry_first_and_expired_credit_is_released_once():
    from fanli.ledger.models import CreditLot, CreditUse
    from fanli.ledger.services import credit_expire

    catalog()
    policy_apply(text=policy("short", "{type: flat_rate, rate_percent: 1}",
                             payout="{form: rebate_account, credit_expiry_days: 30}"), actor=None)
    policy_apply(text=policy("forever", "{type: flat_rate, rate_percent: 2}", payout="{form: rebate_account}"),
                 actor=None)
    buyer = customer("C01")
    invoice(buyer, date(2026, 1, 15), ("RICE-1", "100000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    for statement in Statement.objects.all():
        payout_record(statement_id=approved(statement.pk).pk, actor=None, paid_on=date(2026, 4, 2))
    short, forever = CreditLot.objects.get(expires_on=date(2026, 5, 2)), CreditLot.objects.get(expires_on=None)
    assert (short.amount_minor, forever.amount_minor) == (100_000, 200_000)
    rebate_credit_use(customer_id=buyer.pk, order_reference="SO-1", line_amounts_minor=[60_000],
                      effective_date=date(2026, 4, 10), actor=None)
    assert list(CreditUse.objects.values_list("lot_id", "amount_minor")) == [(short.pk, 60_000)]
    with pytest.raises(ValidationFailed, match=r"at most 2000\.00"):
        rebate_credit_use(customer_id=buyer.pk, order_reference="SO-2", line_amounts_minor=[500_000],
                          effective_date=date(2026, 5, 3), actor=None, requested_minor=240_000)
    assert credit_expire(today=date(2026, 5, 3), actor=None) == 40_000
    assert credit_expire(today=date(2026, 5, 4), actor=None) == 0
    balances = customer_balances(buyer.pk)
    assert (balances["rebate_account_minor"], balances["credit_available_minor"]) == (200_000, 200_000)
    assert account_balances()[Account.REBATE_EXPENSE] == 300_000 - 40_000
    assert ledger_check()["problems"] == []


def test_running_an_earlier_interim_again_never_undoes_a_later_one():
    catalog()
    policy_apply(text=policy("year", "{type: flat_rate, rate_percent: 1}", period="year").replace(
        "period: year,", "period: year, interim: quarter,"), actor=None)
    dealer = customer("D01", kind="dealer")
    invoice(dealer, date(2026, 2, 1), ("TEA-1", "10000"))
    invoice(dealer, date(2026, 5, 1), ("TEA-1", "20000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 7, 2))
    settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 7, 2))
    run = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 7, 3))
    assert run.summary["skipped"] == [{"policy": "year", "reason": "2026 already settled on account up to 2026-06-30"}]
    assert list(Statement.objects.order_by("id").values_list("kind", "amount_minor")) == [
        ("interim", 10_000), ("interim", 20_000)]
