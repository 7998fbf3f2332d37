"""Contacts, the contact calendar, complaints and surveys in the back office."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fanli.crm.models import Complaint, FollowUp, Interaction, SurveyResponse

pytestmark = pytest.mark.django_db


def test_a_rep_logs_a_contact_and_sees_it_on_the_calendar(client, world):
    client.force_login(world["users"]["channel_manager"])
    today = timezone.localdate()
    response = client.post("/office/customers/C001/interactions/", {
        "channel": "M", "happened_on": today.isoformat(), "summary": "年度合作洽谈", "outcome": "寄送报价",
        "next_follow_up": (today + timedelta(days=3)).isoformat()})
    assert response.status_code == 302 and response["Location"] == "/office/customers/C001/"
    assert FollowUp.objects.get().owner == world["users"]["channel_manager"]
    calendar = client.get(f"/office/contacts/?month={today:%Y-%m}").content.decode()
    assert f'<td class="{"weekend" if today.weekday() >= 5 else ""}" data-day="{today.day}"><span class="channel ch-M" ' \
           'title="年度合作洽谈">M</span></td>' in calendar
    assert "寄送报价" in calendar  # the open follow-up, listed under the calendar
    assert "年度合作洽谈" in client.get("/office/customers/C001/").content.decode()


def test_a_refused_contact_keeps_what_was_typed_and_says_why(client, world):
    client.force_login(world["users"]["customer_service"])
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post("/office/customers/C002/interactions/", {
        "channel": "T", "happened_on": future, "summary": "电话回访", "outcome": ""})
    page = response.content.decode()
    assert response.status_code == 422 and not Interaction.objects.exists()
    assert 'value="电话回访"' in page and f'value="{future}"' in page
    assert f"{future} is in the future; log contacts once they happened" in page


def test_a_rep_cannot_log_on_someone_elses_customer_and_an_auditor_cannot_log_at_all(client, world):
    client.force_login(world["users"]["channel_manager"])
    assert client.post("/office/customers/C002/interactions/", {"channel": "T"}).status_code == 404
    client.force_login(world["users"]["auditor"])
    assert client.post("/office/customers/C001/interactions/", {"channel": "T"}).status_code == 403
    page = client.get("/office/customers/C001/").content.decode()
    assert 'id="interaction-form"' not in page and not Interaction.objects.exists()


def test_complaints_and_surveys_from_the_customer_page_to_the_figures(client, world):
    client.force_login(world["users"]["customer_service"])
    today = timezone.localdate().isoformat()
    client.post("/office/customers/C001/complaints/", {"category": "delivery", "summary": "送货延迟",
                                                        "opened_on": today})
    client.post("/office/customers/C001/surveys/", {"score": "4", "answered_on": today, "comment": "满意"})
    refused = client.post("/office/customers/C001/surveys/", {"score": "9", "answered_on": today})
    assert refused.status_code == 422 and "a score is from 1 to 5, not 9" in refused.content.decode()
    complaint = Complaint.objects.get()
    assert SurveyResponse.objects.get().score == 4
    client.post(f"/office/complaints/{complaint.pk}/progress/", {"status": "resolved", "resolution": "已补发"})
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution, complaint.resolution_days) == ("resolved", "已补发", 0)
    page = client.get("/office/complaints/").content.decode()
    assert '<tr data-category="delivery"><td>交货</td><td class="num">1</td><td class="num">0</td>' in page


def test_the_relationship_level_is_chosen_on_the_customer_page(client, world):
    client.force_login(world["users"]["finance"])
    client.post("/office/customers/C002/relationship/", {"relationship": "strategic"})
    assert world["other_statement"].customer.__class__.objects.get(code="C002").relationship == "strategic"


def test_a_score_card_is_shown_ranked_and_a_manual_criterion_rated_on_the_customer_page(client, world):
    from fanli.customers.services import scorecard_apply, scorecards_compute
    from tests.customers.test_scorecard import CARD

    scorecard_apply(text=CARD)
    scorecards_compute(today=timezone.localdate())
    client.force_login(world["users"]["channel_manager"])
    ranking = client.get("/office/scorecards/").content.decode()
    assert ranking.count('<tr data-customer="') == 1  # the rep sees only C001
    page = client.get("/office/customers/C001/").content.decode()
    assert 'id="scorecard"' in page and 'name="criterion" value="initiative"' in page
    assert 'name="criterion" value="capability"' not in page  # computed, not rated by hand
    client.post("/office/customers/C001/rating/", {"card": "dealer", "criterion": "initiative", "score": "70"})
    from fanli.customers.models import DealerScore

    part = DealerScore.objects.get(customer__code="C001").parts[0]
    assert (part["key"], part["score"]) == ("initiative", 70)
    refused = client.post("/office/customers/C001/rating/", {"card": "dealer", "criterion": "initiative",
                                                              "score": "170"}, follow=True)
    assert "a rating is from 0 to 100, not 170" in refused.content.decode()


def test_a_follow_up_can_be_given_to_another_staff_member_but_not_to_a_customer(client, world):
    client.force_login(world["users"]["customer_service"])
    today = timezone.localdate()
    form = {"channel": "T", "happened_on": today.isoformat(), "summary": "对账", "outcome": "财务回电",
            "next_follow_up": (today + timedelta(days=1)).isoformat()}
    refused = client.post("/office/customers/C002/interactions/", {**form, "owner": world["users"]["portal"].pk})
    assert refused.status_code == 422 and "not a staff user" in refused.content.decode()
    assert not Interaction.objects.exists()
    client.post("/office/customers/C002/interactions/", {**form, "owner": world["users"]["finance"].pk})
    assert FollowUp.objects.get().owner == world["users"]["finance"]


def test_segments_are_recomputed_on_demand_as_a_job(client, world):
    from fanli.common.models import Job
    from fanli.customers.models import CustomerSegment

    client.force_login(world["users"]["customer_service"])
    assert 'id="segments-recompute"' in client.get("/office/customers/").content.decode()
    response = client.post("/office/segments/recompute/")
    job = Job.objects.get(kind="segments")
    assert response["Location"] == f"/office/jobs/{job.pk}/" and job.state == "done"
    assert CustomerSegment.objects.count() == 2 and job.result["customers"] == 2
    client.force_login(world["users"]["auditor"])
    assert 'id="segments-recompute"' not in client.get("/office/customers/").content.decode()


def test_the_dashboard_counts_my_follow_ups_due(client, world):
    rep = world["users"]["channel_manager"]
    client.force_login(rep)
    today = timezone.localdate()
    for due in (today, today + timedelta(days=3)):  # only the first is due
        FollowUp.objects.create(customer=world["acme_statement"].customer, title="x", due_on=due, owner=rep)
    FollowUp.objects.create(customer=world["acme_statement"].customer, title="y", due_on=today,
                            owner=world["users"]["finance"])  # someone else's
    page = client.get("/office/").content.decode()
    assert 'id="tile-follow-ups"><span>我的到期跟进</span><strong>1<' in page


def test_the_calendar_pages_its_customers(client, world, monkeypatch):
    from fanli.crm.services import interaction_log
    from fanli.web import crm

    monkeypatch.setattr(crm, "CALENDAR_ROWS", 1)
    today = timezone.localdate()
    for code in ("C001", "C002"):
        interaction_log(customer_code=code, channel="E", happened_on=today, summary="报价", today=today, actor=None)
    client.force_login(world["users"]["finance"])
    first = client.get(f"/office/contacts/?month={today:%Y-%m}").content.decode()
    second = client.get(f"/office/contacts/?month={today:%Y-%m}&page=2").content.decode()
    assert first.count('<tr data-customer="') == 1 and 'data-customer="C001"' in first
    assert second.count('<tr data-customer="') == 1 and 'data-customer="C002"' in second
    assert "第 2 / 2 页（共 2 行）" in second


def test_score_card_details_read_in_the_readers_language():
    from django.utils import translation

    from fanli.web.messages import ui_message

    with translation.override("zh-hans"):
        assert ui_message("net sales 891,094.75 over 12 months") == "近 12 个月净销售额 ¥891,094.75"
        assert ui_message("-50 % on the year before") == "较上年 -50 %"
        assert ui_message("94 % of the amounts due in 12 months paid") == "近 12 个月到期应收已付 94 %"
        assert ui_message("not rated yet") == "尚未评分"
    with translation.override("en"):
        assert ui_message("-50 % on the year before") == "-50 % on the year before"


def test_an_editor_changes_the_weights_on_the_page_and_the_card_is_rescored(client, world):
    from fanli.customers.models import DealerScore, ScoreCard
    from fanli.customers.services import scorecard_apply, scorecards_compute
    from tests.customers.test_scorecard import CARD

    scorecard_apply(text=CARD)
    scorecards_compute(today=timezone.localdate())
    client.force_login(world["users"]["channel_manager"])
    assert 'id="scorecard-edit"' in client.get("/office/scorecards/").content.decode()
    weights = {"weight.initiative": "20", "weight.capability": "30", "weight.growth": "10", "weight.credit": "20",
               "weight.satisfaction": "10", "weight.complaints": "5", "weight.relations": "5"}
    refused = client.post("/office/scorecards/dealer/", {**weights, "weight.capability": "40"}, follow=True)
    assert "评分卡未保存：权重合计为 110，应为 100" in refused.content.decode()
    assert ScoreCard.objects.get().document["criteria"][1]["weight"] == 30
    submitted = client.post("/office/scorecards/dealer/", {**weights, "weight.capability": "20",
                                                           "weight.growth": "20", "name.growth": "增长"}, follow=True)
    assert "已提交" in submitted.content.decode()  # four eyes: the change waits for another person
    assert ScoreCard.objects.get().document["criteria"][1]["weight"] == 30
    approvals = client.get("/office/approvals/").content.decode()
    assert "dealer" in approvals and "等待他人审批" in approvals  # not theirs to approve
    client.force_login(world["users"]["finance"])
    assert 'data-action="publish"' in client.get("/office/approvals/").content.decode()
    client.post("/office/approvals/decide/", {"kind": "scorecard", "code": "dealer", "decision": "publish"})
    card = ScoreCard.objects.get()
    assert [(c["key"], c["weight"]) for c in card.document["criteria"]][1:3] == [("capability", 20), ("growth", 20)]
    assert card.document["criteria"][2]["name"] == "增长"
    assert DealerScore.objects.get(customer__code="C001").parts[2]["weight"] == 20  # rescored with the new weight
    client.force_login(world["users"]["finance"])
    assert 'id="scorecard-edit"' not in client.get("/office/scorecards/").content.decode()
    assert client.post("/office/scorecards/dealer/", weights).status_code == 403


def test_a_customer_rates_us_from_the_portal_once_a_month(client, world):
    client.force_login(world["users"]["portal"])
    page = client.get("/portal/").content.decode()
    assert 'action="/portal/survey/"' in page
    assert client.post("/portal/survey/", {"score": "9"}).status_code == 302
    assert not SurveyResponse.objects.exists()  # refused: a score is from 1 to 5
    client.post("/portal/survey/", {"score": "4", "comment": "返利到账及时"})
    answer = SurveyResponse.objects.get()
    assert (answer.customer.code, answer.score, answer.comment, answer.recorded_by.username) == (
        "C001", 4, "返利到账及时", "acme")
    client.post("/portal/survey/", {"score": "1"})  # again the same month: thanked, not counted
    assert SurveyResponse.objects.count() == 1
    page = client.get("/portal/").content.decode()
    assert 'action="/portal/survey/"' not in page and "给了我们 4 分（满分 5 分）" in page
