"""A sales file is read as a stream and checked a document at a time; what needs the whole file
still sees the whole file: documents whose lines are apart, bytes that are not UTF-8 anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanli.imports import tabular
from fanli.imports.services import import_file
from fanli.imports.tabular import FileRefused, read_table
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, sales_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]


def _import(content: bytes, tmp_path: Path, *, partial: bool = False):  # type: ignore[no-untyped-def]
    path = tmp_path / "sales.csv"
    path.write_bytes(content)
    return import_file(kind="sales", path=path, filename="sales.csv", actor=None, partial=partial)


def test_a_document_whose_lines_are_apart_in_the_file_is_imported_whole_once(master_data, tmp_path):
    content = csv_bytes(SALES_HEADER, [
        sales_row("INV-1", line=1), sales_row("INV-2", customer="C002"), sales_row("INV-1", line=2, sku="SKU-2"),
        sales_row("RET-1", kind="return", reverses="INV-1", quantity="1", net_amount="100.00"),
        sales_row("INV-1", line=3),
    ])

    batch = _import(content, tmp_path)

    assert (batch.status, batch.rows_total, batch.rows_created, batch.errors) == ("done", 5, 5, [])
    invoice = SalesDocument.objects.get(number="INV-1")
    assert sorted(invoice.lines.values_list("line_number", flat=True)) == [1, 2, 3]
    assert invoice.total_minor == 60000
    assert SalesDocument.objects.get(number="RET-1").reverses == invoice
    again = _import(content, tmp_path)
    assert (again.rows_unchanged, again.rows_created, SalesLine.objects.count()) == (5, 0, 5)


def test_the_lines_of_a_document_apart_in_the_file_are_checked_against_each_other(master_data, tmp_path):
    content = csv_bytes(SALES_HEADER, [
        sales_row("INV-1", line=1), sales_row("INV-2"), sales_row("INV-1", line=1, sku="SKU-2"),
        sales_row("INV-3"), sales_row("INV-1", line=2, customer="C002"),
    ])

    batch = _import(content, tmp_path, partial=True)

    assert batch.errors == [
        {"line": 4, "column": "line_number", "reason": "duplicate line: document INV-1 line 1 is already on line 2"},
        {"line": 6, "column": "customer_code", "reason": "'C002' differs from 'C001' on line 2 of document INV-1"},
    ]
    assert (batch.rows_created, batch.rows_rejected) == (2, 3)
    assert sorted(SalesDocument.objects.values_list("number", flat=True)) == ["INV-2", "INV-3"]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1024 * 1024])
def test_a_file_read_in_chunks_reports_a_bad_byte_or_a_nul_as_a_whole_read_does(monkeypatch, chunk):
    monkeypatch.setattr(tabular, "READ_CHUNK_BYTES", chunk)
    good = "document_number,sku\nINV-1,茶叶\nINV-2,SKU\n".encode()

    def refusal(content: bytes) -> list[dict]:
        with pytest.raises(FileRefused) as refused:
            list(read_table(content=content, filename="s.csv").rows)
        return [error.as_dict() for error in refused.value.errors]

    assert refusal(good + b"INV-3,\xff\n") == [
        {"line": 4, "column": None, "reason": f"file is not UTF-8 text (invalid byte at position {len(good) + 6})"}]
    assert refusal(good[:-1] + b"\xe8\xb6") == [  # the text ends inside a character
        {"line": 3, "column": None, "reason": f"file is not UTF-8 text (invalid byte at position {len(good) - 1})"}]
    assert refusal(b"\xef\xbb\xbf" + good + b"INV-\x003\n\xff") == [  # the invalid byte wins over the NUL
        {"line": 5, "column": None, "reason": f"file is not UTF-8 text (invalid byte at position {len(good) + 7})"}]
    assert refusal(good + b"INV-\x003\n") == [
        {"line": 4, "column": None, "reason": "file contains a NUL byte; is it really a CSV file?"}]
    table = read_table(content=b"\xef\xbb\xbf" + good, filename="s.csv")
    assert (table.header, [row.cells for row in table.rows]) == (
        ["document_number", "sku"], [["INV-1", "茶叶"], ["INV-2", "SKU"]])
    assert table.again is not None and [row.line for row in table.again()] == [2, 3]


def test_a_large_load_writes_the_same_documents_and_lines_and_leaves_the_schema_as_it_was(
        master_data, tmp_path, monkeypatch):
    """With the bulk path (the tables' plain indexes and foreign keys built at the end) forced on a
    small file: returns point at their invoices, lines at their documents, and the schema is back."""
    from django.db import connection

    from fanli.sales import importing

    def schema() -> set:
        with connection.cursor() as cursor:
            return {(table, name, tuple(c["columns"]), c["unique"], bool(c["foreign_key"]))
                    for table in ("sales_salesdocument", "sales_salesline")
                    for name, c in connection.introspection.get_constraints(cursor, table).items()}

    before = schema()
    monkeypatch.setattr(importing, "BULK_LINES_MIN", 1)
    content = csv_bytes(SALES_HEADER, [
        sales_row("INV-1", line=1), sales_row("INV-1", line=2, sku="SKU-2"), sales_row("INV-2", customer="C002"),
        sales_row("RET-1", kind="return", reverses="INV-1", quantity="1", net_amount="100.00"),
    ])

    batch = _import(content, tmp_path)

    assert (batch.status, batch.rows_created, batch.errors) == ("done", 4, [])
    invoice = SalesDocument.objects.get(number="INV-1")
    assert SalesDocument.objects.get(number="RET-1").reverses == invoice
    assert sorted(SalesLine.objects.values_list("document__number", "line_number", "customer__code")) == [
        ("INV-1", 1, "C001"), ("INV-1", 2, "C001"), ("INV-2", 1, "C002"), ("RET-1", 1, "C001")]
    assert schema() == before
