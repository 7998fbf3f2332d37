"""Importing sales lines from CSV and XLSX: values, idempotency, conflicts, errors, partial mode."""

from __future__ import annotations

from datetime import date

import pytest

from fanli.common.models import AuditEvent
from fanli.imports.models import ImportBatch
from fanli.imports.services import import_file
from fanli.sales.fingerprint import LineFacts, document_fingerprint
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, row_counts, sales_row, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]


def _import(content: bytes, *, filename: str = "sales.csv", partial: bool = False, staff_user=None) -> ImportBatch:
    return import_file(kind="sales", content=content, filename=filename, actor=staff_user, partial=partial)


def _two_documents() -> list[list[str]]:
    return [
        sales_row("INV-1", line=1, sku="SKU-1", quantity="2", unit_price="100.00", net_amount="190.00",
                  due_date="2025-02-14", paid="50"),
        sales_row("INV-1", line=2, sku="SKU-2", quantity="1.5", unit_price="120.00", net_amount="180.00",
                  due_date="2025-02-14", paid="50"),
        sales_row("INV-2", customer="C002", document_date="2025-01-20", quantity="10", net_amount="1,000.00",
                  unit_price="100"),
    ]


def test_a_csv_of_two_invoices_creates_documents_lines_and_exact_minor_amounts(master_data, staff_user):
    batch = _import(csv_bytes(SALES_HEADER, _two_documents()), staff_user=staff_user)

    assert (batch.status, batch.rows_total, batch.rows_created, batch.rows_unchanged, batch.rows_rejected) == (
        "done", 3, 3, 0, 0,
    )
    assert batch.errors == []
    first = SalesDocument.objects.get(number="INV-1")
    assert (first.kind, first.document_date, first.basis_date, first.customer.code) == (
        "invoice", date(2025, 1, 15), date(2025, 1, 15), "C001",
    )
    assert (first.total_minor, first.paid_minor, first.due_date, first.currency) == (37000, 5000, date(2025, 2, 14), "CNY")
    assert first.batch_id == batch.pk
    assert list(first.lines.order_by("line_number").values_list(
        "line_number", "product__sku", "quantity_milli", "unit_price_minor", "net_amount_minor",
        "customer__code", "basis_date", "is_return",
    )) == [
        (1, "SKU-1", 2000, 10000, 19000, "C001", date(2025, 1, 15), False),
        (2, "SKU-2", 1500, 12000, 18000, "C001", date(2025, 1, 15), False),
    ]
    assert SalesDocument.objects.get(number="INV-2").total_minor == 100000
    assert first.content_sha256 == document_fingerprint(
        number="INV-1", kind="invoice", document_date=date(2025, 1, 15), customer_code="C001", currency="CNY",
        reverses_number=None, due_date=date(2025, 2, 14),
        lines=[LineFacts(1, "SKU-1", 2000, 10000, 19000), LineFacts(2, "SKU-2", 1500, 12000, 18000)],
    )
    event = AuditEvent.objects.get(action="import.sales")
    assert (event.object_id, event.data["rows_created"], event.actor_id) == (str(batch.pk), 3, staff_user.pk)


def test_a_csv_with_a_byte_order_mark_reads_like_one_without(master_data):
    batch = _import(csv_bytes(SALES_HEADER, _two_documents(), bom=True))

    assert (batch.status, batch.rows_created) == ("done", 3)


def test_an_xlsx_workbook_imports_the_same_documents_as_the_csv(master_data):
    rows = _two_documents()
    rows[0][2] = date(2025, 1, 15)  # a real date cell
    rows[2][10] = 10  # numeric cells
    rows[2][11] = 100
    rows[2][12] = 1000.0
    batch = _import(xlsx_bytes(SALES_HEADER, rows), filename="sales.xlsx")

    assert (batch.status, batch.rows_created, batch.errors) == ("done", 3, [])
    assert SalesDocument.objects.get(number="INV-1").total_minor == 37000
    assert SalesDocument.objects.get(number="INV-2").total_minor == 100000


def test_importing_the_same_file_again_changes_nothing_and_reports_every_row_unchanged(master_data):
    content = csv_bytes(SALES_HEADER, _two_documents())
    _import(content)
    before = row_counts()

    again = _import(content)

    assert (again.status, again.rows_total, again.rows_created, again.rows_updated, again.rows_unchanged) == (
        "done", 3, 0, 0, 3,
    )
    assert row_counts() == before


def test_the_same_document_with_only_a_new_paid_amount_updates_paid_minor_and_nothing_else(master_data):
    _import(csv_bytes(SALES_HEADER, _two_documents()))
    rows = _two_documents()
    rows[0][7] = rows[1][7] = "370.00"
    before = row_counts()

    batch = _import(csv_bytes(SALES_HEADER, rows))

    assert (batch.status, batch.rows_created, batch.rows_updated, batch.rows_unchanged) == ("done", 0, 2, 1)
    assert SalesDocument.objects.get(number="INV-1").paid_minor == 37000
    assert row_counts() == before


def test_the_same_number_with_different_content_is_a_conflict_and_is_never_applied(master_data):
    _import(csv_bytes(SALES_HEADER, _two_documents()))
    before = row_counts()
    rows = _two_documents()
    rows[1][10] = "3"

    batch = _import(csv_bytes(SALES_HEADER, rows))

    assert batch.status == "failed"
    assert batch.errors == [
        {"line": 2, "column": "document_number", "reason": "document INV-1 already imported with different content"}
    ]
    assert row_counts() == before
    assert SalesLine.objects.get(document__number="INV-1", line_number=2).quantity_milli == 1500


def test_a_return_is_stored_negative_with_the_basis_date_of_the_invoice_it_reverses(master_data):
    rows = [
        *_two_documents(),
        sales_row("RET-1", kind="return", document_date="2025-03-02", reverses="INV-1", line=1, sku="SKU-1",
                  quantity="1", unit_price="100.00", net_amount="95.00"),
        sales_row("RET-1", kind="return", document_date="2025-03-02", reverses="INV-1", line=2, sku="SKU-2",
                  quantity="-0.5", unit_price="120.00", net_amount="-60.00"),
    ]
    batch = _import(csv_bytes(SALES_HEADER, rows))

    assert (batch.status, batch.rows_created) == ("done", 5)
    reversal = SalesDocument.objects.get(number="RET-1")
    assert (reversal.kind, reversal.reverses.number, reversal.document_date, reversal.basis_date, reversal.total_minor) == (
        "return", "INV-1", date(2025, 3, 2), date(2025, 1, 15), -15500,
    )
    assert list(reversal.lines.values_list("quantity_milli", "net_amount_minor", "basis_date", "is_return")) == [
        (-1000, -9500, date(2025, 1, 15), True),
        (-500, -6000, date(2025, 1, 15), True),
    ]


def test_a_return_may_reverse_an_invoice_imported_by_an_earlier_file(master_data):
    _import(csv_bytes(SALES_HEADER, _two_documents()))
    batch = _import(csv_bytes(SALES_HEADER, [
        sales_row("RET-9", kind="return", document_date="2025-04-01", reverses="INV-2", customer="C002",
                  quantity="1", net_amount="100.00"),
    ]))

    assert batch.status == "done"
    assert SalesDocument.objects.get(number="RET-9").basis_date == date(2025, 1, 20)


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({3: "C999"}, "customer_code", "unknown customer 'C999'"),
        ({9: "SKU-404"}, "sku", "unknown SKU 'SKU-404'"),
        ({10: "-2"}, "quantity", "quantity on an invoice must not be negative (use a return)"),
        ({10: "two"}, "quantity", "'two' is not a number"),
        ({10: "1.2345"}, "quantity", "1.2345 has more than 3 decimal places"),
        ({2: "2025-13-01"}, "document_date", "'2025-13-01' is not a date (expected YYYY-MM-DD)"),
        ({12: "199.999"}, "net_amount", "199.999 has more than 2 decimal places"),
        ({12: "-5.00"}, "net_amount", "net amount on an invoice must not be negative (use a return)"),
        ({11: "abc"}, "unit_price", "'abc' is not a number"),
        ({1: "credit"}, "kind", "'credit' is not invoice or return"),
        ({8: "0"}, "line_number", "'0' is not a positive whole number"),
        ({5: "INV-0"}, "reverses", "an invoice cannot reverse another document; only a return can"),
        ({4: "RMB1"}, "currency", "'RMB1' is not a three-letter currency code"),
    ],
)
def test_each_bad_cell_refuses_the_file_with_its_line_column_and_reason(master_data, change, column, reason):
    rows = [sales_row("INV-7", line=1), sales_row("INV-8", line=1)]
    for index, value in change.items():
        rows[1][index] = value
    before = row_counts()

    batch = _import(csv_bytes(SALES_HEADER, rows))

    assert batch.status == "failed"
    assert batch.errors == [{"line": 3, "column": column, "reason": reason}]
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (2, 0, 2)
    assert row_counts() == before


def test_a_return_of_an_unknown_invoice_is_refused(master_data):
    batch = _import(csv_bytes(SALES_HEADER, [sales_row("RET-5", kind="return", reverses="INV-404")]))

    assert batch.errors == [{"line": 2, "column": "reverses", "reason": "reverses unknown invoice 'INV-404'"}]
    assert SalesDocument.objects.count() == 0


def test_a_duplicate_line_in_the_same_file_is_refused(master_data):
    batch = _import(csv_bytes(SALES_HEADER, [sales_row("INV-1", line=1), sales_row("INV-1", line=1)]))

    assert batch.errors == [{
        "line": 3, "column": "line_number", "reason": "duplicate line: document INV-1 line 1 is already on line 2",
    }]
    assert SalesDocument.objects.count() == 0


def test_lines_of_one_document_that_disagree_on_the_header_are_refused(master_data):
    batch = _import(csv_bytes(SALES_HEADER, [sales_row("INV-1", line=1), sales_row("INV-1", line=2, customer="C002")]))

    assert batch.errors == [{
        "line": 3, "column": "customer_code", "reason": "'C002' differs from 'C001' on line 2 of document INV-1",
    }]


def test_partial_mode_writes_the_good_documents_and_rejects_every_line_of_a_bad_one(master_data):
    rows = [
        sales_row("INV-1", line=1),
        sales_row("INV-1", line=2, sku="SKU-404"),
        sales_row("INV-2", line=1),
        sales_row("INV-3", line=1, quantity="x"),
    ]
    batch = _import(csv_bytes(SALES_HEADER, rows), partial=True)

    assert (batch.status, batch.partial, batch.rows_total, batch.rows_created, batch.rows_rejected) == (
        "done", True, 4, 1, 3,
    )
    assert batch.errors == [
        {"line": 3, "column": "sku", "reason": "unknown SKU 'SKU-404'"},
        {"line": 5, "column": "quantity", "reason": "'x' is not a number"},
    ]
    assert list(SalesDocument.objects.values_list("number", flat=True)) == ["INV-2"]
    assert SalesLine.objects.count() == 1


def test_partial_mode_rejects_a_return_whose_invoice_is_rejected(master_data):
    rows = [
        sales_row("INV-1", sku="SKU-404"),
        sales_row("RET-1", kind="return", reverses="INV-1", document_date="2025-02-01"),
    ]
    batch = _import(csv_bytes(SALES_HEADER, rows), partial=True)

    assert batch.status == "failed"
    assert batch.errors == [
        {"line": 2, "column": "sku", "reason": "unknown SKU 'SKU-404'"},
        {"line": 3, "column": "reverses", "reason": "reverses invoice INV-1, which is rejected in this file"},
    ]
    assert SalesDocument.objects.count() == 0


def test_a_file_without_a_required_column_is_refused_at_the_header(master_data):
    header = [name for name in SALES_HEADER if name != "sku"]
    batch = _import(csv_bytes(header, [sales_row("INV-1")[:9] + sales_row("INV-1")[10:]]))

    assert batch.status == "failed"
    assert batch.errors == [{"line": 1, "column": "sku", "reason": "missing required column"}]
    assert batch.rows_total == 0


def test_a_header_with_an_unknown_column_is_refused(master_data):
    header = [*SALES_HEADER[:-1], "net_amuont"]
    batch = _import(csv_bytes(header, [sales_row("INV-1")]))

    assert [(error["column"], error["reason"].split(" (")[0]) for error in batch.errors] == [
        ("net_amuont", "unknown column"),
        ("net_amount", "missing required column"),
    ]


def test_a_row_with_the_wrong_number_of_columns_is_refused(master_data):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1")]) + b"INV-2,invoice,2025-01-15\n"
    batch = _import(content)

    assert batch.errors == [{"line": 3, "column": None, "reason": "expected 13 columns, found 3"}]
    assert SalesDocument.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused_with_the_line_of_the_first_bad_byte(master_data):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1")]) + "INV-2,发票\n".encode("gbk")
    batch = _import(content)

    assert batch.status == "failed"
    assert batch.errors[0]["line"] == 3
    assert batch.errors[0]["reason"].startswith("file is not UTF-8 text")
    assert SalesDocument.objects.count() == 0


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(master_data):
    batch = _import(csv_bytes(SALES_HEADER, [sales_row("INV-1")]), filename="sales.xlsx")

    assert batch.status == "failed"
    assert batch.errors == [{"line": None, "column": None, "reason": "not a readable XLSX workbook (BadZipFile)"}]
    assert SalesDocument.objects.count() == 0


def test_an_empty_file_is_refused(master_data):
    batch = _import(b"")

    assert batch.errors == [{"line": 1, "column": None, "reason": "file is empty (no header row)"}]


def test_a_refused_file_still_leaves_a_failed_batch_and_an_audit_event(master_data):
    batch = _import(csv_bytes(SALES_HEADER, [sales_row("INV-1", customer="NOPE")]))

    stored = ImportBatch.objects.get(pk=batch.pk)
    assert (stored.status, stored.rows_rejected, stored.finished_at is not None) == ("failed", 1, True)
    assert AuditEvent.objects.filter(action="import.sales.refused", object_id=str(batch.pk)).count() == 1


def test_progress_is_reported_with_rows_done_and_total(master_data):
    rows = [sales_row(f"INV-{number}") for number in range(25_000)]
    calls: list[tuple[int, int]] = []

    batch = import_file(
        kind="sales", content=csv_bytes(SALES_HEADER, rows), filename="big.csv", actor=None,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert batch.rows_created == 25_000
    assert calls == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]


def test_rows_of_empty_cells_are_skipped_like_blank_lines(master_data):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1"), [""] * 13]) + b"\n"
    batch = _import(content)

    assert (batch.status, batch.rows_total, batch.rows_created) == ("done", 1, 1)
