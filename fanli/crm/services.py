"""Writes for customer management: warnings (raise, tell owners, acknowledge), contacts and
follow-ups, complaints, satisfaction surveys and the relationship level."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from fanli.accounts.selectors import customer_scope, customers_for
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.revisions import customer_key, revisions_bump
from fanli.common.services import audit_record
from fanli.customers.models import Customer, Relationship

from .models import Complaint, FollowUp, Interaction, SurveyResponse, Warning
from .warnings import candidates

runs_log = logging.getLogger("fanli.runs")


def warnings_raise(*, today: date, actor: Any = None) -> list[Warning]:
    """Store the warnings that are new (a situation warns once), owned by the customer's sales
    rep (a budget warning: the author of the policy or rule version), and e-mail each owner the
    list of their new ones. Answers the new warnings."""
    found = candidates(today)
    existing = set(Warning.objects.values_list("kind", "key"))
    owners = dict(Customer.objects.filter(pk__in={c.customer_id for c in found if c.customer_id})
                  .values_list("id", "owner_id"))
    new = [Warning(kind=c.kind, key=c.key, customer_id=c.customer_id,
                   owner_id=c.owner_id or (owners.get(c.customer_id) if c.customer_id else None),
                   reason=c.reason[:400], amount_minor=c.amount_minor, raised_on=today)
           for c in found if (c.kind, c.key) not in existing]
    with transaction.atomic():
        Warning.objects.bulk_create(new, ignore_conflicts=True)
        stored = list(Warning.objects.filter(raised_on=today, notified_at__isnull=True)
                      .select_related("owner", "customer"))
        audit_record(actor=actor, action="warnings.raise", object_type="warnings", object_id=today.isoformat(),
                     data={"new": len(new)})
    mailed = _notify(stored)
    runs_log.info("warnings %s: %d new, %d e-mailed to %d owner(s)", today.isoformat(), len(new),
                  sum(len(theirs) for theirs in mailed.values()), len(mailed))
    return stored


def _notify(warnings: list[Warning]) -> dict[Any, list[Warning]]:
    """E-mail each owner the list of their new warnings; answers what went to whom."""
    by_owner: dict[Any, list[Warning]] = defaultdict(list)
    for warning in warnings:
        if warning.owner is not None and warning.owner.email:
            by_owner[warning.owner].append(warning)
    for owner, theirs in by_owner.items():
        lines = [f"- {w.customer.code if w.customer else ''} {w.get_kind_display()}: {w.reason}" for w in theirs]
        send_mail(subject=f"Fanli: {len(theirs)} new warning(s)", message="\n".join(lines),
                  from_email=None, recipient_list=[owner.email])
        Warning.objects.filter(pk__in=[w.pk for w in theirs]).update(notified_at=timezone.now())
    return by_owner


def warning_acknowledge(*, warning_id: int, actor: Any) -> Warning:
    with transaction.atomic():
        warning = Warning.objects.select_for_update().filter(pk=warning_id).first()
        if warning is None:
            raise NotFound(f"no warning {warning_id}")
        if warning.acknowledged_at is None:
            Warning.objects.filter(pk=warning.pk).update(acknowledged_by=actor, acknowledged_at=timezone.now())
            audit_record(actor=actor, action="warning.acknowledge", object_type="warning", object_id=warning.pk,
                         data={"kind": warning.kind, "key": warning.key})
        warning.refresh_from_db()
        return warning


# ---------------------------------------------------------------- contacts, complaints, surveys


def _customer(code: str, actor: Any) -> Customer:
    """The customer ``code`` if ``actor`` may reach it; another sales rep's is "not found", as unknown."""
    customer = customers_for(actor).filter(code=code).first()
    if customer is None:
        raise NotFound(f"no customer {code!r}")
    return customer


def interaction_log(*, customer_code: str, channel: str, happened_on: date, summary: str, today: date,
                    outcome: str = "", next_follow_up: date | None = None, owner: Any = None,
                    actor: Any) -> Interaction:
    """Record a contact. A next follow-up date makes a follow-up task for ``owner`` (the
    customer's sales rep when not given), who is reminded when it falls due."""
    errors = []
    summary, outcome = summary.strip(), outcome.strip()
    if channel not in Interaction.Channel.values:
        errors.append({"path": "channel", "message": f"choose one of {', '.join(Interaction.Channel.values)}"})
    if not summary:
        errors.append({"path": "summary", "message": "say what was discussed"})
    elif len(summary) > 500:
        errors.append({"path": "summary", "message": "at most 500 characters"})
    if len(outcome) > 300:
        errors.append({"path": "outcome", "message": "at most 300 characters"})
    if happened_on > today:
        errors.append({"path": "happened_on", "message": f"{happened_on} is in the future; log contacts once they happened"})
    if next_follow_up is not None and next_follow_up < happened_on:
        errors.append({"path": "next_follow_up", "message": f"the follow-up ({next_follow_up}) is before the contact"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['path']}: {e['message']}" for e in errors), details={"errors": errors})
    customer = _customer(customer_code, actor)
    with transaction.atomic():
        interaction = Interaction.objects.create(
            customer=customer, channel=channel, happened_on=happened_on, summary=summary, outcome=outcome,
            next_follow_up=next_follow_up, recorded_by=actor if getattr(actor, "pk", None) else None)
        if next_follow_up is not None:
            FollowUp.objects.create(customer=customer, interaction=interaction, title=outcome or summary[:300],
                                    due_on=next_follow_up, owner=owner or customer.owner or
                                    (actor if getattr(actor, "pk", None) else None))
        audit_record(actor=actor, action="interaction.log", object_type="customer", object_id=customer.code,
                     data={"channel": channel, "on": happened_on.isoformat(), "follow_up": str(next_follow_up or "")})
    return interaction


def follow_up_done(*, follow_up_id: int, actor: Any) -> FollowUp:
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().filter(customer_scope(actor), pk=follow_up_id).first()
        if follow_up is None:
            raise NotFound(f"no follow-up {follow_up_id}")
        if follow_up.done_at is None:
            FollowUp.objects.filter(pk=follow_up.pk).update(done_at=timezone.now(), done_by=actor)
            audit_record(actor=actor, action="follow_up.done", object_type="follow_up", object_id=follow_up.pk)
        follow_up.refresh_from_db()
        return follow_up


def complaint_open(*, customer_code: str, category: str, summary: str, opened_on: date, today: date,
                   actor: Any) -> Complaint:
    summary = summary.strip()
    errors = []
    if category not in Complaint.Category.values:
        errors.append({"path": "category", "message": f"choose one of {', '.join(Complaint.Category.values)}"})
    if not summary or len(summary) > 500:
        errors.append({"path": "summary", "message": "say what the complaint is about (at most 500 characters)"})
    if opened_on > today:
        errors.append({"path": "opened_on", "message": f"{opened_on} is in the future"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['path']}: {e['message']}" for e in errors), details={"errors": errors})
    customer = _customer(customer_code, actor)
    with transaction.atomic():
        complaint = Complaint.objects.create(customer=customer, category=category, summary=summary,
                                             opened_on=opened_on,
                                             opened_by=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, action="complaint.open", object_type="complaint", object_id=complaint.pk,
                     data={"customer": customer.code, "category": category})
    return complaint


def complaint_progress(*, complaint_id: int, status: str, resolution: str = "", on: date, actor: Any) -> Complaint:
    """Move a complaint along: in progress, or resolved (with what was done, on a day not before it opened)."""
    resolution = resolution.strip()
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().filter(customer_scope(actor), pk=complaint_id).first()
        if complaint is None:
            raise NotFound(f"no complaint {complaint_id}")
        if complaint.status == Complaint.Status.RESOLVED:
            raise StateError(f"complaint {complaint.pk} was resolved on {complaint.resolved_on}")
        if status not in (Complaint.Status.IN_PROGRESS, Complaint.Status.RESOLVED):
            raise ValidationFailed(f"status must be in_progress or resolved, not {status!r}")
        if status == Complaint.Status.RESOLVED:
            if not resolution:
                raise ValidationFailed("say how the complaint was resolved",
                                       details={"errors": [{"path": "resolution", "message": "required"}]})
            if on < complaint.opened_on:
                raise ValidationFailed(f"resolved on {on}, before it was opened on {complaint.opened_on}")
            complaint.resolved_on, complaint.resolution = on, resolution[:500]
        complaint.status = status
        complaint.save(update_fields=["status", "resolved_on", "resolution"])
        audit_record(actor=actor, action=f"complaint.{status}", object_type="complaint", object_id=complaint.pk)
    return complaint


def survey_record(*, customer_code: str, score: int, answered_on: date, today: date, comment: str = "",
                  actor: Any) -> SurveyResponse:
    if not 1 <= score <= 5:
        message = f"a score is from 1 to 5, not {score}"
        raise ValidationFailed(message, details={"errors": [{"path": "score", "message": message}]})
    if answered_on > today:
        message = f"{answered_on} is in the future"
        raise ValidationFailed(message, details={"errors": [{"path": "answered_on", "message": message}]})
    customer = _customer(customer_code, actor)
    with transaction.atomic():
        response = SurveyResponse.objects.create(customer=customer, score=score, answered_on=answered_on,
                                                 comment=comment.strip()[:1000],
                                                 recorded_by=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, action="survey.record", object_type="customer", object_id=customer.code,
                     data={"score": score})
    return response


def customer_relationship_set(*, customer_code: str, relationship: str, actor: Any) -> Customer:
    if relationship not in Relationship.values:
        raise ValidationFailed(f"relationship must be one of {', '.join(Relationship.values)}")
    customer = _customer(customer_code, actor)
    if customer.relationship != relationship:
        before = customer.relationship
        with transaction.atomic():
            Customer.objects.filter(pk=customer.pk).update(relationship=relationship)
            revisions_bump([customer_key("relationship")])  # rebate eligibility may read it
            audit_record(actor=actor, action="customer.relationship", object_type="customer",
                         object_id=customer.code, data={"from": before, "to": relationship})
        customer.relationship = relationship
    return customer
