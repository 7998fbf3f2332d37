"""Import files are bounded as they are read: rows, columns and cells counted as really read (an
XLSX file's declared dimension is ignored), unreadable or entity-bearing workbooks refused, each
with a clear error in well under a second, and nothing written."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from fanli.common.limits import TABLE_MAX_CELL_CHARS
from fanli.imports.models import ImportBatch
from fanli.imports.services import import_file

from .helpers import SALES_HEADER, csv_bytes, row_counts, sales_row, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _with_sheet(sheet_xml: str, *, replace: dict[str, bytes] | None = None) -> bytes:
    """A real workbook (openpyxl writes it) whose first worksheet is ``sheet_xml``."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(["a"], [])))
    parts = {name: source.read(name) for name in source.namelist()}
    parts[SHEET] = sheet_xml.encode("utf-8")
    parts.update(replace or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return buffer.getvalue()


def _inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sales_sheet(*, dimension: str, extra_rows: str = "", doctype: str = "") -> str:
    header = "".join(_inline(f"{chr(65 + i)}1", name) for i, name in enumerate(SALES_HEADER))
    values = sales_row("INV-1")
    row = "".join(_inline(f"{chr(65 + i)}2", value) for i, value in enumerate(values) if value)
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
            f'<sheetData><row r="1">{header}</row><row r="2">{row}</row>{extra_rows}</sheetData></worksheet>')


def _timed_import(content: bytes, filename: str = "sales.xlsx") -> tuple[ImportBatch, float]:
    started = time.perf_counter()
    batch = import_file(kind="sales", content=content, filename=filename, actor=None)
    return batch, time.perf_counter() - started


def test_an_xlsx_declaring_the_largest_dimension_imports_its_one_real_row_in_well_under_a_second(master_data):
    # the dimension claims every cell of a sheet, and the last row exists (empty): read as the
    # declared dimension pads them, a million rows of 16,384 cells each
    content = _with_sheet(_sales_sheet(dimension="A1:XFD1048576", extra_rows='<row r="1048576"/>'))
    assert len(content) < 8000  # a few kilobytes

    batch, seconds = _timed_import(content)

    assert seconds < 1
    assert (batch.status, batch.rows_total, batch.rows_created, batch.errors) == ("done", 1, 1, [])


def test_an_xlsx_row_with_a_value_beyond_the_column_limit_is_refused_at_once_and_nothing_is_written(master_data):
    far = '<row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t></is></c></row>'
    before = row_counts()

    batch, seconds = _timed_import(_with_sheet(_sales_sheet(dimension="A1:XFD1048576", extra_rows=far)))

    assert seconds < 1
    assert (batch.status, batch.rows_created) == ("failed", 0)
    assert batch.errors == [
        {"line": 3, "column": None, "reason": "the row has a value in column 16,384; at most 200 columns are read"}]
    assert row_counts() == before


def test_an_xlsx_of_more_rows_than_the_limit_is_refused_counting_rows_really_read(master_data, settings):
    settings.FANLI_IMPORT_MAX_ROWS = 100
    empty_rows = "".join(f'<row r="{number}"/>' for number in range(3, 200))

    batch, seconds = _timed_import(_with_sheet(_sales_sheet(dimension="A1:M2", extra_rows=empty_rows)))

    assert seconds < 1
    assert batch.status == "failed"
    assert batch.errors == [{"line": 101, "column": None,
                             "reason": "the file has more than 100 rows; split it into files of at most 100 rows"}]


def test_an_xlsx_whose_worksheet_declares_entities_is_refused_with_a_clear_message(master_data):
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'

    batch, seconds = _timed_import(_with_sheet(_sales_sheet(dimension="A1:M2", doctype=doctype)))

    assert seconds < 1
    assert batch.status == "failed"
    assert batch.errors == [{"line": None, "column": None, "reason": (
        "not a readable XLSX workbook: it declares XML entities or a document type, which are refused; "
        "save it again from Excel")}]


def test_an_xlsx_whose_workbook_part_declares_entities_is_refused(master_data):
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(["a"], [])))
    workbook = source.read("xl/workbook.xml").decode()
    poisoned = ('<!DOCTYPE workbook [<!ENTITY x "y">]>' + workbook).encode()

    batch, _seconds = _timed_import(_with_sheet(_sales_sheet(dimension="A1:M2"),
                                                replace={"xl/workbook.xml": poisoned}))

    assert batch.status == "failed"
    assert batch.errors[0]["reason"].startswith("not a readable XLSX workbook: it declares XML entities")


@pytest.mark.parametrize(("content", "reason"), [
    (b"PK\x03\x04 not really a zip", "not a readable XLSX workbook (BadZipFile)"),
    (b"", "not a readable XLSX workbook (BadZipFile)"),
])
def test_an_unreadable_workbook_is_refused_with_a_clear_message(master_data, content, reason):
    batch, _seconds = _timed_import(content)

    assert (batch.status, batch.errors) == ("failed", [{"line": None, "column": None, "reason": reason}])


def test_a_workbook_without_its_worksheet_part_is_refused(master_data):
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(SALES_HEADER, [sales_row("INV-1")])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            if name != SHEET:
                target.writestr(name, source.read(name))

    batch, _seconds = _timed_import(buffer.getvalue())

    assert (batch.status, batch.errors) == (
        "failed", [{"line": None, "column": None, "reason": "not a readable XLSX workbook (no worksheet)"}])


def test_damaged_xml_in_the_worksheet_is_refused_not_a_traceback(master_data):
    sheet = _sales_sheet(dimension="A1:M2").replace("</sheetData>", "<row r='3'><c r='A3'></sheetData>")

    batch, _seconds = _timed_import(_with_sheet(sheet))

    assert (batch.status, batch.errors) == (
        "failed", [{"line": None, "column": None, "reason": "not a readable XLSX workbook (ParseError)"}])


def test_a_csv_row_wider_than_the_column_limit_is_refused_at_once(master_data):
    wide = ",".join(["x"] * 100_000)
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1")]) + wide.encode() + b"\n"

    batch, seconds = _timed_import(content, "sales.csv")

    assert seconds < 1
    assert batch.errors == [{"line": 3, "column": None, "reason": "the row has 100,000 columns; at most 200 are read"}]


def test_a_csv_cell_longer_than_the_cell_limit_is_refused(master_data):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2", sku="S" * (TABLE_MAX_CELL_CHARS + 1))])

    batch, seconds = _timed_import(content, "sales.csv")

    assert seconds < 1
    assert batch.errors == [{"line": 3, "column": None, "reason": "a cell is longer than 32,767 characters"}]


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_refused_with_the_same_message(master_data):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2", sku="S" * 200_000)])

    batch, _seconds = _timed_import(content, "sales.csv")

    assert batch.errors == [{"line": 3, "column": None, "reason": "a cell is longer than 32,767 characters"}]


def test_a_csv_of_more_rows_than_the_limit_is_refused_and_nothing_is_written(master_data, settings):
    settings.FANLI_IMPORT_MAX_ROWS = 3
    before = row_counts()
    rows = [sales_row(f"INV-{number}") for number in range(1, 4)]

    batch, _seconds = _timed_import(csv_bytes(SALES_HEADER, rows), "sales.csv")

    assert batch.errors == [{"line": 4, "column": None,
                             "reason": "the file has more than 3 rows; split it into files of at most 3 rows"}]
    assert row_counts() == before


def _dimension_bomb() -> bytes:
    far = '<row r="4"><c r="XFD4" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"/>'
    return _with_sheet(_sales_sheet(dimension="A1:XFD1048576", extra_rows=far))


COLUMN_REASON = "the row has a value in column 16,384; at most 200 columns are read"


def test_the_api_refuses_a_crafted_workbook_with_a_422_in_well_under_a_second(master_data, staff_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from fanli.common.services import api_token_create

    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=staff_user, name='tests')}")
    started = time.perf_counter()
    response = client.post("/api/imports/sales", {"file": SimpleUploadedFile("bomb.xlsx", _dimension_bomb())})

    assert time.perf_counter() - started < 1
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["message"]) == ("import_refused", "bomb.xlsx was refused: 1 error(s); nothing was written")
    assert body["details"]["errors"] == [{"line": 4, "column": None, "reason": COLUMN_REASON}]
    assert row_counts()["SalesDocument"] == 0


def test_the_command_line_refuses_a_crafted_workbook_without_a_traceback(master_data, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_dimension_bomb())
    out = io.StringIO()
    started = time.perf_counter()
    with pytest.raises(CommandError, match=r"^bomb\.xlsx was refused; nothing was written$"):
        call_command("import", "sales", str(path), stdout=out, stderr=io.StringIO())

    assert time.perf_counter() - started < 1
    assert f"line 4: {COLUMN_REASON}" in out.getvalue()
    assert row_counts()["SalesDocument"] == 0


def test_a_csv_cell_beyond_the_limit_refuses_the_file_even_in_partial_mode(master_data):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2", sku="S" * (TABLE_MAX_CELL_CHARS + 1)),
                                       sales_row("INV-3")])

    batch = import_file(kind="sales", content=content, filename="sales.csv", actor=None, partial=True)

    assert (batch.status, batch.rows_created) == ("failed", 0)
    assert batch.errors == [{"line": 3, "column": None, "reason": "a cell is longer than 32,767 characters"}]
