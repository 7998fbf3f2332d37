"""The settlement workspace: start accruals and settlements as jobs, see past runs, export and
print statements."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from fanli.accounts.selectors import visible_customers
from fanli.common.exceptions import FanliError
from fanli.common.jobs import job_start
from fanli.common.money import minor_to_major
from fanli.common.periods import PeriodKind, parse_period, period_containing
from fanli.common.spreadsheets import inert_row, xlsx_inert
from fanli.rebates.explain import explanation_text
from fanli.rebates.models import Policy, PolicyVersion, Run, Statement
from fanli.rebates.selectors import statement_lines

from .messages import ui_message
from .views import _office_statement, _portal_statement, _statement_filters, portal_view, staff_view

MONEY_FORMAT = "#,##0.00"


def _defaults(today: date) -> dict[str, str]:
    return {"month": period_containing(today, PeriodKind.MONTH).previous().key,
            "period": period_containing(today, PeriodKind.QUARTER).previous().key}


def _period_errors(key: str, *, today: date, month_only: bool) -> list[str]:
    try:
        period = parse_period(key)
    except ValueError as error:
        return [str(error)]
    if month_only and period.kind is not PeriodKind.MONTH:
        return [_("accruals run per month, e.g. %(example)s") % {"example": _defaults(today)["month"]}]
    if period.end >= today:
        return [_("%(key)s ends on %(end)s: it can be run from the day after") % {"key": period.key, "end": period.end}]
    return []


def _workspace(request: HttpRequest, errors: dict[str, list[str]] | None = None,
               values: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    return render(request, "web/office/settlement.html", {
        "values": values or {**_defaults(today), "policies": []}, "errors": errors or {},
        "policies": Policy.objects.filter(versions__status=PolicyVersion.Status.PUBLISHED).order_by("code")
        .values_list("code", "name"),
        "runs": Run.objects.select_related("actor").order_by("-started_at", "-id")[:20],
    }, status=status)


@staff_view("settle")
def workspace(request: HttpRequest) -> HttpResponse:
    return _workspace(request)


@require_POST
@staff_view("settle")
def run_start(request: HttpRequest) -> HttpResponse:
    """Check the period beside its field, then start the run as a job and show its progress."""
    kind = request.POST.get("kind", "")
    today = timezone.localdate()
    field = "month" if kind == "accrual" else "period"
    key = request.POST.get(field, "").strip()
    policies = [code for code in request.POST.getlist("policies") if code]
    values = {**_defaults(today), field: key, "policies": policies, "kind": kind}
    if kind not in ("accrual", "settlement"):
        return _workspace(request, {"kind": [_("choose an accrual or a settlement")]}, values, status=422)
    errors = _period_errors(key, today=today, month_only=kind == "accrual")
    if errors:
        return _workspace(request, {f"{kind}.{field}": errors}, values, status=422)
    title = (_("Accrual %(key)s") if kind == "accrual" else _("Settlement %(key)s")) % {"key": key}
    job = job_start(kind=kind, params={field: key, "policies": policies}, actor=request.user, title=title)
    return redirect("web:job", job.pk)


# ---------------------------------------------------------------- export and print


@staff_view()
def statements_export(request: HttpRequest) -> HttpResponse:
    """Exactly the statements the list shows with the same filters, as an XLSX workbook."""
    qs = Statement.objects.filter(customer__in=visible_customers(request.user)).select_related(
        "policy", "customer", "policy_version").order_by("-id")
    qs, _chosen, _problems = _statement_filters(request.GET, qs)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Statements"))
    headers = ["#", _("Customer"), _("Customer name"), _("Policy"), _("Version"), _("Period"), _("Kind"),
               _("Sequence"), _("Basis"), _("Earned"), _("Previously settled"), _("Amount"), _("Currency"),
               _("State"), _("Due")]
    sheet.append(inert_row(sheet, headers))
    totals = [0, 0, 0, 0]
    for s in qs.iterator(chunk_size=2000):
        figures = [s.basis_minor, s.earned_minor, s.previously_settled_minor, s.amount_minor]
        totals = [t + f for t, f in zip(totals, figures, strict=True)]
        sheet.append(inert_row(sheet, [
            s.pk, s.customer.code, s.customer.name, s.policy.code, s.policy_version.number, s.period_key,
            s.get_kind_display(), s.sequence, *(_cell(sheet, f) for f in figures), s.currency, s.get_state_display(),
            s.due_date]))
    total = WriteOnlyCell(sheet, value=_("Total"))
    total.font = Font(bold=True)
    sheet.append(["", total, "", "", "", "", "", "", *(_cell(sheet, t) for t in totals), "", "", ""])
    return xlsx_response(workbook, f"statements-{timezone.localdate():%Y%m%d}.xlsx")


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    """A workbook as a download (every XLSX export of the back office). Rows are written through
    ``inert_row``; no cell goes out as a formula."""
    xlsx_inert(workbook)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(sheet: Any, minor: int) -> WriteOnlyCell:
    """Money as an exact decimal number of yuan, shown with two decimals."""
    cell = WriteOnlyCell(sheet, value=minor_to_major(minor))
    cell.number_format = MONEY_FORMAT
    return cell


def _print_context(statement: Statement, back_url: str) -> dict[str, Any]:
    return {"statement": statement, "back_url": back_url, "text": explanation_text(statement.explanation, currency=statement.currency, words=ui_message),
            "lines": statement_lines(statement, limit=60), "printed": timezone.localdate()}


@staff_view()
def statement_print(request: HttpRequest, statement_id: int) -> HttpResponse:
    return render(request, "web/print_statement.html", _print_context(
        _office_statement(request, statement_id), reverse("web:statement", args=[statement_id])))


@portal_view
def portal_statement_print(request: HttpRequest, customer: Any, statement_id: int) -> HttpResponse:
    return render(request, "web/print_statement.html", _print_context(
        _portal_statement(customer, statement_id), reverse("web:portal_statement", args=[statement_id])))


def _pdf_response(request: HttpRequest, statement: Statement, back: str) -> HttpResponse:
    from .pdf import statement_pdf

    try:
        document = statement_pdf(statement)
    except FanliError as error:  # no usable font on this server: say so where the link was
        messages.error(request, ui_message(error.message))
        return redirect(back, statement.pk)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.pk}.pdf"'
    return response


@staff_view()
def statement_pdf_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    """The statement as a PDF (对账单), in the reader's language."""
    return _pdf_response(request, _office_statement(request, statement_id), "web:statement")


@portal_view
def portal_statement_pdf(request: HttpRequest, customer: Any, statement_id: int) -> HttpResponse:
    """The customer's own issued statement as a PDF: the same document the back office gets."""
    return _pdf_response(request, _portal_statement(customer, statement_id), "web:portal_statement")
