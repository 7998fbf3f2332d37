"""Agreements in the portal: "My agreements" (each policy the customer is in, in plain words, with
its progress) and accepting the version in force."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.common.exceptions import FanliError
from fanli.customers.models import Customer
from fanli.rebates.agreements import agreement_accept, customer_agreements
from fanli.rebates.selectors import customer_progress

from .messages import ui_message
from .views import portal_view


@portal_view
def portal_agreements(request: HttpRequest, customer: Customer) -> HttpResponse:
    today = timezone.localdate()
    progress = {row["policy"]: row for row in customer_progress(customer, today)}
    found = customer_agreements(customer, today)
    agreements = [{"agreement": a, "terms": a.terms(), "progress": progress.get(a.item.document.code)} for a in found]
    return render(request, "web/portal/agreements.html", {
        "customer": customer, "agreements": agreements, "to_accept": sum(1 for a in found if a.acceptance is None),
    })


@require_POST
@portal_view
def portal_agreement_accept(request: HttpRequest, customer: Customer, version_id: int) -> HttpResponse:
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm you have read the terms."))
        return redirect(f"{reverse('web:portal_agreements')}#agreement-{version_id}")
    try:
        acceptance = agreement_accept(
            customer_code=customer.code, version_id=version_id, actor=request.user, day=timezone.localdate(),
            ip_address=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", ""))
    except FanliError as error:
        messages.error(request, ui_message(str(error)))
    else:
        messages.success(request, _("You accepted version %(number)s of %(policy)s.")
                         % {"number": acceptance.policy_version.number, "policy": acceptance.policy_version.policy.name})
    return redirect(f"{reverse('web:portal_agreements')}#agreement-{version_id}")
