"""Contacts, follow-ups, the contact calendar, complaints and satisfaction surveys."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, User

from fanli.common.exceptions import StateError, ValidationFailed
from fanli.crm.models import Complaint, FollowUp, Interaction, SurveyResponse
from fanli.crm.selectors import complaint_figures, contact_calendar, survey_trend
from fanli.crm.services import (
    complaint_open,
    complaint_progress,
    customer_relationship_set,
    follow_up_done,
    interaction_log,
    survey_record,
)
from fanli.customers.models import Customer
from tests.builders import customer

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


def log(code: str, channel: str, day: date, summary: str, **kwargs):
    return interaction_log(customer_code=code, channel=channel, happened_on=day, summary=summary, today=TODAY,
                           actor=None, **kwargs)


def test_a_contact_with_a_next_date_makes_a_follow_up_for_the_customers_rep():
    rep = User.objects.create(username="li", email="li@example.com")
    rep.groups.add(Group.objects.get_or_create(name="channel_manager")[0])  # a sales rep marks their own done
    acme = customer("C001")
    Customer.objects.filter(pk=acme.pk).update(owner=rep)
    contact = log("C001", "T", date(2026, 11, 20), "  Q4 order plan  ", outcome="sends forecast",
                  next_follow_up=date(2026, 11, 27))
    assert (contact.summary, contact.outcome, contact.channel) == ("Q4 order plan", "sends forecast", "T")
    [task] = FollowUp.objects.all()
    assert (task.title, task.due_on, task.owner, task.interaction) == ("sends forecast", date(2026, 11, 27), rep, contact)
    assert log("C001", "E", date(2026, 11, 21), "price list sent").follow_ups.count() == 0
    assert follow_up_done(follow_up_id=task.pk, actor=rep).done_by == rep
    done_at = FollowUp.objects.get().done_at
    assert follow_up_done(follow_up_id=task.pk, actor=None).done_at == done_at  # done once, not again


def test_a_contact_is_refused_with_every_reason_and_nothing_is_stored():
    customer("C001")
    with pytest.raises(ValidationFailed) as refused:
        log("C001", "X", date(2026, 11, 25), " ", next_follow_up=date(2026, 11, 1))
    assert [e["path"] for e in refused.value.details["errors"]] == ["channel", "summary", "happened_on",
                                                                     "next_follow_up"]
    assert refused.value.details["errors"][2]["message"] == (
        "2026-11-25 is in the future; log contacts once they happened")
    assert not Interaction.objects.exists() and not FollowUp.objects.exists()


def test_the_calendar_puts_each_contact_under_its_day_with_its_summary():
    customer("C001"), customer("C002"), customer("C003")
    log("C002", "M", date(2026, 11, 3), "quarterly review")
    log("C001", "T", date(2026, 11, 3), "call about the order")
    log("C001", "E", date(2026, 11, 3), "sent the quote")
    log("C001", "V", date(2026, 11, 30 - 6), "visited the warehouse")
    log("C003", "T", date(2026, 10, 31), "October: not in November's grid")
    grid = contact_calendar(Customer.objects.all(), 2026, 11)
    assert [row.code for row in grid["rows"]] == ["C001", "C002"]
    assert len(grid["days"]) == 30 and grid["days"][0] == {"day": 1, "weekend": True}  # 1 Nov 2026 is a Sunday
    acme = grid["rows"][0]
    assert acme.cells[2]["contacts"] == [{"channel": "T", "summary": "call about the order"},
                                            {"channel": "E", "summary": "sent the quote"}]
    assert acme.cells[23]["contacts"] == [{"channel": "V", "summary": "visited the warehouse"}]
    assert acme.cells[23]["weekend"] is False and acme.cells[20]["weekend"] is True  # Tue 24th, Sat 21st
    assert acme.total == 3 and grid["counts"] == {"T": 1, "E": 1, "V": 1, "M": 1}
    only_c002 = contact_calendar(Customer.objects.filter(code="C002"), 2026, 11)
    assert [row.code for row in only_c002["rows"]] == ["C002"]


def test_complaints_are_resolved_once_with_their_days_counted():
    customer("C001")
    late = complaint_open(customer_code="C001", category="delivery", summary="late truck", opened_on=date(2026, 11, 2),
                          today=TODAY, actor=None)
    wrong = complaint_open(customer_code="C001", category="delivery", summary="wrong goods",
                           opened_on=date(2026, 11, 10), today=TODAY, actor=None)
    complaint_open(customer_code="C001", category="billing", summary="double invoice", opened_on=date(2026, 11, 20),
                   today=TODAY, actor=None)
    with pytest.raises(ValidationFailed):
        complaint_progress(complaint_id=late.pk, status="resolved", resolution=" ", on=date(2026, 11, 5), actor=None)
    complaint_progress(complaint_id=late.pk, status="in_progress", on=date(2026, 11, 3), actor=None)
    complaint_progress(complaint_id=late.pk, status="resolved", resolution="re-delivered", on=date(2026, 11, 5),
                       actor=None)
    complaint_progress(complaint_id=wrong.pk, status="resolved", resolution="exchanged", on=date(2026, 11, 18),
                       actor=None)
    with pytest.raises(StateError):
        complaint_progress(complaint_id=late.pk, status="resolved", resolution="again", on=TODAY, actor=None)
    assert Complaint.objects.get(pk=late.pk).resolution_days == 3
    assert complaint_figures(Complaint.objects.all()) == [
        {"category": "billing", "label": "账单", "total": 1, "open": 1, "avg_days": None},
        {"category": "delivery", "label": "交货", "total": 2, "open": 0, "avg_days": 5.5},  # (3 + 8) / 2
    ]


def test_survey_scores_are_one_to_five_and_averaged_by_quarter():
    customer("C001"), customer("C002")
    for code, score, day in (("C001", 4, date(2026, 8, 1)), ("C002", 2, date(2026, 9, 30)),
                             ("C001", 5, date(2026, 10, 1)), ("C002", 5, date(2026, 11, 20)),
                             ("C002", 5, date(2026, 11, 21))):
        survey_record(customer_code=code, score=score, answered_on=day, today=TODAY, actor=None)
    for bad in (0, 6):
        with pytest.raises(ValidationFailed):
            survey_record(customer_code="C001", score=bad, answered_on=TODAY, today=TODAY, actor=None)
    assert SurveyResponse.objects.count() == 5
    trend = survey_trend(SurveyResponse.objects.all(), until=TODAY, quarters=3)
    assert trend == [{"quarter": "2026-Q2", "answers": 0, "average": None},
                     {"quarter": "2026-Q3", "answers": 2, "average": 3.0},
                     {"quarter": "2026-Q4", "answers": 3, "average": 5.0}]


def test_the_relationship_level_is_set_and_audited_only_when_it_changes():
    from fanli.common.models import AuditEvent

    customer("C001")
    assert Customer.objects.get().relationship == "transactional"
    customer_relationship_set(customer_code="C001", relationship="partner", actor=None)
    customer_relationship_set(customer_code="C001", relationship="partner", actor=None)
    assert Customer.objects.get().relationship == "partner"
    assert AuditEvent.objects.filter(action="customer.relationship").count() == 1
    with pytest.raises(ValidationFailed):
        customer_relationship_set(customer_code="C001", relationship="friend", actor=None)
