"""Warning rules on small hand-made data, raised once, e-mailed to their owner, acknowledged."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from fanli.crm.models import Warning
from fanli.crm.services import warning_acknowledge, warnings_raise
from fanli.crm.warnings import churn_risks, discount_budgets, overdue_receivables, payouts_overdue, points_expiring
from fanli.sales.models import SalesDocument
from tests.builders import catalog, customer, invoice

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


def test_overdue_receivables_sum_what_is_unpaid_past_due_and_name_the_oldest_invoice():
    catalog()
    acme = customer("C001")
    for number, day, paid in (("IN-1", date(2026, 9, 1), "0"), ("IN-2", date(2026, 10, 1), "400"),
                              ("IN-3", date(2026, 11, 20), "0")):
        invoice(acme, day, ("TEA-1", "1000"), number=number, paid=paid)
    SalesDocument.objects.filter(number="IN-1").update(due_date=date(2026, 10, 1))
    SalesDocument.objects.filter(number="IN-2").update(due_date=date(2026, 10, 31))
    SalesDocument.objects.filter(number="IN-3").update(due_date=date(2026, 12, 20))  # not yet due
    [found] = overdue_receivables(TODAY)
    assert (found.key, found.amount_minor) == ("C001:IN-1", 160_000)
    assert found.reason == "2 invoice(s) past due, ¥1,600.00 outstanding; the oldest, IN-1, was due on 2026-10-01"


def test_churn_risk_when_silent_for_three_times_the_usual_interval():
    catalog()
    regular, steady, newish = customer("C001"), customer("C002"), customer("C003")
    for day in (date(2026, 3, 1), date(2026, 3, 15), date(2026, 3, 29), date(2026, 4, 12)):  # every 14 days
        invoice(regular, day, ("TEA-1", "100"))
    for day in (date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 20)):  # still buying
        invoice(steady, day, ("TEA-1", "100"))
    for day in (date(2026, 4, 1), date(2026, 4, 2)):  # only two invoices: no usual interval yet
        invoice(newish, day, ("TEA-1", "100"))
    [found] = churn_risks(TODAY)
    assert (found.key, found.reason) == ("C001:2026-04-12", "no invoice for 226 days since 2026-04-12; usually one every 14 days")


def test_payouts_points_and_budgets(world):
    from fanli.discounts.services import discount_rule_apply
    from fanli.loyalty.services import member_enrol, programme_apply
    from tests.discounts.test_services import ONCE
    from tests.loyalty.test_points import PROGRAMME

    overdue = payouts_overdue(TODAY)  # the world's Q1 statements were due on 30 April and are unpaid drafts
    assert sorted((c.key.split(":")[0], c.amount_minor) for c in overdue) == [("C001", 304_000), ("C002", 90_000)]
    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C001", day=date(2025, 11, 30), actor=None)
    [points] = points_expiring(TODAY)  # the sign-up bonus lasts 12 months: until 30 November 2026
    assert points.reason == "100 points of club expire from 2026-11-30; remind C001 to use them"
    discount_rule_apply(text=ONCE, actor=None)
    from fanli.discounts.models import DiscountRule, DiscountRuleUse

    DiscountRuleUse.objects.create(rule=DiscountRule.objects.get(code="first-order"), invoices=40, spent_minor=90_000)
    [budget] = discount_budgets(TODAY)
    assert budget.reason == "discount rule first-order has used ¥900.00 of its ¥1,000.00 budget"


def test_warnings_are_raised_once_mailed_to_the_owner_and_acknowledged(world, mailoutbox):
    rep = world["users"]["channel_manager"]
    User.objects.filter(pk=rep.pk).update(email="rep@example.com")
    new = warnings_raise(today=TODAY)
    assert sorted((w.kind, w.customer.code, w.owner_id) for w in new) == [
        ("payout_overdue", "C001", rep.pk), ("payout_overdue", "C002", None)]
    assert [m.to for m in mailoutbox] == [["rep@example.com"]]
    assert "payout_overdue" not in mailoutbox[0].body and "rebate statement(s) unpaid" in mailoutbox[0].body
    assert warnings_raise(today=date(2026, 11, 25)) == [] and Warning.objects.count() == 2  # once per situation
    acknowledged = warning_acknowledge(warning_id=new[0].pk, actor=rep)
    assert acknowledged.acknowledged_by == rep


def test_the_warnings_page_shows_a_reps_own_and_acknowledges(client, world):
    warnings_raise(today=TODAY)
    client.force_login(world["users"]["channel_manager"])
    page = client.get("/office/warnings/").content.decode()
    assert page.count("<tr data-warning") == 1 and "/office/customers/C001/" in page
    mine = Warning.objects.get(customer__code="C001")
    other = Warning.objects.get(customer__code="C002")
    assert client.post(f"/office/warnings/{other.pk}/acknowledge/").status_code == 404
    client.post(f"/office/warnings/{mine.pk}/acknowledge/")
    assert "没有预警。" in client.get("/office/warnings/").content.decode()
    assert 'id="tile-warnings"><span>待处理预警</span><strong>0<' in client.get("/office/").content.decode()
