"""Approvals: what one person prepared and another must decide (the four-eyes rule), in one list.

Submitted policy versions link to their policy page (where they are published or rejected);
discount rule versions, loyalty programmes and score cards are decided here; approved statements
link to their page, where someone other than their approver records the payout.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.accounts.controls import four_eyes, second_person
from fanli.accounts.models import Submission
from fanli.accounts.selectors import awaiting_approval, can, visible_customers
from fanli.common.exceptions import FanliError
from fanli.common.versions import version_makers
from fanli.customers.services import scorecard_publish, scorecard_reject, scorecards_compute
from fanli.discounts.services import discount_rule_version_decide
from fanli.loyalty.services import programme_publish, programme_reject

from .messages import ui_message
from .views import staff_view


@staff_view()
def approvals(request: HttpRequest) -> HttpResponse:
    pending = awaiting_approval()
    statements = pending["statements"].filter(customer__in=visible_customers(request.user))
    can_publish = can(request.user, "publish")
    for version in pending["rules"]:  # the decision is offered only to a second person with the right
        version.may_publish = can_publish and second_person(
            request.user, version_makers(version, parent_field="rule", audit_prefix="discount_rule"))
    for submission in pending["submissions"]:
        submission.may_publish = can_publish and second_person(request.user, [submission.submitted_by_id])
    return render(request, "web/office/approvals.html", {
        **pending, "statements": Paginator(statements, 50).get_page(request.GET.get("page")),
        "four_eyes": four_eyes(), "can_pay": can(request.user, "pay"),
        "today": timezone.localdate(),
    })


@require_POST
@staff_view("publish")
def approval_decide(request: HttpRequest) -> HttpResponse:
    """Publish or reject a submitted discount rule version, loyalty programme or score card."""
    kind, code = request.POST.get("kind", ""), request.POST.get("code", "")
    publish = request.POST.get("decision") == "publish"
    note = request.POST.get("note", "")
    try:
        if kind == "discount_rule":
            number = request.POST.get("number", "")
            discount_rule_version_decide(rule_code=code, number=int(number) if number.isdigit() else 0,
                                         actor=request.user, publish=publish, note=note)
        elif kind == Submission.Kind.PROGRAMME:
            if publish:
                programme_publish(code=code, actor=request.user)
            else:
                programme_reject(code=code, actor=request.user, note=note)
        elif kind == Submission.Kind.SCORECARD:
            if publish:
                scorecard_publish(code=code, actor=request.user)
                scorecards_compute(today=timezone.localdate(), actor=request.user, codes=[code])
            else:
                scorecard_reject(code=code, actor=request.user, note=note)
        else:
            messages.error(request, _("Nothing to decide."))
            return redirect("web:approvals")
    except FanliError as error:
        messages.error(request, ui_message(error.message))
        return redirect("web:approvals")
    messages.success(request, _("Published and in force.") if publish else _("Sent back to its author."))
    return redirect("web:approvals")
