"""Payment batches in the back office: prepare one from the statement list, download the bank's
file, confirm the batch paid when the bank has, or cancel it."""

from __future__ import annotations

import csv
from io import StringIO
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from fanli.accounts.selectors import can
from fanli.common.command import parse_day
from fanli.common.exceptions import FanliError, StateError
from fanli.common.money import format_minor, minor_to_major
from fanli.common.spreadsheets import inert_row, reads_as_formula
from fanli.rebates.models import PaymentBatch, Statement
from fanli.rebates.payment_batches import (
    bank_file,
    bank_transfers,
    batch_statements,
    batch_summary,
    payment_batch_cancel,
    payment_batch_confirm,
    payment_batch_prepare,
    payment_batch_remove,
)

from .messages import ui_message
from .settlement import _cell, xlsx_response
from .views import _all_matching, _back_to_list, _filter_query, staff_view


def _payable(qs: Any) -> Any:
    """Of the statements ``qs`` matches, those a new batch can take: approved, positive, in no
    batch waiting for the bank."""
    return (qs.filter(state=Statement.State.APPROVED, amount_minor__gt=0)
            .exclude(payment_batch__state=PaymentBatch.State.PREPARED))


def _batch_words(count: int, total: int) -> dict[str, str]:
    amount = format_minor(total)
    return {"title": _("Prepare a payment batch"), "section_id": "batch-confirm", "button_id": "batch-confirm-button",
            "action": reverse("web:statements_batch"),
            "question": ngettext(
                "Put the %(count)s approved statement matching these filters, %(amount)s, into a new payment batch?",
                "Put all %(count)s approved statements matching these filters, %(amount)s in all, into a new "
                "payment batch?", count) % {"count": count, "amount": amount},
            "note": _("Statements already in a batch waiting for the bank, and clawbacks, are left out."),
            "empty": _("No approved statement matching these filters can go into a payment batch."),
            "button": ngettext("Prepare a batch of %(count)s statement", "Prepare a batch of %(count)s statements",
                               count) % {"count": count}}


@require_POST
@staff_view("pay")
def statements_batch(request: HttpRequest) -> HttpResponse:
    """A payment batch of the ticked statements, or (``all_matching``) of every approved statement
    the filters match that a batch can take: first a page naming their count and total."""
    query = _filter_query(request.POST)
    if request.POST.get("all_matching"):
        taken = _all_matching(request, _payable, _batch_words,
                              _("The statements matching the filters changed since you confirmed: "
                                "%(count)d now match. No batch was prepared; check them again."))
        if isinstance(taken, HttpResponse):
            return taken
        ids = taken
    else:
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    try:
        batch = payment_batch_prepare(statement_ids=ids, actor=request.user)
    except FanliError as error:
        messages.error(request, ui_message(error.message))
        for problem in (error.details or {}).get("errors", [])[:20] if isinstance(error.details, dict) else []:
            messages.warning(request, ui_message(problem["message"]))
        return _back_to_list(query)
    summary = batch_summary(batch)
    messages.success(request, ngettext("Payment batch %(reference)s prepared: %(count)d statement, %(amount)s",
                                       "Payment batch %(reference)s prepared: %(count)d statements, %(amount)s",
                                       summary.statements)
                     % {"reference": batch.reference, "count": summary.statements,
                        "amount": format_minor(summary.amount_minor)})
    return redirect("web:payment_batch", batch.pk)


@staff_view("view_all_customers")
def payment_batches(request: HttpRequest) -> HttpResponse:
    batches = (PaymentBatch.objects.select_related("prepared_by", "confirmed_by")
               .annotate(count=Count("statements"), total=Sum("statements__amount_minor")).order_by("-id"))
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    return render(request, "web/office/payment_batches.html", {"page": page, "query": ""})


def _batch(batch_id: int) -> PaymentBatch:
    batch = PaymentBatch.objects.select_related("prepared_by", "confirmed_by").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


@staff_view("view_all_customers")
def payment_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(batch_id)
    statements = list(batch_statements(batch))
    return render(request, "web/office/payment_batch.html", {
        "batch": batch, "summary": batch_summary(batch), "transfers": bank_transfers(batch),
        "statements": statements, "can_pay": can(request.user, "pay"), "today": timezone.localdate(),
        "approvers": sorted({s.approved_by.get_username() for s in statements if s.approved_by}),
        "approved_by_me": any(s.approved_by_id == request.user.pk for s in statements),
    })


BANK_COLUMNS = (gettext_noop("Payee account number"), gettext_noop("Payee account name"), gettext_noop("Payee bank"),
                gettext_noop("Amount"), gettext_noop("Currency"), gettext_noop("Remark"), gettext_noop("Customer code"),
                gettext_noop("Customer name"), gettext_noop("Statements"))


def _bank_rows(batch: PaymentBatch) -> tuple[list[str], list[list[Any]]]:
    headers = [_(column) for column in BANK_COLUMNS]
    rows = [[t.account_number, t.account_name, t.bank_name, t.amount_minor, batch.currency, t.remark, t.customer_code,
             t.customer_name, " ".join(str(pk) for pk in t.statements)] for t in bank_file(batch)]
    return headers, rows


@staff_view("pay")
def payment_batch_csv(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The bank file as CSV (UTF-8 with a byte-order mark, which Excel and bank portals read):
    one transfer per payee, the amount in yuan with two decimals and no separators."""
    batch = _batch(batch_id)
    try:
        headers, rows = _bank_rows(batch)
    except StateError as held:
        return _held(request, batch, held)
    buffer = StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        cells = [*row[:3], f"{minor_to_major(row[3]):.2f}", *row[4:]]
        writer.writerow([_inert_text(cell) for cell in cells])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{batch.reference}.csv"'
    return response


def _held(request: HttpRequest, batch: PaymentBatch, held: StateError) -> HttpResponse:
    messages.error(request, ui_message(held.message))
    return redirect("web:payment_batch", batch.pk)


def _inert_text(value: Any) -> str:
    """A cell a spreadsheet would take for a formula is written with a leading quote, shown as typed."""
    text = str(value)
    return "'" + text if reads_as_formula(text) else text


@staff_view("pay")
def payment_batch_xlsx(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(batch_id)
    try:
        headers, rows = _bank_rows(batch)
    except StateError as held:
        return _held(request, batch, held)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(batch.reference)
    sheet.append(inert_row(sheet, headers))
    for row in rows:
        sheet.append(inert_row(sheet, [*row[:3], _cell(sheet, row[3]), *row[4:]]))
    return xlsx_response(workbook, f"{batch.reference}.xlsx")


@require_POST
@staff_view("pay")
def payment_batch_confirm_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(batch_id)
    try:
        paid_on = parse_day(request.POST.get("paid_on", ""), name="paid_on")
        payment_batch_confirm(batch_id=batch.pk, paid_on=paid_on, actor=request.user)
    except FanliError as error:
        messages.error(request, ui_message(error.message))
        return redirect("web:payment_batch", batch.pk)
    messages.success(request, _("Payment batch %(reference)s recorded as paid on %(day)s")
                     % {"reference": batch.reference, "day": paid_on})
    return redirect("web:payment_batch", batch.pk)


@require_POST
@staff_view("pay")
def payment_batch_cancel_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(batch_id)
    try:
        payment_batch_cancel(batch_id=batch.pk, reason=request.POST.get("reason", ""), actor=request.user)
    except FanliError as error:
        messages.error(request, ui_message(error.message))
        return redirect("web:payment_batch", batch.pk)
    messages.success(request, _("Payment batch %(reference)s cancelled; its statements may go into another")
                     % {"reference": batch.reference})
    return redirect("web:payment_batch", batch.pk)


@require_POST
@staff_view("pay")
def payment_batch_remove_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(batch_id)
    chosen = [int(pk) for pk in request.POST.getlist("statement") if pk.isdigit()]
    try:
        payment_batch_remove(batch_id=batch.pk, statement_ids=chosen, reason=request.POST.get("reason", ""),
                             actor=request.user)
    except FanliError as error:
        messages.error(request, ui_message(error.message))
    else:
        messages.success(request, ngettext("%(count)d statement taken out of %(reference)s",
                                           "%(count)d statements taken out of %(reference)s", len(chosen))
                         % {"count": len(chosen), "reference": batch.reference})
    return redirect("web:payment_batch", batch.pk)
