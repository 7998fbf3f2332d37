"""Warnings in the back office: the open ones a user should look at, a page at a time, filtered,
grouped by customer group and rule, and acknowledged one by one or all that match at once."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fanli.crm.models import Warning
from fanli.crm.selectors import visible_warnings
from fanli.crm.services import warning_acknowledge

from .views import staff_view

FILTERS = ("kind", "customer", "mine", "all", "view")


def _filtered(request: HttpRequest, data: Any) -> tuple[Any, dict[str, str]]:
    """The warnings ``data`` (the page's query or a form) asks for, among those the user may see."""
    chosen = {name: data.get(name, "").strip() for name in FILTERS}
    qs = visible_warnings(request.user).select_related("customer", "customer__parent", "owner", "acknowledged_by")
    if chosen["all"] != "1":
        qs = qs.filter(acknowledged_at__isnull=True)
    if chosen["kind"] in Warning.Kind.values:
        qs = qs.filter(kind=chosen["kind"])
    else:
        chosen["kind"] = ""
    if chosen["customer"]:
        text = chosen["customer"]
        qs = qs.filter(Q(customer__code__icontains=text) | Q(customer__name__icontains=text)
                       | Q(customer__parent__code__icontains=text))
    if chosen["mine"] == "1":
        qs = qs.filter(owner_id=request.user.pk)
    return qs.order_by("-raised_on", "kind", "customer__code", "id"), chosen


def _query(chosen: dict[str, str], **changes: str) -> str:
    query = QueryDict(mutable=True)
    for name, value in {**chosen, **changes}.items():
        if value:
            query[name] = value
    return query.urlencode()


@staff_view()
def warnings(request: HttpRequest) -> HttpResponse:
    qs, chosen = _filtered(request, request.GET)
    context: dict[str, Any] = {"chosen": chosen, "kinds": Warning.Kind.choices, "count": qs.count(),
                               "open_count": qs.filter(acknowledged_at__isnull=True).count(),
                               "query": _query(chosen, view=""), "grouped_query": _query(chosen, view="grouped"),
                               "list_query": _query(chosen, view="")}
    if chosen["view"] == "grouped":
        # one row per customer group (a branch counts under its head) and rule: a pooled group's
        # warning, raised for each branch, reads once
        groups = (qs.annotate(head=Coalesce(F("customer__parent__code"), F("customer__code")))
                  .values("head", "kind").annotate(n=Count("id"), first=Min("raised_on"), last=Max("raised_on"),
                                                    customers=Count("customer", distinct=True))
                  .order_by("-n", "head", "kind"))
        page = Paginator(list(groups), 50).get_page(request.GET.get("page"))
        labels = dict(Warning.Kind.choices)
        for row in page:
            row["label"] = labels.get(row["kind"], row["kind"])
            row["filter"] = _query({**chosen, "view": "", "kind": row["kind"], "customer": row["head"] or ""})
        context["page"] = page
    else:
        context["page"] = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/office/warnings.html", context)


@require_POST
@staff_view()
def warning_acknowledge_view(request: HttpRequest, warning_id: int) -> HttpResponse:
    if not visible_warnings(request.user).filter(pk=warning_id).exists():
        raise Http404
    warning_acknowledge(warning_id=warning_id, actor=request.user)
    _qs, chosen = _filtered(request, request.POST)
    messages.success(request, _("Warning acknowledged"))
    return redirect(f"{reverse('web:warnings')}?{_query(chosen)}")


@require_POST
@staff_view()
def warnings_acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the ticked warnings, or every open one the filters match (``all_matching``,
    refused when their number changed since the page said it)."""
    qs, chosen = _filtered(request, request.POST)
    qs = qs.filter(acknowledged_at__isnull=True)
    if request.POST.get("all_matching"):
        if str(qs.count()) != request.POST.get("expected_count"):
            messages.error(request, _("The warnings matching the filters changed: %(count)d now match. Nothing was "
                                      "acknowledged; check them again.") % {"count": qs.count()})
            return redirect(f"{reverse('web:warnings')}?{_query(chosen)}")
        ids = list(qs.values_list("id", flat=True))
    else:
        wanted = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        ids = list(qs.filter(pk__in=wanted).values_list("id", flat=True))
    for warning_id in ids:
        warning_acknowledge(warning_id=warning_id, actor=request.user)
    messages.success(request, ngettext("%(count)d warning acknowledged", "%(count)d warnings acknowledged", len(ids))
                     % {"count": len(ids)})
    return redirect(f"{reverse('web:warnings')}?{_query(chosen)}")
