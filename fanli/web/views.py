"""Back-office and portal views. Each checks access first, then calls one selector or service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fanli.accounts.controls import four_eyes, second_person
from fanli.accounts.selectors import (
    can,
    is_staff_user,
    portal_customer,
    portal_customers,
    staff_users,
    visible_customers,
)
from fanli.common.command import parse_day
from fanli.common.exceptions import FanliError
from fanli.common.money import format_minor, major_to_minor_exact
from fanli.common.periods import PeriodKind, period_containing
from fanli.crm.models import Complaint, Interaction
from fanli.crm.selectors import customer_contacts, survey_answered_lately
from fanli.customers.models import Customer, CustomerSegment, DealerScore, Grade, Relationship
from fanli.customers.services import customer_bank_verify
from fanli.ledger.models import Account, Payout
from fanli.ledger.selectors import balances_by_customer, customer_balances, customers_balances
from fanli.loyalty.selectors import member_summaries
from fanli.notices.models import Notice
from fanli.rebates.agreements import customer_agreements
from fanli.rebates.explain import explanation_text
from fanli.rebates.models import Policy, Statement
from fanli.rebates.payouts import payout_record
from fanli.rebates.selectors import customer_progress, statement_lines, statements_issued, statements_overdue
from fanli.rebates.services import statement_approve, statement_dispute
from fanli.sales.selectors import customer_sales_by_month, net_sales_by_customer

from .messages import ui_message

View = Callable[..., HttpResponse]


def staff_view(permission: str = "view") -> Callable[[View], View]:
    """Anonymous users go to the login page; users without the permission get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def portal_view(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        customer = portal_customer(request.user)
        if customer is None:
            raise PermissionDenied
        return view(request, customer, *args, **kwargs)

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    if is_staff_user(request.user):
        return redirect("web:dashboard")
    if portal_customer(request.user) is not None:
        return redirect("web:portal")
    raise PermissionDenied


def _day(request: HttpRequest) -> date:
    """``?date=YYYY-MM-DD`` (progress at any date), else today; a bad date falls back to today."""
    try:
        return parse_day(request.GET.get("date", ""))
    except FanliError:
        return timezone.localdate()


def _done(request: HttpRequest, message: str, target: str, *args: Any) -> HttpResponse:
    messages.success(request, message)
    return redirect(target, *args)


def _failed(request: HttpRequest, error: FanliError, target: str, *args: Any) -> HttpResponse:
    messages.error(request, ui_message(error.message))
    return redirect(target, *args)


# ---------------------------------------------------------------- back office


def _statement_filters(data: Any, qs: Any) -> tuple[Any, dict[str, str], list[str]]:
    """The statement list's filters from ``data`` (a query string's or a form's values); a bad
    amount is reported, not ignored and not a 500."""
    chosen = {name: data.get(name, "").strip() for name in ("policy", "period", "state", "customer", "run")}
    lookups = {"policy": "policy__code", "period": "period_key", "state": "state", "customer": "customer__code",
               "run": "run_id"}
    problems: list[str] = []
    for name, value in chosen.items():
        if value and (name != "run" or value.isdigit()):
            qs = qs.filter(**{lookups[name]: value})
    for name, lookup in (("min", "amount_minor__gte"), ("max", "amount_minor__lte")):
        text = data.get(name, "").strip().replace(",", "")
        if not text:
            continue
        chosen[name] = text
        try:
            qs = qs.filter(**{lookup: major_to_minor_exact(Decimal(text))})
        except (InvalidOperation, ValueError):
            problems.append(_("%(value)s is not an amount in yuan (e.g. 1000 or 1000.50)") % {"value": text})
    if data.get("overdue"):
        qs = qs.filter(statements_overdue(timezone.localdate()))
        chosen["overdue"] = "1"
    return qs, chosen, problems


_FILTER_NAMES = ("policy", "period", "state", "customer", "run", "min", "max", "overdue")


def _filter_query(data: Any) -> QueryDict:
    """Only the statement list's filters from ``data`` (a query string's or a form's values),
    without the page: what a list keeps through an action and gives its export."""
    query = QueryDict(mutable=True)
    for name in _FILTER_NAMES:
        value = data.get(name, "").strip()
        if value:
            query[name] = value
    return query


def _matching_statements(request: HttpRequest, data: Any) -> tuple[Any, dict[str, str], list[str]]:
    """The statements the list shows for the filters in ``data``, as ``_statement_filters`` reads them."""
    visible = visible_customers(request.user)
    qs = (Statement.objects.filter(customer__in=visible).select_related("policy", "customer", "payment_batch")
          .order_by("-id"))
    return _statement_filters(_filter_query(data), qs)


@staff_view()
def statements(request: HttpRequest) -> HttpResponse:
    qs, chosen, problems = _matching_statements(request, request.GET)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    drafts = qs.filter(state=Statement.State.DRAFT).order_by().aggregate(count=Count("id"), total=Sum("amount_minor"))
    from .payments import _payable

    payable = _payable(qs).order_by().aggregate(count=Count("id"), total=Sum("amount_minor"))
    context = {
        "page": page, "chosen": chosen, "problems": problems, "states": Statement.State.choices,
        "query": _filter_query(request.GET).urlencode(), "full_query": request.GET.urlencode(),
        "policies": Policy.objects.order_by("code").values_list("code", flat=True),
        "can_approve": can(request.user, "approve"), "today": timezone.localdate(),
        "drafts_count": drafts["count"] or 0, "drafts_total_minor": drafts["total"] or 0,
        "payable_count": payable["count"] or 0, "payable_total_minor": payable["total"] or 0,
        "can_pay": can(request.user, "pay"),
        "swapped": bool(request.htmx),  # type: ignore[attr-defined]
    }
    template = "web/office/_statement_rows.html" if request.htmx else "web/office/statements.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _filters_described(chosen: dict[str, str]) -> list[tuple[str, str]]:
    """The filters in force as (label, value) in the reader's language, for a confirmation."""
    labels = {"policy": _("Policy"), "period": _("Period"), "state": _("State"), "customer": _("Customer"),
              "run": _("Settlement run"), "min": _("Amount from (¥)"), "max": _("to (¥)"), "overdue": _("overdue only")}
    described = []
    for name in _FILTER_NAMES:
        value = chosen.get(name, "")
        if not value:
            continue
        if name == "state" and value in Statement.State.values:
            value = str(Statement.State(value).label)
        elif name == "overdue":
            value = _("yes")
        described.append((labels[name], value))
    return described


def _all_matching(request: HttpRequest, select: Callable[[Any], Any], confirm: Callable[[int, int], dict[str, str]],
                  changed: str) -> list[int] | HttpResponse:
    """The statements an "all … matching, on every page" action takes: ``select`` narrows the
    statements the posted filters match (drafts to approve, approved ones to pay). Without
    ``confirmed`` a page names their count and total (``confirm(count, total)`` words it); once
    confirmed, exactly those ids, unless the count or total changed meanwhile (``changed``, with
    the new count, is said and nothing is done)."""
    query = _filter_query(request.POST)
    qs, chosen, problems = _matching_statements(request, request.POST)
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return _back_to_list(query)
    chosen_qs = select(qs)
    figures = chosen_qs.order_by().aggregate(count=Count("id"), total=Sum("amount_minor"))
    count, total = figures["count"] or 0, figures["total"] or 0
    if not request.POST.get("confirmed"):
        return render(request, "web/office/statements_confirm.html", {
            "count": count, "total_minor": total, "query": query.urlencode(), "filters": query,
            "described": _filters_described(chosen), "confirm": confirm(count, total)})
    if (str(count), str(total)) != (request.POST.get("expected_count"), request.POST.get("expected_total")):
        messages.error(request, changed % {"count": count})
        return _back_to_list(query)
    return list(chosen_qs.order_by("id").values_list("id", flat=True))


def _approve_words(count: int, total: int) -> dict[str, str]:
    amount = format_minor(total)
    return {"title": _("Approve statements"), "section_id": "approve-confirm", "button_id": "approve-all-confirm",
            "action": reverse("web:statements_approve"),
            "question": ngettext("Approve the %(count)s draft statement matching these filters, %(amount)s?",
                                 "Approve all %(count)s draft statements matching these filters, %(amount)s in all?",
                                 count) % {"count": count, "amount": amount},
            "empty": _("No draft statement matches these filters: there is nothing to approve."),
            "button": ngettext("Approve %(count)s statement", "Approve %(count)s statements", count) % {"count": count}}


def _back_to_list(query: QueryDict) -> HttpResponse:
    """The statement list with the filters it had when the action was taken."""
    target = reverse("web:statements")
    return redirect(f"{target}?{query.urlencode()}" if query else target)


@require_POST
@staff_view("approve")
def statements_approve(request: HttpRequest) -> HttpResponse:
    """Approve the ticked statements, or (``all_matching``) every draft the filters match on any
    page: first a page that names their count and total, then, confirmed, exactly those, refused
    if the filters now match another count or total."""
    query = _filter_query(request.POST)
    visible = visible_customers(request.user)
    if request.POST.get("all_matching"):
        taken = _all_matching(request, lambda qs: qs.filter(state=Statement.State.DRAFT), _approve_words,
                              _("The statements matching the filters changed since you confirmed: "
                                "%(count)d now match. Nothing was approved; check them again."))
        if isinstance(taken, HttpResponse):
            return taken
        ids = taken
    else:
        wanted = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        ids = list(Statement.objects.filter(pk__in=wanted, customer__in=visible).order_by("id").values_list("id", flat=True))
    done, amount = 0, 0
    for statement_id in ids:
        try:
            statement = statement_approve(statement_id=statement_id, actor=request.user)
        except FanliError as error:
            messages.warning(request, f"#{statement_id}: {ui_message(error.message)}")
            continue
        done += 1
        amount += statement.amount_minor
    messages.success(request, ngettext("%(count)d statement approved, %(amount)s in all",
                                       "%(count)d statements approved, %(amount)s in all", done)
                     % {"count": done, "amount": format_minor(amount)})
    return _back_to_list(query)


def _office_statement(request: HttpRequest, statement_id: int) -> Statement:
    statement = (
        Statement.objects.filter(pk=statement_id, customer__in=visible_customers(request.user))
        .select_related("policy", "customer", "policy_version", "approved_by", "run__actor",
                        "payment_batch__prepared_by").first()
    )
    if statement is None:
        raise Http404
    return statement


def _statement_life(statement: Statement) -> list[dict[str, Any]]:
    """What happened to a statement, in order: computed by its run, approved, each dispute, paid
    (date, form, reference, who recorded it)."""
    life: list[dict[str, Any]] = [{
        "what": _("Computed"), "when": statement.created_at, "who": statement.run.actor if statement.run else None,
        "detail": (_("settlement run #%(run)s, sales counted until %(day)s") % {"run": statement.run_id,
                                                                                 "day": statement.as_of}
                   if statement.run_id else _("sales counted until %(day)s") % {"day": statement.as_of}),
    }]
    if statement.approved_on:
        life.append({"what": Statement.State.APPROVED.label, "when": statement.approved_on, "who": statement.approved_by, "detail": ""})
    for dispute in statement.disputes.select_related("opened_by").order_by("id"):
        life.append({"what": Statement.State.DISPUTED.label, "when": dispute.opened_at, "who": dispute.opened_by,
                     "detail": f"{dispute.get_state_display()} · #{dispute.pk}"})
    batch = statement.payment_batch
    if batch is not None:
        life.append({"what": _("Payment batch"), "when": batch.prepared_at, "who": batch.prepared_by,
                     "detail": f"{batch.reference} · {batch.get_state_display()}", "batch": batch})
    payout = Payout.objects.filter(statement=statement).select_related("actor").first()
    if payout is not None:
        detail = payout.get_form_display()
        if payout.reference:
            detail += " · " + _("reference %(reference)s") % {"reference": payout.reference}
        life.append({"what": Statement.State.PAID.label, "when": payout.paid_on, "who": payout.actor, "detail": detail,
                     "payout": payout})
    return life


@staff_view()
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _office_statement(request, statement_id)
    return render(request, "web/office/statement.html", {
        "statement": statement, "life": _statement_life(statement),
        "text": explanation_text(statement.explanation, currency=statement.currency, words=ui_message),
        "lines": statement_lines(statement, limit=200),
        "can_approve": can(request.user, "approve"), "can_pay": can(request.user, "pay"),
        "second_person_pays": four_eyes() and statement.approved_by_id == request.user.pk,
        "can_dispute": can(request.user, "dispute"), "today": timezone.localdate(),
        "disputes": statement.disputes.order_by("-id"),
    })


@require_POST
@staff_view("approve")
def statement_approve_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _office_statement(request, statement_id)
    try:
        statement_approve(statement_id=statement.pk, actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:statement", statement.pk)
    return _done(request, _("Statement approved"), "web:statement", statement.pk)


@require_POST
@staff_view("pay")
def statement_pay(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _office_statement(request, statement_id)
    try:
        paid_on = parse_day(request.POST.get("paid_on", ""), name="paid_on")
        payout_record(statement_id=statement.pk, actor=request.user, paid_on=paid_on,
                      reference=request.POST.get("reference", "")[:100])
    except FanliError as error:
        return _failed(request, error, "web:statement", statement.pk)
    return _done(request, _("Payout recorded"), "web:statement", statement.pk)


@require_POST
@staff_view("dispute")
def statement_dispute_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _office_statement(request, statement_id)
    try:
        statement_dispute(statement_id=statement.pk, reason=request.POST.get("reason", ""), actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:statement", statement.pk)
    return _done(request, _("Statement disputed"), "web:statement", statement.pk)


def _tiers_reached(customer_ids: list[int]) -> dict[int, list[str]]:
    """"policy: tier N" per customer, from the dashboard's snapshot of the current periods (none
    while it is being made)."""
    from .dashboard import SNAPSHOT_KEY

    data = cache.get(SNAPSHOT_KEY)
    wanted = set(customer_ids)
    found: dict[int, list[str]] = defaultdict(list)
    for position in (data or {}).get("positions", []):
        customer = int(position["customer"])
        if customer in wanted and position.get("tier"):
            found[customer].append(f"{position['policy']} {position['tier']}/{position['tiers']}")
    return found


@staff_view()
def customers(request: HttpRequest) -> HttpResponse:
    qs = visible_customers(request.user).select_related("grade", "parent", "segment").order_by("code")
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(code__icontains=query) | Q(name__icontains=query))
    chosen = {name: request.GET.get(name, "").strip() for name in ("kind", "grade", "region", "status", "abc",
                                                                     "lifecycle", "relationship")}
    lookups = {"kind": "kind", "grade": "grade__code", "region": "region", "status": "status", "abc": "segment__abc",
               "lifecycle": "segment__lifecycle", "relationship": "relationship"}
    for name, value in chosen.items():
        if value:
            qs = qs.filter(**{lookups[name]: value})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    quarter = period_containing(today, PeriodKind.QUARTER)
    ids = [c.pk for c in page]
    sales = net_sales_by_customer(ids, start=quarter.start, end=today)
    balances = balances_by_customer(ids, [Account.REBATE_ACCOUNT, Account.REBATES_PAYABLE])
    positions = _tiers_reached(ids)
    for c in page:  # the figures beside each customer of the page: a few grouped queries for all 50
        c.quarter_sales_minor = sales.get(c.pk, 0)  # type: ignore[attr-defined]
        c.credit_minor = balances.get(c.pk, {}).get(Account.REBATE_ACCOUNT, 0)  # type: ignore[attr-defined]
        c.payable_minor = balances.get(c.pk, {}).get(Account.REBATES_PAYABLE, 0)  # type: ignore[attr-defined]
        c.tiers = positions.get(c.pk, [])  # type: ignore[attr-defined]
    template = "web/office/_customer_rows.html" if request.htmx else "web/office/customers.html"  # type: ignore[attr-defined]
    return render(request, template, {
        "page": page, "q": query, "chosen": chosen, "quarter": quarter.key, "kinds": Customer._meta.get_field("kind").choices,
        "statuses": Customer._meta.get_field("status").choices, "lifecycles": CustomerSegment.Lifecycle.choices,
        "relationships": Relationship.choices, "can_crm": can(request.user, "crm"),
        "grades": Grade.objects.order_by("code").values_list("code", "name"),
        "regions": Customer.objects.order_by("region").exclude(region="").values_list("region", flat=True).distinct(),
    })


@staff_view()
def customer_detail(request: HttpRequest, code: str) -> HttpResponse:
    customer = (visible_customers(request.user).filter(code=code)
                .select_related("grade", "parent", "bank_changed_by", "bank_verified_by").first())
    if customer is None:
        raise Http404
    return customer_page(request, customer)


@require_POST
@staff_view("pay")
def customer_bank_verify_view(request: HttpRequest, code: str) -> HttpResponse:
    try:
        customer_bank_verify(code=code, actor=request.user)
    except FanliError as error:
        messages.error(request, ui_message(error.message))
    else:
        messages.success(request, _("The bank details of %(code)s are verified: bank files may pay into them.")
                         % {"code": code})
    return redirect("web:customer", code)


def customer_page(request: HttpRequest, customer: Customer, *, forms: dict[str, Any] | None = None,
                  errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> HttpResponse:
    """The customer page; ``forms``/``errors`` show a refused contact, complaint or survey form again."""
    day = _day(request)
    sales = customer_sales_by_month([customer.pk], until=day)
    today = timezone.localdate()
    return render(request, "web/office/customer.html", {
        "customer": customer, "progress": customer_progress(customer, day), "day": day,
        "balances": customer_balances(customer.pk),
        "statements": Statement.objects.filter(customer=customer).select_related("policy").order_by("-id")[:20],
        "sales": sales, "sales_peak": max([row["invoiced_minor"] for row in sales] + [1]),
        "payouts": Payout.objects.filter(customer=customer).select_related("statement__policy", "goods_product")[:20],
        "memberships": member_summaries(customer.pk, today=day),
        "contacts": customer_contacts(customer, today=today), "can_crm": can(request.user, "crm"),
        "channels": Interaction.Channel.choices, "complaint_categories": Complaint.Category.choices,
        "relationships": Relationship.choices, "scores": range(1, 6), "today": today,
        "forms": forms or {}, "errors": errors or {}, "staff": staff_users() if can(request.user, "crm") else [],
        "segment": CustomerSegment.objects.filter(customer=customer).first(),
        "dealer_scores": DealerScore.objects.filter(customer=customer).select_related("card"),
        "contact_persons": customer.contact_persons.all(),
        "can_verify_bank": bool(customer.bank_account_number) and not customer.bank_verified
        and can(request.user, "pay") and second_person(request.user, [customer.bank_changed_by_id]),
    }, status=status)


# ---------------------------------------------------------------- portal


@portal_view
def portal_home(request: HttpRequest, customer: Customer) -> HttpResponse:
    day = _day(request)
    companies = portal_customers(customer)
    company_ids = sorted(companies.values_list("id", flat=True))
    branches = [(company, customer_balances(company.pk)) for company in companies.exclude(pk=customer.pk)
                .order_by("code")] if len(company_ids) > 1 else []
    return render(request, "web/portal/home.html", {
        "customer": customer, "day": day,
        "progress": customer_progress(customer, day),
        # a group head sees what the whole group holds, and each company's share below
        "balances": customers_balances(company_ids), "own_balances": customer_balances(customer.pk),
        "branches": branches,
        "statements": Statement.objects.filter(statements_issued(), customer__in=companies)
        .select_related("policy", "customer").order_by("-id")[:50],
        "payouts": Payout.objects.filter(customer__in=companies)
        .select_related("statement__policy", "customer", "goods_product")[:50],
        "memberships": member_summaries(customer.pk, today=day),
        "survey_answered": survey_answered_lately(customer, timezone.localdate()), "scores": range(1, 6),
        "unread": Notice.objects.filter(customer__in=companies, read_at__isnull=True).count(),
        "to_accept": sum(1 for a in customer_agreements(customer, day) if a.acceptance is None),
    })


def _portal_statement(customer: Customer, statement_id: int) -> Statement:
    statement = (
        Statement.objects.filter(statements_issued(), pk=statement_id, customer__in=portal_customers(customer))
        .select_related("policy", "customer", "policy_version").first()
    )
    if statement is None:
        raise Http404
    return statement


@portal_view
def portal_statement(request: HttpRequest, customer: Customer, statement_id: int) -> HttpResponse:
    statement = _portal_statement(customer, statement_id)
    return render(request, "web/portal/statement.html", {
        "customer": customer, "statement": statement,
        "dispute": statement.disputes.order_by("-id").first(),
        "text": explanation_text(statement.explanation, currency=statement.currency, words=ui_message),
        "lines": statement_lines(statement, limit=200),
    })


@require_POST
@portal_view
def portal_dispute(request: HttpRequest, customer: Customer, statement_id: int) -> HttpResponse:
    statement = _portal_statement(customer, statement_id)
    try:
        statement_dispute(statement_id=statement.pk, reason=request.POST.get("reason", ""), actor=request.user)
    except FanliError as error:
        return _failed(request, error, "web:portal_statement", statement.pk)
    return _done(request, _("Your dispute was sent; customer service will contact you."), "web:portal_statement",
                 statement.pk)
