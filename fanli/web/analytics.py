"""Policy effectiveness in the back office: figures, charts and an XLSX export."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from fanli.accounts.selectors import visible_customers
from fanli.common.exceptions import FanliError
from fanli.common.money import minor_to_major
from fanli.common.spreadsheets import inert_row
from fanli.rebates.effectiveness import Report, percent, policy_effectiveness_cached, policy_version_for
from fanli.rebates.models import Policy
from fanli.rebates.preview import preview_periods

from .settlement import MONEY_FORMAT, xlsx_response
from .views import staff_view


def _report(request: HttpRequest, code: str) -> tuple[Policy, list[Any], str, Report | None, str | None, Any]:
    policy = Policy.objects.filter(code=code).first()
    if policy is None:
        raise Http404
    today = timezone.localdate()
    try:
        periods = preview_periods(policy_version_for(policy), today=today)
    except FanliError:
        raise Http404 from None
    period_key = request.GET.get("period") or periods[0].key
    try:
        report, computed_at = policy_effectiveness_cached(code, period_key, today=today)
        return policy, periods, period_key, report, None, computed_at
    except FanliError as error:
        return policy, periods, period_key, None, error.message, None


def _charts(report: Report) -> dict[str, Any]:
    result = report.result
    below, tier = _("below the first tier"), _("tier")
    return {
        "tiers": {"x": [below if t is None else f"{tier} {t}" for t, _count, _share in result.tier_shares()],
                  "series": [{"name": _("Customers"), "y": [count for _t, count, _share in result.tier_shares()]}],
                  "unit": ""},
        "growth": {"x": [_("Participants"), _("Comparison group")],
                   "series": [{"name": _("Growth on a year earlier"),
                               "y": [str(g) if g is not None else "0" for g in (
                                   percent(result.panel.growth), percent(result.comparison.growth))]}],
                   "unit": "%"},
    }


@staff_view()
def effectiveness(request: HttpRequest, code: str) -> HttpResponse:
    policy, periods, period_key, report, error, computed_at = _report(request, code)
    visible = set(visible_customers(request.user).values_list("id", flat=True)) if report else set()
    rows = [row for row in report.rows if row["customer_id"] in visible] if report else []
    return render(request, "web/office/policy_effectiveness.html", {
        "policy": policy, "periods": periods, "period_key": period_key, "report": report, "error": error,
        "r": report.result if report else None, "rows": rows[:300], "computed_at": computed_at,
        "hidden_rows": (len(report.rows) - len(rows)) if report else 0,
        "charts": _charts(report) if report else None,
        "panel_growth": percent(report.result.panel.growth) if report else None,
        "comparison_growth": percent(report.result.comparison.growth) if report else None,
    }, status=422 if error else 200)


@staff_view()
def effectiveness_export(request: HttpRequest, code: str) -> HttpResponse:
    policy, _periods, period_key, report, error, _computed_at = _report(request, code)
    if report is None:
        return HttpResponse(error or "", status=422, content_type="text/plain; charset=utf-8")
    result = report.result
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    bold = Font(bold=True)
    lines: list[tuple[str, Any, bool]] = [
        (_("Policy"), f"{policy.code} v{report.version.number}", False), (_("Period"), report.period.key, False),
        (_("Compared with"), report.year_before.key, False),
        (_("Participants"), result.participants, False), (_("With a rebate"), result.paid, False),
        (_("Rebate"), minor_to_major(result.rebate_minor), True),
        (_("Net sales of the participants"), minor_to_major(result.sales_minor), True),
        # xgettext:no-python-format
        (_("Rebate as % of sales"), result.cost_of_sales, False),
        # xgettext:no-python-format
        (_("Rebate as % of the basis"), result.cost_of_basis, False),
        (_("Participants' growth on a year earlier (%)"), percent(result.panel.growth), False),
        (_("Comparison group's growth (%)"), percent(result.comparison.growth), False),
        (_("Comparison group (customers)"), result.comparison.customers, False),
        (_("Difference in differences (percentage points)"), result.difference_points, False),
        (_("Incremental sales"), None if result.incremental_minor is None else minor_to_major(result.incremental_minor),
         True),
        (_("Incremental sales per yuan of rebate"), result.return_per_yuan, False),
    ]
    for label, value, money in lines:
        summary.append(inert_row(summary, [label, value]))
        if money:
            summary.cell(row=summary.max_row, column=2).number_format = MONEY_FORMAT
        summary.cell(row=summary.max_row, column=1).font = bold
    for tier, count, share in result.tier_shares():
        summary.append(inert_row(summary, [_("below the first tier") if tier is None else f"{_('tier')} {tier}",
                                           count, share]))
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 18
    detail = book.create_sheet(_("Participants")[:31])
    detail.append(inert_row(detail, [_("Customer"), _("Name"), _("Tier"), _("Basis"), _("Rebate"), _("Net sales"),
                                     _("A year earlier"), _("Growth (%)")]))
    for cell in detail[1]:
        cell.font = bold
    visible = set(visible_customers(request.user).values_list("id", flat=True))
    for row in report.rows:
        if row["customer_id"] not in visible:
            continue
        detail.append(inert_row(detail, [row["code"], row["name"], row["tier"], minor_to_major(row["basis_minor"]),
                                         minor_to_major(row["rebate_minor"]), minor_to_major(row["now_minor"]),
                                         minor_to_major(row["before_minor"]), row["growth"]]))
        for column in (4, 5, 6, 7):
            detail.cell(row=detail.max_row, column=column).number_format = MONEY_FORMAT
    return xlsx_response(book, f"effectiveness-{policy.code}-{period_key}.xlsx")
