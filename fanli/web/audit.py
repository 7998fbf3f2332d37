"""The audit log: who changed what and when, newest first, filterable."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fanli.common.command import parse_day
from fanli.common.exceptions import FanliError
from fanli.common.models import AuditEvent

from .views import staff_view

PAGE = 50
MAX_PAGE = 1_000_000  # pages go back 50 million events; a page number that is not one (or has over 9 digits) is page 1
# Readable names of actions; the raw code is always shown beside them.
ACTIONS = {
    "policy.version_create": _("policy version saved"), "policy.draft_update": _("policy draft updated"),
    "policy.publish": _("policy published"), "enrolment.set": _("customer enrolled"),
    "settlement.run": _("settlement run"), "accrual.run": _("accrual run"),
    "statement.approve": _("statement approved"), "statement.dispute": _("statement disputed"),
    "statement.resolve": _("dispute resolved"), "payout.record": _("payout recorded"),
    "credit.use": _("rebate credit used"), "credit.expire": _("rebate credit expired"),
    "ledger.reverse": _("ledger entry reversed"), "user.create": _("user created"),
    "portal_user.create": _("portal user created"), "api_token.create": _("API token created"),
    "job.start": _("job started"), "job.done": _("job finished"), "job.failed": _("job failed"),
    "demo.load": _("demo data loaded"), "discount_rule.version_create": _("discount rule saved"),
    "discount_rule.publish": _("discount rule published"), "discount_contract.set": _("contract discount set"),
    "discount.invoice_record": _("invoice discounts recorded"),
}
PREFIXES = {"import.": _("import")}


def action_label(action: str) -> str:
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action.endswith(".refused") and action.startswith("import."):
        return str(_("import refused"))
    return next((str(label) for prefix, label in PREFIXES.items() if action.startswith(prefix)), "")


def object_link(event: AuditEvent) -> str | None:
    """The page of the object an event is about, when it has one."""
    kind, key, data = event.object_type, event.object_id, event.data or {}
    if kind == "statement" and key.isdigit():
        return reverse("web:statement", args=[int(key)])
    if kind == "job" and key.isdigit():
        return reverse("web:job", args=[int(key)])
    if kind == "customer" and key:
        return reverse("web:customer", args=[key])
    if kind == "policy_version" and data.get("policy") and data.get("number"):
        return reverse("web:policy_version", args=[data["policy"], data["number"]])
    return None


def _filters(request: HttpRequest) -> tuple[QuerySet[AuditEvent], dict[str, str], list[str]]:
    chosen = {name: request.GET.get(name, "").strip() for name in ("actor", "action", "object_type", "object_id",
                                                                     "since", "until")}
    problems: list[str] = []
    events = AuditEvent.objects.select_related("actor")
    if chosen["actor"]:
        events = events.filter(actor__username=chosen["actor"])
    if chosen["action"]:
        events = events.filter(action__startswith=chosen["action"])
    if chosen["object_type"]:
        events = events.filter(object_type=chosen["object_type"])
    if chosen["object_id"]:
        events = events.filter(object_id=chosen["object_id"])
    zone = timezone.get_current_timezone()
    for name, lookup, shift in (("since", "recorded_at__gte", 0), ("until", "recorded_at__lt", 1)):
        if chosen[name]:
            try:
                day = parse_day(chosen[name], name=name)
            except FanliError as error:
                problems.append(error.message)
                continue
            moment = datetime.combine(day + timedelta(days=shift), time.min, tzinfo=zone)
            events = events.filter(**{lookup: moment})
    return events.order_by("-recorded_at", "-id"), chosen, problems


@staff_view("audit")
def audit_log(request: HttpRequest) -> HttpResponse:
    events, chosen, problems = _filters(request)
    asked = request.GET.get("page", "")
    page = min(max(int(asked) if asked.isdigit() and len(asked) <= 9 else 1, 1), MAX_PAGE)
    rows = list(events[(page - 1) * PAGE: page * PAGE + 1])  # one more tells whether an older page exists
    shown: list[dict[str, Any]] = [
        {"event": event, "label": action_label(event.action), "link": object_link(event)} for event in rows[:PAGE]
    ]
    query = "&".join(f"{name}={value}" for name, value in chosen.items() if value)
    context = {
        "rows": shown, "chosen": chosen, "problems": problems, "page": page, "has_older": len(rows) > PAGE,
        "query": query, "object_types": AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct(),
    }
    template = "web/office/_audit_rows.html" if request.htmx else "web/office/audit.html"  # type: ignore[attr-defined]
    return render(request, template, context)
