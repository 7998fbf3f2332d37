"""PostgreSQL: a large all-or-nothing sales import writes its invoices while it reads the file.

The import tests run both ways on PostgreSQL (``import_way`` in conftest); these check what is
particular to this way: it is taken, its writes go when the file is refused, the tables' keys
and indexes come back, and a file it cannot write this way is imported the usual way instead.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from django.db import connection

from fanli.imports.services import import_file
from fanli.sales import importing
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, sales_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL writes while reading"),
]


@pytest.fixture
def writing(master_data, monkeypatch):
    """Every file counts as a large load; segments of three documents."""
    monkeypatch.setattr(importing, "_bulk_load", lambda new_lines: True)
    monkeypatch.setattr(importing, "STAGE_CHUNK_LINES", 3)
    written: list[int] = []
    segment_end = importing._DirectWriter.segment_end

    def counted(self):
        written.append(len(self.documents))
        segment_end(self)

    monkeypatch.setattr(importing._DirectWriter, "segment_end", counted)
    return written


def _import(rows):
    return import_file(kind="sales", content=csv_bytes(SALES_HEADER, rows), filename="sales.csv", actor=None)


def _invoices(count: int, *, start: int = 1) -> list[list[str]]:
    return [sales_row(f"INV-{n}", line=line, sku=f"SKU-{line}", quantity="2", unit_price="100.00",
                      net_amount="200.00") for n in range(start, start + count) for line in (1, 2)]


def _keys_and_indexes() -> tuple[list[str], list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('sales_salesline', 'sales_salesdocument') "
                       "ORDER BY 1")
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid IN "
                       "('sales_salesline'::regclass, 'sales_salesdocument'::regclass) ORDER BY 1")
        return indexes, [row[0] for row in cursor.fetchall()]


def test_invoices_are_written_while_the_file_is_read_with_returns_through_the_stage(writing, caplog):
    before = _keys_and_indexes()
    rows = [*_invoices(7),
            sales_row("RET-1", kind="return", reverses="INV-2", document_date="2025-03-01", quantity="1",
                      net_amount="100.00")]
    with caplog.at_level(logging.INFO, logger="fanli.imports.services"):
        batch = _import(rows)

    assert (batch.status, batch.rows_created, batch.errors) == ("done", 15, [])
    assert sum(writing) == 7 and "planned again the usual way" not in caplog.text
    assert SalesDocument.objects.filter(batch=batch).count() == 8
    ret = SalesDocument.objects.get(number="RET-1")
    assert (ret.reverses.number, ret.basis_date, ret.total_minor) == ("INV-2", ret.reverses.document_date, -10000)
    assert list(SalesLine.objects.filter(document=ret).values_list("net_amount_minor", "quantity_milli",
                                                                   "basis_date", "is_return")) == [
        (-10000, -1000, ret.reverses.document_date, True)]
    assert SalesLine.objects.filter(is_return=False).count() == 14
    assert _keys_and_indexes() == before  # built again at the end


def test_a_file_with_an_error_writes_nothing_and_keeps_the_keys_and_indexes(writing):
    before = _keys_and_indexes()
    rows = [*_invoices(5), sales_row("INV-99", sku="SKU-404")]

    batch = _import(rows)

    assert batch.status == "failed" and sum(writing) > 0  # some were written before the bad row came
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [(12, "sku", "unknown SKU 'SKU-404'")]
    assert not SalesDocument.objects.exists() and not SalesLine.objects.exists()
    assert _keys_and_indexes() == before


def test_a_return_beyond_a_written_invoice_is_refused_with_the_figures(writing):
    rows = [*_invoices(2), sales_row("RET-1", kind="return", reverses="INV-1", quantity="3", net_amount="300.00")]

    batch = _import(rows)

    assert batch.status == "failed"
    assert [e["reason"] for e in batch.errors] == [
        "returns 300.00 of SKU SKU-1 but invoice INV-1 has 200.00 left",
        "returns 3 units of SKU SKU-1 but invoice INV-1 has 2 left"]
    assert not SalesDocument.objects.exists()


def test_a_file_with_stored_documents_goes_the_usual_way(writing, caplog):
    _import(_invoices(4))
    again = [*_invoices(4), *_invoices(2, start=10)]

    with caplog.at_level(logging.INFO, logger="fanli.imports.services"):
        batch = _import(again)

    assert (batch.status, batch.rows_created, batch.rows_unchanged) == ("done", 4, 8)
    assert "planned again the usual way" in caplog.text
    assert SalesDocument.objects.count() == 6 and SalesLine.objects.count() == 12


def test_a_document_whose_lines_are_apart_goes_the_usual_way_and_is_stored_whole(writing, caplog):
    rows = [sales_row("INV-1", line=1), sales_row("INV-2", line=1), sales_row("INV-1", line=2, sku="SKU-2")]

    with caplog.at_level(logging.INFO, logger="fanli.imports.services"):
        batch = _import(rows)

    assert (batch.status, batch.rows_created) == ("done", 3)
    assert "planned again the usual way" in caplog.text
    assert list(SalesLine.objects.filter(document__number="INV-1").order_by("line_number")
                .values_list("product__sku", flat=True)) == ["SKU-1", "SKU-2"]


def test_a_partial_import_never_writes_while_reading(writing):
    batch = import_file(kind="sales", content=csv_bytes(SALES_HEADER, [*_invoices(2), sales_row("INV-9", sku="X")]),
                        filename="sales.csv", actor=None, partial=True)

    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("done", 4, 1)
    assert writing == []


def test_numbers_and_currencies_are_written_exactly_whatever_their_characters(writing):
    rows = [sales_row("INV\\7 发票", line=1, due_date="2025-02-01"),
            sales_row("INV\\7 发票", line=2, sku="SKU-2", due_date="2025-02-01"),
            sales_row("INV-8", currency="usd")]

    batch = _import(rows)

    assert (batch.status, sum(writing)) == ("done", 2)
    assert list(SalesDocument.objects.order_by("number").values_list("number", "currency", "due_date")) == [
        ("INV-8", "USD", None), ("INV\\7 发票", "CNY", date(2025, 2, 1))]


def test_a_file_refused_midway_leaves_nothing_and_the_tables_as_they_were(writing, settings):
    """Rows already sent to the server when the file is refused (here: more rows than allowed,
    found while reading): the COPY is cut, the transaction rolled back, the batch failed."""
    settings.FANLI_IMPORT_MAX_ROWS = 100
    before = _keys_and_indexes()

    batch = _import(_invoices(60))

    assert sum(writing) > 30  # many invoices were on their way to the server
    assert batch.status == "failed"
    assert [e["reason"] for e in batch.errors] == [
        "the file has more than 100 rows; split it into files of at most 100 rows"]
    assert not SalesDocument.objects.exists() and not SalesLine.objects.exists()
    assert _keys_and_indexes() == before
