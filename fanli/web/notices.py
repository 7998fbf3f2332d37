"""Notices in the web UI: the delivery log for staff (what was sent to whom, what failed, send a
failed one again), and in the portal the customer's inbox and which notices each contact takes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.accounts.selectors import can, portal_customers, visible_customers
from fanli.common.exceptions import FanliError
from fanli.customers.models import ContactPerson, Customer, NoticeKind
from fanli.notices.models import Delivery
from fanli.notices.selectors import deliveries, inbox
from fanli.notices.services import contact_notices_set, delivery_resend, notice_read, notice_text

from .messages import ui_message
from .views import portal_view, staff_view

FILTERS = ("state", "kind", "customer")


def _chosen(data: Any) -> dict[str, str]:
    chosen = {name: data.get(name, "").strip() for name in FILTERS}
    if chosen["state"] not in Delivery.State.values:
        chosen["state"] = ""
    if chosen["kind"] not in NoticeKind.values:
        chosen["kind"] = ""
    return chosen


def _query(chosen: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    for name, value in chosen.items():
        if value:
            query[name] = value
    return query.urlencode()


@staff_view()
def notices_log(request: HttpRequest) -> HttpResponse:
    chosen = _chosen(request.GET)
    found = deliveries(state=chosen["state"], kind=chosen["kind"],
                       customer_ids=visible_customers(request.user).values_list("id", flat=True))
    if chosen["customer"]:
        text = chosen["customer"]
        found = found.filter(Q(notice__customer__code__icontains=text) | Q(notice__customer__name__icontains=text)
                             | Q(address__icontains=text))
    page = Paginator(found.order_by("-notice__created_at", "-id"), 50).get_page(request.GET.get("page"))
    for delivery in page:
        delivery.subject = notice_text(delivery.notice)[0]  # type: ignore[attr-defined]
    counts = {state: found.filter(state=state).count() for state in (Delivery.State.QUEUED, Delivery.State.FAILED)}
    return render(request, "web/office/notices.html", {
        "page": page, "chosen": chosen, "query": _query(chosen), "states": Delivery.State.choices,
        "kinds": NoticeKind.choices, "count": page.paginator.count, "waiting": counts[Delivery.State.QUEUED],
        "failed": counts[Delivery.State.FAILED], "can_resend": can(request.user, "crm"),
    })


@require_POST
@staff_view("crm")
def notice_resend_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    visible = visible_customers(request.user).values_list("id", flat=True)
    if not Delivery.objects.filter(pk=delivery_id, notice__customer_id__in=visible).exists():
        raise Http404
    chosen = _chosen(request.POST)
    try:
        delivery = delivery_resend(delivery_id=delivery_id, actor=request.user)
    except FanliError as error:
        messages.error(request, ui_message(str(error)))
    else:
        messages.success(request, _("The notice to %(address)s will be sent again.") % {"address": delivery.address})
    return redirect(f"{reverse('web:notices')}?{_query(chosen)}")


# ---------------------------------------------------------------- portal


@portal_view
def portal_inbox(request: HttpRequest, customer: Customer) -> HttpResponse:
    companies = portal_customers(customer)
    page = Paginator(inbox(companies.values_list("id", flat=True)), 30).get_page(request.GET.get("page"))
    for notice in page:
        notice.subject = notice_text(notice)[0]  # type: ignore[attr-defined]
    contacts = list(ContactPerson.objects.filter(customer__in=companies).select_related("customer")
                    .order_by("customer__code", "name"))
    return render(request, "web/portal/inbox.html", {
        "customer": customer, "page": page, "contacts": contacts, "kinds": NoticeKind.choices,
        "show_company": len(companies) > 1,
    })


@portal_view
def portal_notice(request: HttpRequest, customer: Customer, notice_id: int) -> HttpResponse:
    notice = inbox(portal_customers(customer).values_list("id", flat=True)).filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    notice_read(notice=notice)
    subject, body = notice_text(notice)
    statement = notice.params.get("adjustment_statement") or notice.params.get("statement")
    return render(request, "web/portal/notice.html", {"customer": customer, "notice": notice, "subject": subject,
                                                      "body": body, "statement": statement})


@require_POST
@portal_view
def portal_notice_preferences(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Which notices each of the company's contact persons takes: the ticked kinds, per contact."""
    contacts = ContactPerson.objects.filter(customer__in=portal_customers(customer)).select_related("customer")
    changed = 0
    for contact in contacts:
        kinds = [kind for kind in request.POST.getlist(f"notices-{contact.pk}") if kind in NoticeKind.values]
        if sorted(kinds) != sorted(contact.notices):
            contact_notices_set(contact=contact, kinds=kinds, actor=request.user)
            changed += 1
    if changed:
        messages.success(request, _("Notice choices saved for %(count)d contact(s).") % {"count": changed})
    else:
        messages.info(request, _("Nothing changed"))
    return redirect(f"{reverse('web:portal_inbox')}#notice-choices")
