"""Exports are inert: a customer named like a formula is written as text, shown as typed, in every
XLSX export, while amounts stay exact numbers."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from fanli.common.spreadsheets import inert_row, reads_as_formula, xlsx_inert
from fanli.customers.models import Customer

pytestmark = pytest.mark.django_db
LINK, AT = '=HYPERLINK("http://x","y")', "@SUM(1)"


@pytest.mark.parametrize("text", [LINK, AT, "+1", "-1+2", "\t=1", "\r=1", "\n=1", "\tplain", "  =1", "\u3000＝1",
                                  "＋1", "－1", "＠SUM(1)", " \t@x"])
def test_text_a_spreadsheet_could_take_for_a_formula_is_recognised(text):
    assert reads_as_formula(text)


@pytest.mark.parametrize("text", ["", " ", "C001", "Acme = good", "1-2", "a@b.com", "商贸有限公司", "'=1"])
def test_ordinary_text_is_left_alone(text):
    assert not reads_as_formula(text)


def test_an_in_memory_workbook_keeps_formula_text_as_text_and_numbers_as_numbers():
    book = Workbook()
    sheet = book.active
    sheet.append(inert_row(sheet, [LINK, "－1", Decimal("-12.50"), 3, "C001"]))
    sheet["F1"] = "=1+1"  # written past the row helper: the response's last guard catches it
    xlsx_inert(book)
    buffer = BytesIO()
    book.save(buffer)
    cells = load_workbook(BytesIO(buffer.getvalue())).active[1]
    assert [(c.value, c.data_type) for c in cells] == [
        (LINK, "s"), ("－1", "s"), (Decimal("-12.5"), "n"), (3, "n"), ("C001", "s"), ("=1+1", "s")]
    assert [c.quotePrefix for c in cells] == [True, True, False, False, False, True]


def _rename(world) -> None:
    Customer.objects.filter(code="C001").update(name=LINK)
    Customer.objects.filter(code="C002").update(name=AT)


def test_the_statements_export_writes_formula_like_names_as_text_and_amounts_as_numbers(client, world):
    _rename(world)
    client.force_login(world["users"]["finance"])
    sheet = load_workbook(BytesIO(client.get("/office/statements/export.xlsx").content)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2) if isinstance(row[0].value, int)}
    acme, other = rows[world["acme_statement"].pk], rows[world["other_statement"].pk]
    assert (acme[2].value, acme[2].data_type, other[2].value, other[2].data_type) == (LINK, "s", AT, "s")
    assert (acme[11].value, acme[11].data_type, other[11].value, other[11].data_type) == (
        Decimal("3040"), "n", Decimal("900"), "n")


def test_the_effectiveness_export_writes_formula_like_names_as_text_and_amounts_as_numbers(client, world):
    _rename(world)
    client.force_login(world["users"]["finance"])
    book = load_workbook(BytesIO(client.get("/office/policies/dist-q/effectiveness.xlsx?period=2026-Q1").content))
    rows = {row[0].value: row for row in book.worksheets[1].iter_rows(min_row=2)}
    assert (rows["C001"][1].value, rows["C001"][1].data_type) == (LINK, "s")
    assert (rows["C002"][1].value, rows["C002"][1].data_type) == (AT, "s")
    assert (rows["C001"][4].value, rows["C001"][4].data_type) == (Decimal("3040"), "n")  # the rebate
    summary = {row[0].value: row[1] for row in book.worksheets[0].iter_rows()}
    assert (summary["返利"].value, summary["返利"].data_type) == (3940, "n")
