"""The month end in a real browser, in Chinese and in English: filter the statements, select all
that match across pages, approve them (finance), then as another person put every approved one
into a payment batch, download the bank file and the filtered XLSX, and record the batch paid.
Counts and totals are asserted at each step."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fanli.customers.models import Customer
from fanli.rebates.models import PaymentBatch, Statement
from fanli.rebates.services import settlement_run
from tests.builders import customer, invoice
from tests.web.browsing import log_in, shot


def _language(page, language: str) -> None:
    if language != "zh-hans":
        page.select_option("select[name=language]", language)  # submits itself
        page.wait_for_selector(f"html[lang={language}]")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_month_end_from_filter_to_paid_batch(page, world, language, tmp_path):
    for number in range(3, 58):  # 57 statements in Q1: more than one page of 50
        invoice(customer(f"C{number:03d}"), date(2026, 3, 1), ("TEA-1", str(2000 + number)))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 3))
    Customer.objects.update(bank_name="招商银行", bank_account_number="6222020000000000099",
                            bank_verified_at=timezone.now())
    drafts = Statement.objects.filter(state="draft", period_key="2026-Q1")
    count, total = drafts.count(), sum(drafts.values_list("amount_minor", flat=True))
    assert count == 57

    log_in(page, "finance", "/office/statements/")
    _language(page, language)
    page.fill("form.filters input[name=period]", "2026-Q1")
    page.press("form.filters input[name=period]", "Enter")
    page.wait_for_selector("#export-xlsx[href$='?period=2026-Q1']")
    with page.expect_download() as exported:
        page.click("#export-xlsx")
    sheet = load_workbook(BytesIO(Path(exported.value.path()).read_bytes())).active
    assert len(list(sheet.iter_rows(min_row=2))) == count + 1  # and the total row
    page.check("#select-all-matching input")
    page.click("button[name=approve]")
    page.wait_for_selector("#approve-confirm")
    assert f"¥{total / 100:,.2f}" in page.inner_text("#approve-confirm")
    shot(page, f"month_end_approve_{language}")
    page.click("#approve-all-confirm")
    page.wait_for_selector(".messages, .alert, [role=status]")
    assert Statement.objects.filter(state="approved").count() == count
    assert page.url.endswith("/office/statements/?period=2026-Q1")

    page.click("form.inline button.link")  # log out: four eyes, another person pays
    log_in(page, "administrator", "/office/statements/?period=2026-Q1&state=approved")
    _language(page, language)
    page.check("#select-all-matching input")
    page.click("#prepare-batch")
    page.wait_for_selector("#batch-confirm")
    assert f"¥{total / 100:,.2f}" in page.inner_text("#batch-confirm")
    page.click("#batch-confirm-button")
    page.wait_for_selector("#batch-facts")
    batch = PaymentBatch.objects.get()
    assert page.inner_text("#batch-count") == str(count)
    assert page.inner_text("#batch-amount") == f"¥{total / 100:,.2f}"
    shot(page, f"month_end_batch_{language}")
    with page.expect_download() as bank_file:
        page.click("#bank-csv")
    rows = list(csv.reader(StringIO(Path(bank_file.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == count + 1
    assert sum(Decimal(row[3]) for row in rows[1:]) * 100 == total
    page.click("#batch-paid-form button")
    page.wait_for_selector("#batch-facts")
    batch.refresh_from_db()
    assert batch.state == "paid" and batch.confirmed_by.username == "administrator"
    assert Statement.objects.filter(state="paid").count() == count

    paid = Statement.objects.filter(state="paid").order_by("id").first()
    page.goto(page.base + f"/office/statements/{paid.pk}/")
    pdf = page.request.get(page.base + page.get_attribute("#statement-pdf", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
