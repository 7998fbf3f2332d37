"""Policies in the back office: list, editor, versions, side-by-side diff, preview, publish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from django.contrib import messages
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fanli.accounts.controls import four_eyes, second_person
from fanli.accounts.selectors import can, visible_customers
from fanli.catalog.models import Brand, Category
from fanli.common.exceptions import FanliError, ValidationFailed
from fanli.common.periods import Period, PeriodKind, period_containing
from fanli.common.versions import version_makers
from fanli.customers.models import CustomerKind, CustomerSegment, Grade, Relationship
from fanli.rebates.agreements import version_acceptance
from fanli.rebates.diff import document_diff, flatten
from fanli.rebates.document import parse_policy_document
from fanli.rebates.models import Policy, PolicyVersion
from fanli.rebates.preview import ended_periods, policy_preview, preview_periods, what_if
from fanli.rebates.services import (
    policy_draft_save,
    policy_version_publish,
    policy_version_reject,
    policy_version_submit,
)

from .field_labels import field_label
from .messages import ui_message
from .policy_form import PolicyForm, document_from_form
from .views import staff_view

PERIODS = [("month", gettext_lazy("Month")), ("quarter", gettext_lazy("Quarter")),
           ("half_year", gettext_lazy("Half year")), ("year", gettext_lazy("Year"))]
CHOICES = {
    "periods": PERIODS,
    "metrics": [("amount", gettext_lazy("Sales amount")), ("quantity", gettext_lazy("Quantity")),
                ("orders", gettext_lazy("Number of orders")), ("growth", gettext_lazy("Growth over last year"))],
    "basis_sources": [("invoiced", gettext_lazy("Invoiced")), ("paid", gettext_lazy("Paid"))],
    "calculation_types": [("tiers", gettext_lazy("Tier table")), ("flat_rate", gettext_lazy("Flat rate")),
                          ("per_unit", gettext_lazy("Amount per unit")), ("target_bonus", gettext_lazy("Target bonus"))],
    "modes": [("retroactive", gettext_lazy("Retroactive: the rate reached applies to the whole basis")),
              ("incremental", gettext_lazy("Incremental: each band at its own rate")),
              ("rolling", gettext_lazy("Rolling: tier from the trailing periods")),
              ("total", gettext_lazy("Total: the tier's amount as a whole"))],
    "tier_units": [("rate_percent",
                    # xgettext:no-python-format
                    gettext_lazy("% of the basis")),
                   ("amount_per_unit", gettext_lazy("¥ per unit"))],
    "poolings": [("none", gettext_lazy("Each customer on its own")),
                 ("parent", gettext_lazy("A parent's branches count together"))],
    "payout_forms": [("rebate_account", gettext_lazy("Rebate account credit")), ("cash", gettext_lazy("Cash")),
                     ("goods", gettext_lazy("Goods")), ("points", gettext_lazy("Points"))],
    "applies_to": [("whole", gettext_lazy("The whole basis")), ("increase", gettext_lazy("Only the increase"))],
    "no_prior_year": [("ineligible", gettext_lazy("Not eligible")), ("zero_baseline", gettext_lazy("Counts from zero"))],
}

NEW_POLICY: dict[str, Any] = {
    "currency": "CNY", "settlement": {"period": "quarter", "due_days": 30}, "metric": "amount",
    "basis_source": "invoiced", "pooling": "none", "payout": {"form": "rebate_account"},
    "calculation": {"type": "tiers", "mode": "retroactive", "tiers": [{"from": "0", "rate_percent": "1"}]},
}


def _policy(code: str) -> Policy:
    policy = Policy.objects.filter(code=code).first()
    if policy is None:
        raise Http404
    return policy


def _version(policy: Policy, number: int) -> PolicyVersion:
    version = policy.versions.filter(number=number).select_related("created_by").first()
    if version is None:
        raise Http404
    return version


@staff_view()
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = (
        Policy.objects.annotate(
            versions_count=Count("versions", distinct=True),
            latest=Max("versions__number"),
            published=Max("versions__number", filter=Q(versions__status=PolicyVersion.Status.PUBLISHED)),
            drafts=Count("versions", filter=Q(versions__status=PolicyVersion.Status.DRAFT), distinct=True),
            enrolled=Count("enrolments", distinct=True),
        ).order_by("code")
    )
    return render(request, "web/office/policies.html", {"policies": policies,
                                                        "can_edit": can(request.user, "policies")})


@staff_view()
def policy_detail(request: HttpRequest, code: str) -> HttpResponse:
    policy = _policy(code)
    versions = list(policy.versions.select_related("created_by", "submitted_by", "published_by")
                    .annotate(statements_count=Count("statements")))
    can_publish = can(request.user, "publish")
    for version in versions:  # the decision is offered only to a second person with the right
        version.may_publish = can_publish and second_person(  # type: ignore[attr-defined]
            request.user, version_makers(version, parent_field="policy", audit_prefix="policy"))
    in_force = next((v for v in versions if v.status == PolicyVersion.Status.PUBLISHED), None)
    acceptance = None
    if in_force is not None:  # who accepted the agreement in force, among the customers this user sees
        acceptance = version_acceptance(in_force, timezone.localdate())
        visible = set(visible_customers(request.user).values_list("id", flat=True))
        acceptance = {"accepted": [a for a in acceptance["accepted"] if a.customer_id in visible],
                      "waiting": [c for c in acceptance["waiting"] if c.pk in visible]}
    return render(request, "web/office/policy.html", {
        "policy": policy, "versions": versions, "can_edit": can(request.user, "policies"),
        "can_publish": can_publish, "four_eyes": four_eyes(), "acceptance": acceptance,
        "in_force": in_force,
        "draft": next((v for v in versions if v.status in (PolicyVersion.Status.DRAFT,
                                                           PolicyVersion.Status.SUBMITTED)), None),
    })


@staff_view()
def policy_version(request: HttpRequest, code: str, number: int) -> HttpResponse:
    policy = _policy(code)
    version = _version(policy, number)
    text = yaml.safe_dump(version.document, allow_unicode=True, sort_keys=False)
    # the version as the form shows it: a section per part of the document, a row per setting (the
    # tier table as a table); the YAML stays one click away for whoever writes documents by hand
    sections: dict[str, list[tuple[str, str]]] = {}
    for path, value in flatten(version.document).items():
        if path.startswith("calculation.tiers."):
            continue
        sections.setdefault(path.split(".")[0], []).append((path, value))
    calculation = version.document.get("calculation") or {}
    tiers = [{"number": index, "from": tier.get("from"), "rate_percent": tier.get("rate_percent"),
              "amount_per_unit": tier.get("amount_per_unit")}
             for index, tier in enumerate(calculation.get("tiers") or [], start=1)]
    return render(request, "web/office/policy_version.html", {
        "policy": policy, "version": version, "text": text, "can_edit": can(request.user, "policies"),
        "sections": [(field_label(name), rows) for name, rows in sections.items()], "tiers": tiers,
    })


@staff_view()
def policy_diff(request: HttpRequest, code: str) -> HttpResponse:
    policy = _policy(code)
    numbers = list(policy.versions.order_by("number").values_list("number", flat=True))
    if not numbers:
        raise Http404
    left_number = _number(request.GET.get("left"), default=numbers[-2] if len(numbers) > 1 else numbers[-1])
    right_number = _number(request.GET.get("right"), default=numbers[-1])
    left, right = _version(policy, left_number), _version(policy, right_number)
    rows = document_diff(left.document, right.document)
    only_changes = request.GET.get("all") != "1"
    return render(request, "web/office/policy_diff.html", {
        "policy": policy, "left": left, "right": right, "numbers": numbers, "only_changes": only_changes,
        "rows": [row for row in rows if row.change != "same"] if only_changes else rows,
        "changed": sum(1 for row in rows if row.change != "same"),
    })


def _number(text: str | None, *, default: int) -> int:
    return int(text) if text and text.isdigit() else default


def _whatif_periods(form: PolicyForm) -> list[Period]:
    """The last ended periods of the kind the form settles by (quarters when it names none)."""
    named = form.value("settlement.period")
    kind = PeriodKind(named) if named in {k.value for k in PeriodKind} else PeriodKind.QUARTER
    period = period_containing(timezone.localdate(), kind).previous()
    periods = [period]
    while len(periods) < 8:
        periods.append(periods[-1].previous())
    return periods


def _editor_context(form: PolicyForm, policy: Policy | None) -> dict[str, Any]:
    return {
        "form": form, "policy": policy, "choices": CHOICES, "whatif_periods": _whatif_periods(form),
        "kinds": CustomerKind.choices,
        "abc_classes": [("A", "A"), ("B", "B"), ("C", "C")], "lifecycles": CustomerSegment.Lifecycle.choices,
        "relationships": Relationship.choices, "four_eyes": four_eyes(),
        "grades": Grade.objects.order_by("code").values_list("code", "name"),
        "categories": Category.objects.order_by("code").values_list("code", "name"),
        "brands": Brand.objects.order_by("code").values_list("code", "name"),
        "stackable": Policy.objects.filter(versions__status=PolicyVersion.Status.PUBLISHED)
        .exclude(code=policy.code if policy else "").order_by("code").values_list("code", "name"),
    }


def _what_if(request: HttpRequest, policy: Policy | None, document: dict[str, Any]) -> HttpResponse:
    """The form as typed, computed over a past period beside the version in force: nothing is
    saved, and the form comes back as it was so the user can change a tier and run it again."""
    try:
        parsed_document = parse_policy_document(document)
    except ValidationFailed as error:
        form = PolicyForm(document, error.details.get("errors", []))
        return render(request, "web/office/policy_edit.html", _editor_context(form, policy), status=422)
    today = timezone.localdate()
    period_key = request.POST.get("whatif_period") or ended_periods(parsed_document, today=today)[0].key
    context = _editor_context(PolicyForm(document), policy)
    context["whatif_period"] = period_key
    try:
        preview = what_if(parsed_document, period_key, today=today)
    except FanliError as failure:
        context["whatif_error"] = failure.message
        return render(request, "web/office/policy_edit.html", context, status=422)
    visible = set(visible_customers(request.user).values_list("id", flat=True))
    context.update({"whatif": preview, "whatif_rows": [row for row in preview.rows if row.customer_id in visible][:50]})
    return render(request, "web/office/policy_edit.html", context)


@staff_view("policies")
def policy_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """GET: the latest version (or a chosen one, ``?from=N``) in the form. POST: save as the draft."""
    policy = _policy(code) if code else None
    if request.method == "POST":
        document = document_from_form(request.POST)
        if policy is not None:
            document["code"] = policy.code
        if "whatif" in request.POST:
            return _what_if(request, policy, document)
        try:
            version = policy_draft_save(data=document, actor=request.user, policy_code=policy.code if policy else None)
        except ValidationFailed as error:
            form = PolicyForm(document, error.details.get("errors", []))
            return render(request, "web/office/policy_edit.html", _editor_context(form, policy), status=422)
        if version.status != PolicyVersion.Status.DRAFT:
            messages.info(request, _("Nothing changed: the document is the same as v%(number)d.")
                          % {"number": version.number})
            return redirect("web:policy", version.policy.code)
        messages.success(request, _("Draft v%(number)d saved. Preview it over a past period, then publish it.")
                         % {"number": version.number})
        return redirect("web:policy_preview", version.policy.code, version.number)
    if policy is None:
        document = NEW_POLICY
    else:
        versions = policy.versions.order_by("-number")
        chosen = versions.filter(number=_number(request.GET.get("from"), default=0)).first() or versions.first()
        document = chosen.document if chosen else NEW_POLICY
    return render(request, "web/office/policy_edit.html", _editor_context(PolicyForm(document), policy))


@staff_view("policies")
def policy_version_preview(request: HttpRequest, code: str, number: int) -> HttpResponse:
    policy = _policy(code)
    version = _version(policy, number)
    today = timezone.localdate()
    periods = preview_periods(version, today=today)
    period_key = request.GET.get("period") or periods[0].key
    preview, error = None, None
    try:
        preview = policy_preview(version, period_key, today=today)
    except FanliError as failure:
        error = failure.message
    visible = set(visible_customers(request.user).values_list("id", flat=True)) if preview else set()
    return render(request, "web/office/policy_preview.html", {
        "policy": policy, "version": version, "periods": periods, "period_key": period_key, "preview": preview,
        "error": error, "rows": [row for row in preview.rows if row.customer_id in visible][:200] if preview else [],
        "hidden_rows": sum(1 for row in preview.rows if row.customer_id not in visible) if preview else 0,
        "four_eyes": four_eyes(), "can_publish": can(request.user, "publish"),
    })


def _version_action(request: HttpRequest, code: str, number: int, act: Callable[[PolicyVersion], Any],
                    done: str) -> HttpResponse:
    policy = _policy(code)
    version = _version(policy, number)
    try:
        act(version)
    except FanliError as error:
        messages.error(request, ui_message(error.message))
        for item in error.details.get("errors", []) if isinstance(error.details, dict) else []:
            messages.error(request, f"{item['path']}: {ui_message(str(item['message']))}")
        return redirect("web:policy", policy.code)
    messages.success(request, done % {"number": version.number})
    return redirect("web:policy", policy.code)


@require_POST
@staff_view("policies")
def policy_version_submit_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _version_action(request, code, number,
                           lambda version: policy_version_submit(version_id=version.pk, actor=request.user),
                           _("Version %(number)d is submitted: another person with the right to publish puts it in force."))


@require_POST
@staff_view("publish")
def policy_version_publish_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _version_action(request, code, number,
                           lambda version: policy_version_publish(version_id=version.pk, actor=request.user),
                           _("Version %(number)d is published and in force."))


@require_POST
@staff_view("publish")
def policy_version_reject_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _version_action(request, code, number,
                           lambda version: policy_version_reject(version_id=version.pk, actor=request.user,
                                                                 note=request.POST.get("note", "")),
                           _("Version %(number)d went back to its author as a draft."))
