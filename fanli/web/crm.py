"""Customer management in the back office: contacts and follow-ups, the contact calendar,
complaints, satisfaction surveys, the relationship level and score cards. Forms post to thin views that call
one service; a refused form shows the customer page again with what was typed and why."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.accounts.models import Submission
from fanli.accounts.selectors import can, staff_users, visible_customer, visible_customers
from fanli.common.command import parse_day
from fanli.common.exceptions import FanliError, NotFound, ValidationFailed
from fanli.common.jobs import job_start
from fanli.crm.models import Complaint, Interaction, SurveyResponse
from fanli.crm.selectors import (
    complaint_figures,
    contact_calendar,
    follow_ups_open,
    survey_answered_lately,
    survey_trend,
)
from fanli.crm.services import (
    complaint_open,
    complaint_progress,
    customer_relationship_set,
    follow_up_done,
    interaction_log,
    survey_record,
)
from fanli.customers.models import Customer, DealerScore, ScoreCard
from fanli.customers.services import rating_set, scorecard_apply, scorecards_compute

from .messages import ui_message
from .views import _done, _failed, customer_page, portal_view, staff_view


def _visible(request: HttpRequest, code: str) -> Customer:
    try:
        return visible_customer(request.user, code)
    except NotFound:
        raise Http404 from None


def _date_or_none(text: str) -> date | None:
    return parse_day(text) if text.strip() else None


def _refused(request: HttpRequest, customer: Customer, form: str, error: FanliError) -> HttpResponse:
    """The customer page again, with the form as typed and each problem beside its field."""
    errors = {e.get("path", ""): e.get("message", "") for e in (error.details or {}).get("errors", [])
              if isinstance(e, dict)}
    return customer_page(request, customer, forms={form: request.POST}, errors={form: errors or {"": error.message}},
                         status=422)


@require_POST
@staff_view("crm")
def interaction_log_view(request: HttpRequest, code: str) -> HttpResponse:
    customer = _visible(request, code)
    post = request.POST
    owner_id = post.get("owner", "")
    owner = staff_users().filter(pk=owner_id).first() if owner_id.isdigit() else None
    try:
        if owner_id and owner is None:
            raise ValidationFailed("choose the follow-up's owner from the list",
                                   details={"errors": [{"path": "owner", "message": "not a staff user"}]})
        interaction_log(customer_code=customer.code, channel=post.get("channel", ""),
                        happened_on=parse_day(post.get("happened_on", "")), summary=post.get("summary", ""),
                        outcome=post.get("outcome", ""), next_follow_up=_date_or_none(post.get("next_follow_up", "")),
                        owner=owner, today=timezone.localdate(), actor=request.user)
    except FanliError as error:
        return _refused(request, customer, "interaction", error)
    return _done(request, _("Contact logged"), "web:customer", customer.code)


@require_POST
@staff_view("crm")
def follow_up_done_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = follow_ups_open(visible_customers(request.user)).filter(pk=follow_up_id).first()
    if follow_up is None:
        raise Http404
    follow_up_done(follow_up_id=follow_up.pk, actor=request.user)
    back = request.POST.get("next", "")
    if back == "contacts":
        return _done(request, _("Follow-up done"), "web:contacts")
    return _done(request, _("Follow-up done"), "web:customer", follow_up.customer.code)


@require_POST
@staff_view("crm")
def complaint_open_view(request: HttpRequest, code: str) -> HttpResponse:
    customer = _visible(request, code)
    try:
        complaint_open(customer_code=customer.code, category=request.POST.get("category", ""),
                       summary=request.POST.get("summary", ""), opened_on=parse_day(request.POST.get("opened_on", "")),
                       today=timezone.localdate(), actor=request.user)
    except FanliError as error:
        return _refused(request, customer, "complaint", error)
    return _done(request, _("Complaint recorded"), "web:customer", customer.code)


@require_POST
@staff_view("crm")
def complaint_progress_view(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = Complaint.objects.filter(pk=complaint_id, customer__in=visible_customers(request.user)).first()
    if complaint is None:
        raise Http404
    try:
        complaint_progress(complaint_id=complaint.pk, status=request.POST.get("status", ""),
                           resolution=request.POST.get("resolution", ""), on=timezone.localdate(), actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:complaints")
    return _done(request, _("Complaint updated"), "web:complaints")


@require_POST
@staff_view("crm")
def survey_record_view(request: HttpRequest, code: str) -> HttpResponse:
    customer = _visible(request, code)
    score = request.POST.get("score", "")
    try:
        survey_record(customer_code=customer.code, score=int(score) if score.isdigit() else 0,
                      answered_on=parse_day(request.POST.get("answered_on", "")), comment=request.POST.get("comment", ""),
                      today=timezone.localdate(), actor=request.user)
    except FanliError as error:
        return _refused(request, customer, "survey", error)
    return _done(request, _("Survey answer recorded"), "web:customer", customer.code)


@require_POST
@staff_view("crm")
def relationship_view(request: HttpRequest, code: str) -> HttpResponse:
    customer = _visible(request, code)
    try:
        customer_relationship_set(customer_code=customer.code, relationship=request.POST.get("relationship", ""),
                                  actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:customer", customer.code)
    return _done(request, _("Relationship level saved"), "web:customer", customer.code)


CALENDAR_ROWS = 100  # customers per page of the calendar


def _month(text: str, today: date) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


@staff_view()
def contacts(request: HttpRequest) -> HttpResponse:
    """The contact calendar (客户接触日历) for a month, and the follow-ups still open."""
    today = timezone.localdate()
    year, month = _month(request.GET.get("month", ""), today)
    customers = visible_customers(request.user)
    mine = request.GET.get("mine") == "1"
    if mine:
        customers = customers.filter(owner_id=request.user.pk)
    region = request.GET.get("region", "").strip()
    if region:
        customers = customers.filter(region=region)
    grid = contact_calendar(customers, year, month)
    page = Paginator(grid["rows"], CALENDAR_ROWS).get_page(request.GET.get("page"))
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return render(request, "web/office/contacts.html", {
        "grid": grid, "page": page, "mine": mine, "region": region, "channels": Interaction.Channel.choices,
        "month_key": f"{year:04d}-{month:02d}", "previous": f"{previous[0]:04d}-{previous[1]:02d}",
        "following": f"{following[0]:04d}-{following[1]:02d}", "today": today,
        "follow_ups": follow_ups_open(customers)[:100],
        "regions": visible_customers(request.user).exclude(region="").order_by("region")
        .values_list("region", flat=True).distinct(),
    })


@staff_view()
def complaints(request: HttpRequest) -> HttpResponse:
    customers = visible_customers(request.user)
    qs = Complaint.objects.filter(customer__in=customers).select_related("customer")
    status, category = request.GET.get("status", ""), request.GET.get("category", "")
    listed = qs
    if status in Complaint.Status.values:
        listed = listed.filter(status=status)
    elif status == "unresolved":
        listed = listed.exclude(status=Complaint.Status.RESOLVED)
    if category in Complaint.Category.values:
        listed = listed.filter(category=category)
    context: dict[str, Any] = {
        "complaints": listed[:300], "figures": complaint_figures(qs), "status": status, "category": category,
        "statuses": Complaint.Status.choices, "categories": Complaint.Category.choices,
        "trend": survey_trend(SurveyResponse.objects.filter(customer__in=customers), until=timezone.localdate()),
    }
    return render(request, "web/office/complaints.html", context)


@require_POST
@staff_view("crm")
def rating_view(request: HttpRequest, code: str) -> HttpResponse:
    customer = _visible(request, code)
    score = request.POST.get("score", "").strip()
    try:
        rating_set(card_code=request.POST.get("card", ""), customer_code=customer.code,
                   criterion=request.POST.get("criterion", ""), score=int(score) if score.isdigit() else -1,
                   today=timezone.localdate(), actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:customer", customer.code)
    return _done(request, _("Rating saved"), "web:customer", customer.code)


@staff_view()
def scorecards(request: HttpRequest) -> HttpResponse:
    """A card's customers from the best score down, with each criterion's part."""
    cards = list(ScoreCard.objects.all())
    chosen = next((c for c in cards if c.code == request.GET.get("card")), cards[0] if cards else None)
    rows = (DealerScore.objects.filter(card=chosen, customer__in=visible_customers(request.user))
            .select_related("customer").order_by(F("total").desc(nulls_last=True), "customer__code")
            if chosen else DealerScore.objects.none())
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "web/office/scorecards.html", {
        "cards": cards, "card": chosen, "page": page,
        "criteria": chosen.document["criteria"] if chosen else [], "can_edit": can(request.user, "policies"),
    })


@require_POST
@staff_view("crm")
def segments_recompute_view(request: HttpRequest) -> HttpResponse:
    """Segments and score cards now, as the nightly run does, as a job with its progress page."""
    job = job_start(kind="segments", params={"today": timezone.localdate().isoformat()}, actor=request.user,
                    title=_("Segments and score cards"))
    return redirect("web:job", job.pk)


@require_POST
@staff_view("policies")
def scorecard_edit(request: HttpRequest, code: str) -> HttpResponse:
    """New weights (and names) for a card's criteria, checked as a file would be, then rescored."""
    card = ScoreCard.objects.filter(code=code).first()
    if card is None:
        raise Http404
    document = dict(card.document)
    criteria = []
    for criterion in document["criteria"]:
        weight = request.POST.get(f"weight.{criterion['key']}", "").strip()
        name = request.POST.get(f"name.{criterion['key']}", "").strip() or criterion["name"]
        criteria.append({**criterion, "name": name, "weight": int(weight) if weight.isdigit() else weight})
    document["criteria"] = criteria
    try:
        stored, changed = scorecard_apply(text=json.dumps(document, ensure_ascii=False), actor=request.user)
    except FanliError as error:
        details = "; ".join(ui_message(str(e.get("message"))) for e in (error.details or {}).get("errors", []))
        messages.error(request, _("The score card was not saved: %(why)s") % {"why": details or error.message})
        return redirect(f"{reverse('web:scorecards')}?card={card.code}")
    if isinstance(stored, Submission):
        return _done(request, _("The change is submitted: another person with the right to publish approves it "
                                "under Approvals."), "web:scorecards")
    if changed:
        scorecards_compute(today=timezone.localdate(), actor=request.user, codes=[stored.code])
    return _done(request, _("Score card saved and rescored") if changed else _("Nothing changed"), "web:scorecards")


@require_POST
@portal_view
def portal_survey(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer rates us from the portal (1 to 5, with a comment), at most once a month."""
    today = timezone.localdate()
    if survey_answered_lately(customer, today) is not None:
        return _done(request, _("Thank you: you told us already this month."), "web:portal")
    score = request.POST.get("score", "")
    try:
        survey_record(customer_code=customer.code, score=int(score) if score.isdigit() else 0, answered_on=today,
                      comment=request.POST.get("comment", ""), today=today, actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:portal")
    return _done(request, _("Thank you for telling us."), "web:portal")
