"""Warnings in the back office: the open ones a user should look at, acknowledged with a click."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.crm.models import Warning
from fanli.crm.selectors import visible_warnings
from fanli.crm.services import warning_acknowledge

from .views import _done, staff_view


@staff_view()
def warnings(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    qs = visible_warnings(request.user).select_related("customer", "owner", "acknowledged_by")
    if not show_all:
        qs = qs.filter(acknowledged_at__isnull=True)
    kind = request.GET.get("kind", "")
    if kind in Warning.Kind.values:
        qs = qs.filter(kind=kind)
    return render(request, "web/office/warnings.html", {"warnings": qs[:300], "show_all": show_all, "kind": kind,
                                                        "kinds": Warning.Kind.choices})


@require_POST
@staff_view()
def warning_acknowledge_view(request: HttpRequest, warning_id: int) -> HttpResponse:
    if not visible_warnings(request.user).filter(pk=warning_id).exists():
        raise Http404
    warning_acknowledge(warning_id=warning_id, actor=request.user)
    return _done(request, _("Warning acknowledged"), "web:warnings")
