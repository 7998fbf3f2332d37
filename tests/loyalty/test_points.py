"""The points ledger on a worked sequence with exact balances, bad input, and its invariants."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal

import pytest
import yaml
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st

from fanli.common.exceptions import Conflict, ValidationFailed
from fanli.loyalty.document import parse_programme
from fanli.loyalty.engine import LotView, NotEnoughPoints, allocate, expiry_date, points_for
from fanli.loyalty.models import Member, PointLot, PointMovement
from fanli.loyalty.selectors import liability, member_balance, points_statement
from fanli.loyalty.services import (
    member_enrol,
    points_earn,
    points_expire,
    points_redeem,
    points_take_back,
    programme_apply,
)
from tests.builders import catalog, credit_note, customer, invoice

PROGRAMME = """
code: club
name: 会员俱乐部
valid_from: 2026-01-01
point_value: 0.01
min_order_amount: 50
tiers:
  - {code: bronze, name: 铜卡, from_spend: 0, earn_percent: 5}
  - {code: silver, name: 银卡, from_spend: 5000, earn_percent: 8}
  - {code: gold, name: 金卡, from_spend: 20000, earn_percent: 10, discount_percent: 3, entitlements: [free delivery]}
bonuses: {sign_up: 100, first_purchase: 200, email_opt_in: 50}
campaigns: [{name: 双11, from: 2026-11-01, until: 2026-11-11, multiplier: 2}]
expiry: {rule: months_after_earning, months: 12}
"""


def test_the_engine_earns_rounds_down_and_expires_by_rule():
    document = parse_programme(yaml.safe_load(PROGRAMME))
    bronze, gold = document.tiers[0], document.tiers[2]
    assert points_for(document, bronze, 10_000, date(2026, 5, 1)) == 500  # 5 % of ¥100.00 at ¥0.01 a point
    assert points_for(document, gold, 10_000, date(2026, 11, 11)) == 2_000  # 10 %, doubled on Double-11
    assert points_for(document, bronze, 10_099, date(2026, 5, 1)) == 504  # 504.95 rounds down, never up
    assert points_for(document, bronze, -500, date(2026, 5, 1)) == 0
    assert expiry_date(document, date(2026, 1, 31)) == date(2027, 1, 31)
    yearly = document.model_copy(update={"expiry": parse_programme({**yaml.safe_load(PROGRAMME),
                                                                    "expiry": {"rule": "end_of_following_year"}}).expiry})
    assert expiry_date(yearly, date(2026, 3, 5)) == date(2027, 12, 31)


@pytest.mark.django_db
def test_earn_redeem_partial_return_and_expiry_with_exact_balances():
    catalog()
    acme = customer("C001")
    programme_apply(text=PROGRAMME, actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None,
                          email_opt_in=True)
    assert member_balance(member) == 150  # sign-up 100 + e-mail 50
    sale = invoice(acme, date(2026, 2, 1), ("TEA-1", "1000"), ("RICE-1", "200"))
    assert points_earn(programme_code="club", invoice_number=sale.number) == 5_000 + 1_000 + 200
    assert points_earn(programme_code="club", invoice_number=sale.number) == 0  # once only
    assert member_balance(member) == 6_350
    points_redeem(programme_code="club", customer_code="C001", points=300, reference="R-1", day=date(2026, 3, 1),
                  actor=None)
    # the bonuses of 5 January expire first, so they are spent first (150), then the oldest lot of 1 February
    assert dict(PointLot.objects.values_list("source_ref", "remaining")) == {
        "bonus:sign_up": 0, "bonus:email_opt_in": 0, f"{sale.number}:1": 4_850, f"{sale.number}:2": 1_000,
        "bonus:first_purchase": 200}
    credit_note(acme, date(2026, 3, 10), ("TEA-1", "400"), reverses=sale, number="RT-1")
    assert points_take_back(programme_code="club", return_number="RT-1") == 2_000  # 40 % of the 5,000 it earned
    assert member_balance(member) == 4_050
    assert points_expire(day=date(2027, 2, 2)) == 3  # the Feb 2026 lots' last day was 1 Feb 2027
    assert member_balance(member) == 0
    assert points_expire(day=date(2027, 2, 2)) == 0  # nothing twice
    statement = points_statement(member)
    assert [row["balance"] for row in statement][-1] == 0
    assert [(row["kind"], row["points"]) for row in statement if row["kind"] == "expire"] == [
        ("expire", -2_850), ("expire", -1_000), ("expire", -200)]


@pytest.mark.django_db
def test_redemption_above_the_balance_or_twice_is_refused_and_changes_nothing():
    catalog()
    customer("C001")
    programme_apply(text=PROGRAMME, actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    with pytest.raises(ValidationFailed) as failure:
        points_redeem(programme_code="club", customer_code="C001", points=101, reference="R-1",
                      day=date(2026, 1, 6), actor=None)
    assert failure.value.message == "C001 has 100 points usable on 2026-01-06; 101 asked"
    points_redeem(programme_code="club", customer_code="C001", points=60, reference="R-2", day=date(2026, 1, 6),
                  actor=None)
    with pytest.raises(Conflict):
        points_redeem(programme_code="club", customer_code="C001", points=10, reference="R-2", day=date(2026, 1, 6),
                      actor=None)
    with pytest.raises(ValidationFailed):  # the lot expired on 5 January 2027
        points_redeem(programme_code="club", customer_code="C001", points=10, reference="R-3",
                      day=date(2027, 1, 6), actor=None)
    assert member_balance(member) == 40 and PointMovement.objects.filter(kind="redeem").count() == 1


@pytest.mark.django_db
def test_a_programme_with_wrong_types_lists_every_error_and_stores_nothing():
    with pytest.raises(ValidationFailed) as failure:
        programme_apply(text="code: x1\nname: n\nvalid_from: soon\npoint_value: -1\ntiers: [{code: a, name: A, "
                             "from_spend: 10, earn_percent: 500}]\nexpiry: {rule: never}", actor=None)
    paths = sorted(e["path"] for e in failure.value.details["errors"])
    assert paths == ["expiry", "point_value", "tiers.0.earn_percent", "valid_from"]


@pytest.mark.django_db
def test_a_return_beyond_the_balance_is_owed_when_the_programme_allows_it():
    catalog()
    acme = customer("C001")
    programme_apply(text=PROGRAMME + "allow_negative_balance: true\n", actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    sale = invoice(acme, date(2026, 2, 1), ("TEA-1", "1000"))
    points_earn(programme_code="club", invoice_number=sale.number)
    points_redeem(programme_code="club", customer_code="C001", points=5_300, reference="R-1", day=date(2026, 2, 2),
                  actor=None)
    credit_note(acme, date(2026, 2, 10), ("TEA-1", "1000"), reverses=sale, number="RT-1")
    assert points_take_back(programme_code="club", return_number="RT-1") == 5_000
    assert member_balance(member) == -5_000  # all 5,300 were spent; the 5,000 the line earned are owed
    assert liability(member.programme, today=date(2026, 2, 11))["owed_points"] == 5_000
    with pytest.raises(ValidationFailed):
        points_redeem(programme_code="club", customer_code="C001", points=1, reference="R-2", day=date(2026, 2, 12),
                      actor=None)


@settings(max_examples=60, deadline=None)
@given(lots=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 5_000)), min_size=1, max_size=12),
       wanted=st.integers(1, 20_000), today_offset=st.integers(0, 400))
def test_allocation_never_takes_an_expired_lot_or_more_than_a_lot_holds(lots, wanted, today_offset):
    base = date(2026, 1, 1)
    views = [LotView(i, date.fromordinal(base.toordinal() + days), remaining) for i, (days, remaining) in enumerate(lots)]
    today = date.fromordinal(base.toordinal() + today_offset)
    usable = sum(v.remaining for v in views if v.expires_on >= today)
    try:
        taken = allocate(views, wanted, today=today)
    except NotEnoughPoints as short:
        assert wanted > usable and short.available == usable
        return
    by_id = {v.lot_id: v for v in views}
    assert sum(points for _, points in taken) == wanted
    assert all(by_id[lot].expires_on >= today and 0 < points <= by_id[lot].remaining for lot, points in taken)
    expiries = [by_id[lot].expires_on for lot, _ in taken]
    assert expiries == sorted(expiries)  # earliest expiry first


@pytest.mark.django_db
def test_every_balance_is_the_sum_of_lot_remainders_and_of_movements():
    catalog()
    acme = customer("C001")
    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None, email_opt_in=True)
    for month in range(1, 7):
        sale = invoice(acme, date(2026, month, 15), ("TEA-1", str(100 * month)), ("COLA-1", "60"))
        points_earn(programme_code="club", invoice_number=sale.number)
        if month % 2 == 0:
            points_redeem(programme_code="club", customer_code="C001", points=150 * month, reference=f"R-{month}",
                          day=date(2026, month, 20), actor=None)
    points_expire(day=date(2027, 3, 1))
    for member in Member.objects.all():
        lots = PointLot.objects.filter(member=member).aggregate(total=Sum("remaining"))["total"]
        moves = PointMovement.objects.filter(member=member).aggregate(total=Sum("points"))["total"]
        assert lots == moves == member_balance(member)


@pytest.mark.django_db
def test_the_command_line_runs_the_whole_sequence(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    def run(*args: str) -> str:
        out = StringIO()
        call_command("loyalty", *args, stdout=out)
        return out.getvalue()

    catalog()
    acme = customer("C001")
    (tmp_path / "club.yaml").write_text(PROGRAMME, encoding="utf-8")
    assert run("apply", str(tmp_path / "club.yaml")) == "club v1 (stored)\n"
    assert run("enrol", "club", "C001", "--date", "2026-01-05") == "C001: member of club, 100 points\n"
    sale = invoice(acme, date(2026, 2, 1), ("TEA-1", "1000"))
    assert run("earn", "club", sale.number) == f"{sale.number}: 5200 points\n"
    assert run("redeem", "club", "C001", "300", "--reference", "R-1", "--date", "2026-02-02") == \
        "C001: 300 points redeemed for ¥3.00 off (R-1)\n"
    assert run("balance", "club", "C001").splitlines()[-1] == "balance 5000 points"
    assert run("expire", "--date", "2027-02-02") == "2 lot(s) expired\n"
    assert run("liability", "club", "--date", "2027-02-02").splitlines() == [
        "outstanding 0 points = ¥0.00", "expiring within 30 days 0 points = ¥0.00",
        "breakage so far 94.34%: expected ¥0.00"]


@pytest.mark.django_db
def test_a_tier_rises_at_once_and_falls_only_after_the_grace_at_review():
    from fanli.loyalty.models import TierChange
    from fanli.loyalty.services import tier_review

    catalog()
    acme = customer("C001")
    programme_apply(text=PROGRAMME, actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    small = invoice(acme, date(2026, 1, 20), ("TEA-1", "3000"))
    assert points_earn(programme_code="club", invoice_number=small.number) == 15_000 + 200  # bronze 5 %, bonus
    big = invoice(acme, date(2026, 2, 10), ("TEA-1", "2500"))  # 5,500 in the window: silver, at once
    assert points_earn(programme_code="club", invoice_number=big.number) == 20_000  # 8 % already on this one
    member.refresh_from_db()
    assert (member.tier_code, member.tier_since) == ("silver", date(2026, 2, 10))
    # a year later the spend has left the window: below silver, but the grace (3 months) starts first
    assert tier_review(programme_code="club", day=date(2027, 2, 11)) == {"up": 0, "down": 0, "grace_started": 1}
    member.refresh_from_db()
    assert (member.tier_code, member.below_since) == ("silver", date(2027, 2, 11))
    assert tier_review(programme_code="club", day=date(2027, 5, 10))["down"] == 0  # a day short of the grace
    assert tier_review(programme_code="club", day=date(2027, 5, 11))["down"] == 1
    member.refresh_from_db()
    assert (member.tier_code, member.below_since) == ("bronze", None)
    assert list(TierChange.objects.values_list("from_tier", "to_tier", "day", "qualifying_spend_minor")) == [
        ("bronze", "silver", date(2026, 2, 10), 550_000), ("silver", "bronze", date(2027, 5, 11), 0)]


@pytest.mark.django_db
def test_spending_again_during_the_grace_keeps_the_tier():
    from fanli.loyalty.services import tier_review

    catalog()
    acme = customer("C001")
    programme_apply(text=PROGRAMME, actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    points_earn(programme_code="club", invoice_number=invoice(acme, date(2026, 1, 20), ("TEA-1", "6000")).number)
    tier_review(programme_code="club", day=date(2027, 1, 21))  # below silver: grace starts
    invoice(acme, date(2027, 2, 1), ("TEA-1", "5500"))
    assert tier_review(programme_code="club", day=date(2027, 2, 2)) == {"up": 0, "down": 0, "grace_started": 0}
    member.refresh_from_db()
    assert (member.tier_code, member.below_since) == ("silver", None)


@pytest.mark.django_db
def test_a_rebate_paid_in_points_lands_in_the_members_points_ledger():
    from fanli.common.exceptions import NotFound
    from fanli.ledger.selectors import ledger_check
    from fanli.rebates.models import Statement
    from fanli.rebates.payouts import payout_record
    from fanli.rebates.services import policy_apply, settlement_run, statement_approve

    catalog()
    acme, other = customer("C001"), customer("C002")
    programme_apply(text=PROGRAMME, actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    policy = """
code: points-q
name: 积分返利
valid_from: 2026-01-01
settlement: {period: quarter}
calculation: {type: flat_rate, rate_percent: 1}
payout: {form: points, points_per_yuan: 100, points_programme: club}
"""
    with pytest.raises(ValidationFailed) as unknown:
        policy_apply(text=policy.replace("points_programme: club", "points_programme: nope"), actor=None)
    assert unknown.value.details["errors"] == [{"path": "payout.points_programme", "message": "no loyalty programme nope"}]
    policy_apply(text=policy, actor=None)
    invoice(acme, date(2026, 2, 1), ("TEA-1", "30000"))  # 1 % = ¥300.00 = 30,000 points
    invoice(other, date(2026, 2, 1), ("TEA-1", "10000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    mine, theirs = Statement.objects.get(customer=acme), Statement.objects.get(customer=other)
    for statement in (mine, theirs):
        statement_approve(statement_id=statement.pk, actor=None, on=date(2026, 4, 2))
    payout = payout_record(statement_id=mine.pk, actor=None, paid_on=date(2026, 4, 10))
    lot = PointLot.objects.get(member=member, source="rebate")
    assert (payout.points, lot.points, lot.source_ref, lot.expires_on) == (30_000, 30_000, f"payout:{payout.pk}",
                                                                          date(2027, 4, 10))
    assert member_balance(member) == 100 + 30_000
    with pytest.raises(NotFound):  # C002 is not a member: nothing is paid
        payout_record(statement_id=theirs.pk, actor=None, paid_on=date(2026, 4, 10))
    theirs.refresh_from_db()
    assert theirs.state == "approved" and ledger_check()["balanced"]


operations = st.lists(st.one_of(
    st.tuples(st.just("buy"), st.integers(1, 40), st.integers(1, 5_000)),     # day offset, amount in yuan
    st.tuples(st.just("redeem"), st.integers(1, 40), st.integers(1, 3_000)),  # day offset, points
    st.tuples(st.just("return"), st.integers(1, 40), st.integers(1, 100)),    # day offset, percent of the last sale
    st.tuples(st.just("expire"), st.integers(300, 800), st.just(0)),          # day offset
), min_size=1, max_size=12)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(steps=operations, negative=st.booleans())
def test_whatever_happens_the_balance_is_the_sum_of_lot_remainders_and_of_movements(steps, negative):
    from datetime import timedelta

    from django.db import transaction

    with transaction.atomic():
        catalog()
        acme = customer("C001")
        programme_apply(text=PROGRAMME + ("allow_negative_balance: true\n" if negative else ""), actor=None)
        member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 1), actor=None)
        day, last_sale, returns = date(2026, 1, 1), None, 0
        for kind, offset, amount in steps:
            day += timedelta(days=offset)
            if kind == "buy":
                last_sale = invoice(acme, day, ("TEA-1", str(amount)))
                points_earn(programme_code="club", invoice_number=last_sale.number)
            elif kind == "redeem":
                # refused when more than usable, or the same reference twice: nothing changes then
                with contextlib.suppress(ValidationFailed, Conflict):
                    points_redeem(programme_code="club", customer_code="C001", points=amount,
                                  reference=f"R-{day}-{amount}", day=day, actor=None)
            elif kind == "return" and last_sale is not None:
                returns += 1
                sold = last_sale.lines.get().net_amount_minor
                back = Decimal(max(1, sold * amount // 100)) / 100  # fen to yuan, exactly
                credit_note(acme, day, ("TEA-1", f"{back:.2f}"), reverses=last_sale, number=f"RT-{returns}")
                points_take_back(programme_code="club", return_number=f"RT-{returns}")
            elif kind == "expire":
                points_expire(day=day)
        lots = PointLot.objects.filter(member=member).aggregate(total=Sum("remaining"))["total"] or 0
        moves = PointMovement.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0
        assert lots == moves == member_balance(member)
        assert all(lot.remaining <= lot.points for lot in PointLot.objects.filter(member=member, source="purchase"))
        if not negative:
            assert member_balance(member) >= 0
        transaction.set_rollback(True)  # each example starts from an empty database


@pytest.mark.django_db
def test_points_buy_a_coupon_or_goods_at_list_price_rounded_up_to_a_whole_point():
    catalog()
    acme = customer("C001")
    programme_apply(text=PROGRAMME, actor=None)
    member = member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    points_earn(programme_code="club", invoice_number=invoice(acme, date(2026, 2, 1), ("TEA-1", "10000")).number)
    balance = member_balance(member)  # 100 + 50,000 + 200
    coupon = points_redeem(programme_code="club", customer_code="C001", points=1_000, reference="C-1",
                           day=date(2026, 2, 2), actor=None, form="coupon")
    assert (coupon.value_minor, coupon.coupon_expires_on, len(coupon.coupon_code)) == (1_000, date(2026, 5, 3), 10)
    goods = points_redeem(programme_code="club", customer_code="C001", reference="G-1", day=date(2026, 2, 2),
                          actor=None, form="goods", sku="RICE-1", quantity=3)  # 3 x ¥80.00 = 24,000 points
    assert (goods.points, goods.value_minor, goods.quantity) == (24_000, 24_000, 3)
    assert member_balance(member) == balance - 1_000 - 24_000
    with pytest.raises(ValidationFailed):
        points_redeem(programme_code="club", customer_code="C001", reference="G-2", day=date(2026, 2, 2),
                      actor=None, form="goods", sku="GHOST")
    with pytest.raises(ValidationFailed):
        points_redeem(programme_code="club", customer_code="C001", points=5, reference="X-1", day=date(2026, 2, 2),
                      actor=None, form="lottery")
    assert member_balance(member) == balance - 25_000
