"""Warning rules on small hand-made data, raised once, e-mailed to their owner, acknowledged."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from fanli.crm.models import Warning
from fanli.crm.services import warning_acknowledge, warnings_raise
from fanli.crm.warnings import (
    churn_risks,
    discount_budgets,
    follow_ups_due,
    near_next_tier,
    overdue_receivables,
    payouts_overdue,
    points_expiring,
    rebate_budgets,
    sales_behind_target,
)
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


def test_sales_behind_target_compares_with_the_share_due_by_today():
    from fanli.customers.models import SalesTarget

    catalog()
    slow, fine, recent = customer("C001"), customer("C002"), customer("C003")
    for who, net in ((slow, "2000"), (fine, "2160"), (recent, "10")):
        invoice(who, date(2026, 11, 10), ("TEA-1", net))
    invoice(slow, date(2026, 10, 30), ("TEA-1", "5000"))  # before the target: not counted
    for who, start in ((slow, date(2026, 11, 1)), (fine, date(2026, 11, 1)), (recent, date(2026, 11, 15))):
        SalesTarget.objects.create(customer=who, start=start, end=date(2026, 11, 30), amount_minor=300_000)
    [found] = sales_behind_target(TODAY)  # 24 of 30 days: ¥2,400 due, 90 % of it is ¥2,160; C003 is 10 days in
    assert (found.key, found.amount_minor) == ("C001:2026-11-01:2026-11-30", 40_000)
    assert found.reason == ("¥2,000.00 sold from 2026-11-01 to 2026-11-24, 24 of 30 days into a ¥3,000.00 target: "
                            "¥400.00 behind the ¥2,400.00 due by now")


def test_near_the_next_tier_within_ten_percent_before_the_period_ends(world):
    acme, other = world["acme_statement"].customer, world["other_statement"].customer
    invoice(acme, date(2026, 11, 2), ("TEA-1", "95000"))  # ¥5,000 short of tier 2 (from ¥100,000): 5 %
    invoice(other, date(2026, 11, 2), ("TEA-1", "80000"))  # 20 % short: not yet an opportunity
    [found] = near_next_tier(TODAY)
    assert (found.key, found.customer_id) == ("dist-q:2026-Q4:C001:2", acme.pk)
    assert found.reason == ("¥5,000.00 more net sales by 2026-12-31 reach tier 2 of dist-q for C001, from ¥100,000: "
                            "a sales opportunity")
    assert near_next_tier(date(2026, 12, 31)) == []  # the last day: too late to act on


def test_rebate_budget_warns_when_the_period_is_projected_over_it(world):
    from fanli.rebates.services import policy_apply, policy_version_publish
    from tests.web.conftest import POLICY

    acme = world["acme_statement"].customer
    invoice(acme, date(2026, 11, 2), ("TEA-1", "55000"))
    assert rebate_budgets(TODAY) == []  # no budget set
    author = world["users"]["channel_manager"]
    submitted = policy_apply(text=POLICY + "budget: 1000\n", actor=author).version
    policy_version_publish(version_id=submitted.pk, actor=world["users"]["finance"])
    # 55 of 92 days into Q4: ¥55,000 runs at ¥92,000 for the quarter, tier 1 at 1 %: ¥920 (under ¥1,000)
    assert rebate_budgets(TODAY) == []
    invoice(acme, date(2026, 11, 3), ("TEA-1", "5500"))
    # ¥60,500 runs at ¥101,200: tier 2 at 2 % on all of it (retroactive) is ¥2,024; earned so far ¥605
    [over] = rebate_budgets(TODAY)
    assert (over.key, over.amount_minor) == ("dist-q:2026-Q4:v2", 102_400)
    assert over.reason == ("policy dist-q has earned ¥605.00 so far in 2026-Q4; at this pace it will cost "
                           "¥2,024.00 against a ¥1,000.00 budget")
    assert over.owner_id == author.pk  # who wrote the version in force owns it
    warnings_raise(today=TODAY)
    assert Warning.objects.get(kind="rebate_budget").owner == author


def test_follow_ups_due_remind_their_owner_once(world, mailoutbox):
    from fanli.crm.services import interaction_log

    rep = world["users"]["channel_manager"]
    User.objects.filter(pk=rep.pk).update(email="rep@example.com")
    interaction_log(customer_code="C001", channel="T", happened_on=date(2026, 11, 10), summary="order plan",
                    outcome="call back with prices", next_follow_up=date(2026, 11, 24), today=TODAY, actor=None)
    interaction_log(customer_code="C001", channel="E", happened_on=date(2026, 11, 10), summary="catalogue",
                    next_follow_up=date(2026, 11, 25), today=TODAY, actor=None)
    [due] = follow_ups_due(TODAY)
    assert due.reason == "follow up with C001 by 2026-11-24: call back with prices"
    warnings_raise(today=TODAY)
    assert "follow up with C001 by 2026-11-24" in mailoutbox[0].body
    assert Warning.objects.get(kind="follow_up_due").owner == rep


def test_payouts_falling_due_within_a_week_warn_before_they_are_overdue(world):
    from fanli.crm.warnings import payouts_due

    assert payouts_due(date(2026, 4, 22)) == []  # due on 30 April: eight days ahead
    found = sorted(payouts_due(date(2026, 4, 23)), key=lambda c: c.key)
    assert [(c.key.split(":")[0], c.amount_minor) for c in found] == [("C001", 304_000), ("C002", 90_000)]
    assert found[0].reason == "1 rebate statement(s), ¥3,040.00, fall due from 2026-04-30: approve and pay them in time"
    assert payouts_due(date(2026, 5, 1)) == []  # overdue now: the other rule's business


def test_an_author_sees_the_budget_warning_they_own_though_it_names_no_customer(client, world):
    Warning.objects.create(kind="rebate_budget", key="dist-q:2026-Q4:v1", reason="over budget",
                           raised_on=TODAY, owner=world["users"]["channel_manager"])
    Warning.objects.create(kind="discount_budget", key="x:v1", reason="someone else's", raised_on=TODAY)
    client.force_login(world["users"]["channel_manager"])
    page = client.get("/office/warnings/").content.decode()
    assert "over budget" in page and "someone else&#x27;s" not in page


def test_each_warning_run_says_one_line_on_the_console_and_mails_nothing_to_it(world, mailoutbox, caplog):
    import logging

    rep = world["users"]["channel_manager"]
    User.objects.filter(pk=rep.pk).update(email="rep@example.com")
    with caplog.at_level(logging.INFO, logger="fanli.runs"):
        warnings_raise(today=TODAY)
        warnings_raise(today=date(2026, 11, 25))
    assert [r.getMessage() for r in caplog.records if r.name == "fanli.runs"] == [
        f"warnings {TODAY.isoformat()}: 2 new, 1 e-mailed to 1 owner(s)",
        "warnings 2026-11-25: 0 new, 0 e-mailed to 0 owner(s)"]
    assert len(mailoutbox) == 1


def test_without_a_configured_backend_mail_goes_to_files_not_to_the_console():
    import importlib
    import os

    import fanli.settings as configured

    saved = os.environ.pop("FANLI_EMAIL_BACKEND", None)
    try:
        fresh = importlib.reload(configured)
        assert fresh.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
        assert fresh.EMAIL_FILE_PATH.endswith("mail")
    finally:
        if saved is not None:
            os.environ["FANLI_EMAIL_BACKEND"] = saved
        importlib.reload(configured)


def _many_warnings(world, branches: int = 60) -> None:
    head = world["acme_statement"].customer
    rows = []
    for number in range(branches):
        branch = customer(f"C001-{number:02d}", parent=head)
        rows.append(Warning(kind="near_tier", key=f"group-pooled:2026-Q4:{branch.code}:2", customer=branch,
                            reason=f"¥5,000.00 more net sales by 2026-12-31 reach tier 2 of group-pooled for "
                                   f"{branch.code}, from ¥100,000: a sales opportunity", raised_on=TODAY))
    rows.append(Warning(kind="payout_overdue", key="C002:x", customer=world["other_statement"].customer,
                        reason="1 rebate statement(s) unpaid past their due date, ¥900.00; the oldest was due on "
                               "2026-04-30", raised_on=TODAY))
    Warning.objects.bulk_create(rows)


def test_warnings_come_a_page_at_a_time_in_the_readers_language(client, world):
    _many_warnings(world)
    client.force_login(world["users"]["finance"])
    page = client.get("/office/warnings/").content.decode()
    assert page.count("data-warning=") == 50
    assert "C001-00 在 2026-12-31 前再增加 ¥5,000.00 净销售额即可达到 group-pooled 第 2 档（¥100,000 起）" in page
    assert "a sales opportunity" not in page
    second = client.get("/office/warnings/", {"page": "2"}).content.decode()
    assert second.count("data-warning=") == 11
    assert "1 张返利结算单逾期未付，共 ¥900.00；最早的于 2026-04-30 到期" in second


def test_a_pooled_groups_warnings_read_once_per_group_and_rule(client, world):
    _many_warnings(world)
    client.force_login(world["users"]["finance"])
    page = client.get("/office/warnings/", {"view": "grouped"}).content.decode()
    table = page.split('id="warning-groups"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 2
    assert "<td>C001</td>" in rows[0] and '<td class="num">60</td>' in rows[0]
    assert "<td>C002</td>" in rows[1] and '<td class="num">1</td>' in rows[1]


def test_every_matching_warning_is_acknowledged_at_once_unless_the_match_changed(client, world):
    _many_warnings(world)
    client.force_login(world["users"]["finance"])
    refused = client.post("/office/warnings/acknowledge/", {"all_matching": "1", "customer": "C001",
                                                           "expected_count": "59"})
    assert refused["Location"] == "/office/warnings/?customer=C001"
    assert not Warning.objects.filter(acknowledged_at__isnull=False).exists()
    done = client.post("/office/warnings/acknowledge/", {"all_matching": "1", "customer": "C001",
                                                        "expected_count": "60"})
    assert done["Location"] == "/office/warnings/?customer=C001"
    assert Warning.objects.filter(acknowledged_at__isnull=False).count() == 60
    assert Warning.objects.get(kind="payout_overdue").acknowledged_at is None
    assert set(Warning.objects.filter(acknowledged_at__isnull=False).values_list("acknowledged_by", flat=True)) == {
        world["users"]["finance"].pk}
