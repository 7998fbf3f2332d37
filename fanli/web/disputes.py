"""Disputes in the back office and the portal: the thread, proposals, four-eyes approval."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.accounts.selectors import can, visible_customers
from fanli.common.exceptions import FanliError
from fanli.common.models import AuditEvent
from fanli.customers.models import Customer
from fanli.rebates.disputes import (
    dispute_adjustment_decide,
    dispute_adjustment_propose,
    dispute_confirm,
    dispute_message_add,
)
from fanli.rebates.models import Dispute

from .views import _done, _failed, _portal_statement, portal_view, staff_view


def _office_dispute(request: HttpRequest, dispute_id: int) -> Dispute:
    dispute = (Dispute.objects.filter(pk=dispute_id, statement__customer__in=visible_customers(request.user))
               .select_related("statement__policy", "statement__customer", "adjustment", "proposed_by",
                               "opened_by", "resolved_by").first())
    if dispute is None:
        raise Http404
    return dispute


@staff_view()
def dispute_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    disputes = Dispute.objects.filter(statement__customer__in=visible_customers(request.user)).select_related(
        "statement__policy", "statement__customer")
    if state in Dispute.State.values:
        disputes = disputes.filter(state=state)
    return render(request, "web/office/disputes.html", {"disputes": disputes[:200], "state": state,
                                                        "states": Dispute.State.choices})


@staff_view()
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _office_dispute(request, dispute_id)
    history = AuditEvent.objects.filter(
        Q(object_type="dispute", object_id=str(dispute.pk)) | Q(object_type="statement", object_id=str(dispute.statement_id))
    ).select_related("actor").order_by("recorded_at", "id")
    return render(request, "web/office/dispute.html", {
        "dispute": dispute, "statement": dispute.statement, "thread": dispute.messages.select_related("author"),
        "history": history, "can_write": can(request.user, "dispute"),
        "can_decide": can(request.user, "approve") and dispute.proposed_by_id != request.user.pk,
        "is_proposer": dispute.proposed_by_id == request.user.pk,
    })


def _act(request: HttpRequest, dispute: Dispute, call: Any, message: str) -> HttpResponse:
    try:
        call()
    except FanliError as error:
        return _failed(request, error, "web:dispute", dispute.pk)
    return _done(request, message, "web:dispute", dispute.pk)


@require_POST
@staff_view("dispute")
def dispute_message(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _office_dispute(request, dispute_id)
    return _act(request, dispute, lambda: dispute_message_add(
        dispute_id=dispute.pk, body=request.POST.get("body", ""), actor=request.user,
        internal=request.POST.get("internal") == "on"), _("Message added"))


@require_POST
@staff_view("dispute")
def dispute_propose(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _office_dispute(request, dispute_id)
    return _act(request, dispute, lambda: dispute_adjustment_propose(
        dispute_id=dispute.pk, amount=request.POST.get("amount", ""), reason=request.POST.get("reason", ""),
        actor=request.user), _("Adjustment proposed; it needs the approval of someone else in finance"))


@require_POST
@staff_view("approve")
def dispute_decide(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _office_dispute(request, dispute_id)
    approve = request.POST.get("decision") == "approve"
    return _act(request, dispute, lambda: dispute_adjustment_decide(
        dispute_id=dispute.pk, approve=approve, actor=request.user, note=request.POST.get("note", "")),
        _("Adjustment approved and booked") if approve else _("Proposal rejected"))


@require_POST
@staff_view("dispute")
def dispute_confirm_view(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _office_dispute(request, dispute_id)
    return _act(request, dispute, lambda: dispute_confirm(
        dispute_id=dispute.pk, resolution=request.POST.get("resolution", ""), actor=request.user),
        _("Dispute resolved; the figure stands"))


# ---------------------------------------------------------------- portal


@require_POST
@portal_view
def portal_dispute_message(request: HttpRequest, customer: Customer, statement_id: int) -> HttpResponse:
    statement = _portal_statement(customer, statement_id)
    dispute = statement.disputes.exclude(state=Dispute.State.RESOLVED).first()
    if dispute is None:
        raise Http404
    try:
        dispute_message_add(dispute_id=dispute.pk, body=request.POST.get("body", ""), actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:portal_statement", statement.pk)
    return redirect("web:portal_statement", statement.pk)
