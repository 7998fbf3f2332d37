"""JSON API for customer management: contacts and follow-ups, complaints, surveys, the
relationship level, the contact calendar, warnings, segments and score cards."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from fanli.accounts.models import Submission
from fanli.accounts.permissions import permission
from fanli.accounts.selectors import hidden_from, staff_users, visible_customer, visible_customers
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.paging import Page
from fanli.common.schemas import errors
from fanli.customers.models import Customer, DealerScore, ScoreCard
from fanli.customers.services import (
    rating_set,
    scorecard_apply,
    scorecard_publish,
    scorecard_reject,
    scorecards_compute,
    segments_recompute,
)

from .models import Complaint, FollowUp, Interaction, SurveyResponse
from .selectors import contact_calendar, visible_warnings
from .services import (
    complaint_open,
    complaint_progress,
    customer_relationship_set,
    follow_up_done,
    interaction_log,
    survey_record,
    warning_acknowledge,
)

router = Router(tags=["customer management"])


def _customer(request: HttpRequest, code: str) -> Customer:
    """A customer the user may see (a sales rep: their own), else "not found"."""
    return visible_customer(request.user, code)


def _interaction(i: Interaction) -> dict[str, Any]:
    return {"id": i.pk, "channel": i.channel, "happened_on": i.happened_on, "summary": i.summary, "outcome": i.outcome,
            "next_follow_up": i.next_follow_up, "recorded_by": i.recorded_by.get_username() if i.recorded_by else None}


def _follow_up(f: FollowUp) -> dict[str, Any]:
    return {"id": f.pk, "customer": f.customer.code, "title": f.title, "due_on": f.due_on,
            "owner": f.owner.get_username() if f.owner else None, "done_at": f.done_at}


def _complaint(c: Complaint) -> dict[str, Any]:
    return {"id": c.pk, "customer": c.customer.code, "category": c.category, "summary": c.summary, "status": c.status,
            "opened_on": c.opened_on, "resolved_on": c.resolved_on, "resolution": c.resolution,
            "resolution_days": c.resolution_days}


@router.get("/customers/{code}/contacts", response={200: dict[str, Any], **errors(404)}, summary="A customer's contacts, open follow-ups, complaints and surveys")
@permission("view")
def contacts_of(request: HttpRequest, code: str) -> dict[str, Any]:
    customer = _customer(request, code)
    return {
        "relationship": customer.relationship,
        "interactions": [_interaction(i) for i in Interaction.objects.filter(customer=customer)
                         .select_related("recorded_by")[:100]],
        "follow_ups": [_follow_up(f) for f in FollowUp.objects.filter(customer=customer, done_at__isnull=True)
                       .select_related("customer", "owner")],
        "complaints": [_complaint(c) for c in Complaint.objects.filter(customer=customer).select_related("customer")],
        "surveys": [{"answered_on": s.answered_on, "score": s.score, "comment": s.comment}
                    for s in SurveyResponse.objects.filter(customer=customer)],
    }


class InteractionIn(Schema):
    channel: str = Field(max_length=1, description="T phone, E e-mail, M meeting, V visit, S message")
    happened_on: dt.date
    summary: str = Field(max_length=500)
    outcome: str = Field("", max_length=300)
    next_follow_up: dt.date | None = None
    owner: str | None = Field(None, description="Username of who follows up (default: the customer's sales rep).")


@router.post("/customers/{code}/interactions", response={201: dict[str, Any], **errors(404)}, summary="Log a contact (and its follow-up)")
@permission("crm")
def interaction_create(request: HttpRequest, code: str, body: InteractionIn) -> Status:
    _customer(request, code)
    owner = None
    if body.owner:
        owner = staff_users().filter(username=body.owner).first()
        if owner is None:
            raise ValidationFailed(f"no staff user {body.owner!r}", details={"errors": [{"path": "owner",
                                                                                       "message": "not a staff user"}]})
    interaction = interaction_log(customer_code=code, channel=body.channel, happened_on=body.happened_on,
                                  summary=body.summary, outcome=body.outcome, next_follow_up=body.next_follow_up,
                                  owner=owner, today=timezone.localdate(), actor=request.user)
    return Status(201, {**_interaction(interaction),
                 "follow_ups": [_follow_up(f) for f in interaction.follow_ups.select_related("customer", "owner")]})


@router.post("/follow-ups/{follow_up_id}/done", response={200: dict[str, Any], **errors(404, 409)}, summary="Mark a follow-up done (once)")
@permission("crm")
def follow_up_complete(request: HttpRequest, follow_up_id: int) -> dict[str, Any]:
    task = FollowUp.objects.filter(pk=follow_up_id).first()
    if task is None or hidden_from(request.user, task.customer_id):
        raise NotFound(f"no follow-up {follow_up_id}")
    return _follow_up(follow_up_done(follow_up_id=follow_up_id, actor=request.user))


class ComplaintIn(Schema):
    category: str = Field(max_length=20, description="quality, delivery, billing, rebate, service or other")
    summary: str = Field(max_length=500)
    opened_on: dt.date


@router.post("/customers/{code}/complaints", response={201: dict[str, Any], **errors(404)}, summary="Record a complaint")
@permission("crm")
def complaint_create(request: HttpRequest, code: str, body: ComplaintIn) -> Status:
    _customer(request, code)
    complaint = complaint_open(customer_code=code, category=body.category, summary=body.summary,
                               opened_on=body.opened_on, today=timezone.localdate(), actor=request.user)
    return Status(201, _complaint(complaint))


class ComplaintProgressIn(Schema):
    status: str = Field(max_length=20, description="in_progress or resolved")
    resolution: str = Field("", max_length=500)
    on: dt.date | None = Field(None, description="The day it was resolved (default today).")


@router.post("/complaints/{complaint_id}/progress", response={200: dict[str, Any], **errors(404, 409)}, summary="Take a complaint on, or resolve it (once)")
@permission("crm")
def complaint_update(request: HttpRequest, complaint_id: int, body: ComplaintProgressIn) -> dict[str, Any]:
    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if complaint is None or hidden_from(request.user, complaint.customer_id):
        raise NotFound(f"no complaint {complaint_id}")
    return _complaint(complaint_progress(complaint_id=complaint_id, status=body.status, resolution=body.resolution,
                                         on=body.on or timezone.localdate(), actor=request.user))


class SurveyIn(Schema):
    score: int = Field(description="1 (very unhappy) to 5")
    answered_on: dt.date
    comment: str = Field("", max_length=1000)


@router.post("/customers/{code}/surveys", response={201: dict[str, Any], **errors(404)}, summary="Record a satisfaction survey answer")
@permission("crm")
def survey_create(request: HttpRequest, code: str, body: SurveyIn) -> Status:
    _customer(request, code)
    answer = survey_record(customer_code=code, score=body.score, answered_on=body.answered_on, comment=body.comment,
                           today=timezone.localdate(), actor=request.user)
    return Status(201, {"id": answer.pk, "customer": code, "score": answer.score, "answered_on": answer.answered_on})


class RelationshipIn(Schema):
    relationship: str = Field(description="transactional, preferred, partner or strategic")


@router.put("/customers/{code}/relationship", response={200: dict[str, Any], **errors(404)}, summary="Set the relationship level")
@permission("crm")
def relationship_update(request: HttpRequest, code: str, body: RelationshipIn) -> dict[str, Any]:
    _customer(request, code)
    customer = customer_relationship_set(customer_code=code, relationship=body.relationship, actor=request.user)
    return {"customer": customer.code, "relationship": customer.relationship}


@router.get("/contacts/calendar", response={200: dict[str, Any]}, summary="The contact calendar of a month (?month=YYYY-MM): customers by days")
@permission("view")
def calendar(request: HttpRequest, month: str = "") -> dict[str, Any]:
    today = timezone.localdate()
    try:
        year, number = (int(part) for part in (month or f"{today:%Y-%m}").split("-"))
        dt.date(year, number, 1)
    except ValueError:
        raise ValidationFailed(f"month {month!r} is not YYYY-MM",
                               details={"errors": [{"path": "month", "message": "use YYYY-MM"}]}) from None
    grid = contact_calendar(visible_customers(request.user), year, number)
    return {"month": f"{year:04d}-{number:02d}", "counts": grid["counts"],
            "rows": [{"customer": row.code, "name": row.name, "total": row.total,
                      "days": {str(day): contacts for day, contacts in sorted(row.by_day().items())}}
                     for row in grid["rows"]]}


@router.get("/warnings", response={200: list[dict[str, Any]]}, summary="Warnings, newest first (?open=false for acknowledged ones too)")
@permission("view")
def warning_list(request: HttpRequest, page: Query[Page], open: bool = True, kind: str = "") -> list[dict[str, Any]]:
    qs = visible_warnings(request.user).select_related("customer", "owner")
    if open:
        qs = qs.filter(acknowledged_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return [{"id": w.pk, "kind": w.kind, "key": w.key, "customer": w.customer.code if w.customer else None,
             "owner": w.owner.get_username() if w.owner else None, "reason": w.reason, "amount_minor": w.amount_minor,
             "raised_on": w.raised_on, "acknowledged_at": w.acknowledged_at} for w in page.of(qs)]


@router.post("/warnings/{warning_id}/acknowledge", response={200: dict[str, Any], **errors(404, 409)}, summary="Acknowledge a warning (once)")
@permission("view")
def warning_seen(request: HttpRequest, warning_id: int) -> dict[str, Any]:
    if not visible_warnings(request.user).filter(pk=warning_id).exists():
        raise NotFound(f"no warning {warning_id}")
    warning = warning_acknowledge(warning_id=warning_id, actor=request.user)
    return {"id": warning.pk, "acknowledged_at": warning.acknowledged_at}


@router.post("/segments/recompute", response={200: dict[str, Any]}, summary="Segments and score cards now, as the nightly run does")
@permission("crm")
def segments_now(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    return {**segments_recompute(today=today, actor=request.user),
            "score_cards": scorecards_compute(today=today, actor=request.user)}


class ScoreCardIn(Schema):
    document: str | dict[str, Any] = Field(description="The score card as YAML/JSON text, or as a JSON object.")


@router.post("/scorecards", response={200: dict[str, Any]}, summary="Create or replace a score card (criteria and weights), then "
             "rescore it; under four eyes the change waits for another person to publish it")
@permission("policies")
def scorecard_put(request: HttpRequest, body: ScoreCardIn) -> dict[str, Any]:
    text = body.document if isinstance(body.document, str) else json.dumps(body.document)
    card, changed = scorecard_apply(text=text, actor=request.user)
    if isinstance(card, Submission):
        return {"card": card.code, "changed": False, "status": "submitted", "document": card.document}
    if changed:
        scorecards_compute(today=timezone.localdate(), actor=request.user, codes=[card.code])
    return {"card": card.code, "changed": changed, "status": "published", "document": card.document}


class DecisionIn(Schema):
    note: str = Field("", description="Why it is rejected (required to reject).")


@router.post("/scorecards/{code}/publish", response={200: dict[str, Any], **errors(404)}, summary="Publish the submitted change of a score card, then rescore it")
@permission("publish")
def scorecard_publish_view(request: HttpRequest, code: str) -> dict[str, Any]:
    card = scorecard_publish(code=code, actor=request.user)
    scorecards_compute(today=timezone.localdate(), actor=request.user, codes=[card.code])
    return {"card": card.code, "changed": True, "status": "published", "document": card.document}


@router.post("/scorecards/{code}/reject", response={200: dict[str, Any], **errors(404)}, summary="Reject the submitted change of a score card, with the reason")
@permission("publish")
def scorecard_reject_view(request: HttpRequest, code: str, body: DecisionIn) -> dict[str, Any]:
    scorecard_reject(code=code, actor=request.user, note=body.note)
    card = ScoreCard.objects.filter(code=code).first()
    return {"card": code, "changed": False, "status": "rejected", "document": card.document if card else {}}


@router.get("/scorecards/{code}", response={200: dict[str, Any], **errors(404)}, summary="A score card's customers, best first, with each criterion")
@permission("view")
def scorecard_scores(request: HttpRequest, code: str) -> dict[str, Any]:
    card = ScoreCard.objects.filter(code=code).first()
    if card is None:
        raise NotFound(f"no score card {code!r}")
    scores = DealerScore.objects.filter(card=card, customer__in=visible_customers(request.user)).select_related("customer").order_by("-total", "customer__code")
    return {"card": card.code, "document": card.document,
            "scores": [{"customer": s.customer.code, "total": s.total, "computed_on": s.computed_on, "parts": s.parts}
                       for s in scores]}


class RatingIn(Schema):
    customer: str = Field(max_length=40)
    criterion: str = Field(max_length=30)
    score: int = Field(description="0 to 100")


@router.post("/scorecards/{code}/ratings", response={200: dict[str, Any], **errors(404)}, summary="Rate a customer on a manual criterion and rescore the card")
@permission("crm")
def scorecard_rate(request: HttpRequest, code: str, body: RatingIn) -> dict[str, Any]:
    _customer(request, body.customer)
    score = rating_set(card_code=code, customer_code=body.customer, criterion=body.criterion, score=body.score,
                       today=timezone.localdate(), actor=request.user)
    return {"customer": body.customer, "total": score.total if score else None, "parts": score.parts if score else []}
