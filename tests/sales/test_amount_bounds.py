"""Money, quantities, line numbers and text lengths are checked against stated bounds while each
cell is parsed, before any SQL: a clear error naming line and column, nothing written; and data at
the bounds aggregates without leaving a 64-bit integer."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.catalog.models import Product
from fanli.common.limits import DOCUMENT_AMOUNT_MAX_MINOR
from fanli.crm.warnings import candidates
from fanli.customers.models import Customer
from fanli.customers.services import segments_recompute
from fanli.imports.models import ImportBatch
from fanli.imports.services import import_file
from fanli.rebates.selectors import aggregate_sales
from fanli.sales.models import SalesDocument

from .helpers import SALES_HEADER, csv_bytes, row_counts, sales_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]

FIVE_E16_FEN = "500000000000000.00"  # 5 x 10^16 fen: two of them overflowed SQLite's sums


def _import(kind: str, header: list[str], rows: list[list[str]]) -> ImportBatch:
    return import_file(kind=kind, content=csv_bytes(header, rows), filename=f"{kind}.csv", actor=None)


def test_two_invoices_of_five_times_ten_to_the_sixteen_fen_are_refused_by_line_and_column(master_data):
    before = row_counts()
    batch = _import("sales", SALES_HEADER, [
        sales_row("INV-1", quantity="1", unit_price=FIVE_E16_FEN, net_amount=FIVE_E16_FEN),
        sales_row("INV-2", quantity="1", unit_price=FIVE_E16_FEN, net_amount=FIVE_E16_FEN),
    ])
    reason = f"{FIVE_E16_FEN} is out of bounds: an amount lies within ±30,000,000.00"
    assert batch.status == "failed"
    assert batch.errors == [
        {"line": 2, "column": "net_amount", "reason": reason}, {"line": 2, "column": "unit_price", "reason": reason},
        {"line": 3, "column": "net_amount", "reason": reason}, {"line": 3, "column": "unit_price", "reason": reason},
    ]
    assert row_counts() == before


@pytest.mark.parametrize(("column", "text", "reason"), [
    ("net_amount", "9" * 30, "999999999999999999999999999999 is too large"),
    ("net_amount", "9" * 5000, "99999999999999999999…(5,000 characters) is too large"),
    ("quantity", "100000000.001", "100000000.001 is out of bounds: a quantity lies within ±100,000,000.000"),
    ("paid_amount", "30000000.01", "30000000.01 is out of bounds: an amount lies within ±30,000,000.00"),
    ("line_number", "1" + "0" * 30, "'1000000000000000000000000000000' is not a positive whole number"),
    ("line_number", "1000001", "1000001 is more than 1,000,000"),
    ("document_number", "N" * 61, "longer than 60 characters"),
])
def test_a_cell_beyond_its_bound_is_a_row_error_not_a_server_error(master_data, column, text, reason):
    row = sales_row("INV-1")
    row[SALES_HEADER.index(column)] = text
    batch = _import("sales", SALES_HEADER, [row])
    assert (batch.status, batch.errors) == ("failed", [{"line": 2, "column": column, "reason": reason}])
    assert SalesDocument.objects.count() == 0


def test_lines_each_within_bounds_whose_document_total_is_beyond_it_are_refused(master_data):
    batch = _import("sales", SALES_HEADER, [
        sales_row("INV-1", line=1, quantity="1", unit_price="20000000.00", net_amount="20000000.00"),
        sales_row("INV-1", line=2, quantity="1", unit_price="20000000.00", net_amount="20000000.00"),
    ])
    assert batch.errors == [{"line": 2, "column": "net_amount", "reason": (
        "document INV-1 totals 40,000,000.00: a document's total lies within ±30,000,000.00; "
        "split it into several documents")}]
    assert SalesDocument.objects.count() == 0


def test_invoices_at_the_bound_aggregate_on_every_path_without_overflow(master_data):
    largest = f"{DOCUMENT_AMOUNT_MAX_MINOR // 100}.00"
    half_paid = f"{DOCUMENT_AMOUNT_MAX_MINOR // 200}.00"
    rows = [sales_row(f"INV-{n}", document_date="2026-03-01", due_date="2026-03-31", paid=half_paid, quantity="1",
                      unit_price=largest, net_amount=largest) for n in range(1, 5)]
    assert _import("sales", SALES_HEADER, rows).status == "done"
    product = Product.objects.get(sku="SKU-1").pk
    customer = Customer.objects.get(code="C001").pk

    paid = aggregate_sales(start=date(2026, 1, 1), end=date(2026, 12, 31), classes={1: [product]}, segments=[],
                           paid_basis=True)
    invoiced = aggregate_sales(start=date(2026, 1, 1), end=date(2026, 12, 31), classes={1: [product]}, segments=[])

    assert paid == [(customer, 1, 0, 4 * DOCUMENT_AMOUNT_MAX_MINOR // 2, 4000)]
    assert invoiced == [(customer, 1, 0, 4 * DOCUMENT_AMOUNT_MAX_MINOR, 4000)]
    assert segments_recompute(today=date(2026, 6, 1))["customers"] >= 1
    assert any(candidate.kind == "overdue_receivable" for candidate in candidates(date(2026, 6, 1)))


CUSTOMER_HEADER = ["code", "name", "kind", "start_date", "credit_limit", "payment_terms_days", "region"]


def test_customer_cells_beyond_their_bounds_or_columns_are_row_errors_and_nothing_is_written(master_data):
    before = row_counts()
    batch = _import("customers", CUSTOMER_HEADER, [
        ["C100", "N" * 201, "dealer", "2024-01-01", "1000000000000.01", "9" * 5000, "R" * 61],
    ])
    assert batch.errors == [
        {"line": 2, "column": "credit_limit",
         "reason": "1000000000000.01 is out of bounds: a credit limit lies within ±1,000,000,000,000.00"},
        {"line": 2, "column": "name", "reason": "longer than 200 characters"},
        {"line": 2, "column": "payment_terms_days", "reason": "'9999999999999999999999999999999999999999' is not a "
                                                                "whole number of days"},
        {"line": 2, "column": "region", "reason": "longer than 60 characters"},
    ]
    assert row_counts() == before


def test_grade_and_target_cells_beyond_their_bounds_are_row_errors(master_data):
    grades = _import("grades", ["code", "name", "rank"], [["g" * 33, "N" * 101, "9" * 5000]])
    assert grades.errors == [
        {"line": 2, "column": "code", "reason": "longer than 32 characters"},
        {"line": 2, "column": "name", "reason": "longer than 100 characters"},
        {"line": 2, "column": "rank", "reason": f"'{'9' * 5000}' is not a whole number from 0 to 32767"},
    ]
    targets = _import("targets", ["customer_code", "start", "end", "amount"],
                      [["C001", "2026-01-01", "2026-12-31", "1" + "0" * 13]])
    assert targets.errors == [{"line": 2, "column": "amount", "reason": (
        "10000000000000 is out of bounds: a target lies within ±1,000,000,000,000.00")}]


def test_product_cells_beyond_their_bounds_or_columns_are_row_errors(master_data):
    batch = _import("products", ["sku", "name", "category_code", "brand_code", "brand_name", "list_price"],
                    [["SKU-9", "Tea", "BEV", "B" * 41, "Brand", "30000000.01"]])
    assert batch.errors == [
        {"line": 2, "column": "brand_code", "reason": "longer than 40 characters"},
        {"line": 2, "column": "list_price",
         "reason": "30000000.01 is out of bounds: a list price lies within ±30,000,000.00"},
    ]
    assert not Product.objects.filter(sku="SKU-9").exists()


def test_the_command_line_reports_an_amount_beyond_its_bound_by_line_and_column(master_data, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(csv_bytes(SALES_HEADER, [sales_row("INV-1", net_amount=FIVE_E16_FEN)]))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"sales\.csv was refused; nothing was written"):
        call_command("import", "sales", str(path), stdout=out, stderr=io.StringIO())
    assert (f"line 2, column net_amount: {FIVE_E16_FEN} is out of bounds: an amount lies within ±30,000,000.00"
            in out.getvalue())


def test_the_api_answers_an_amount_beyond_its_bound_with_a_422_naming_line_and_column(master_data, staff_user):
    from django.test import Client

    from fanli.common.services import api_token_create

    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=staff_user, name='tests')}")
    body = {"number": "API-1", "kind": "invoice", "document_date": "2025-05-01", "customer_code": "C001",
            "lines": [{"line_number": 1, "sku": "SKU-1", "quantity": "1", "unit_price": "1.00",
                       "net_amount": "9" * 40}]}
    response = client.post("/api/sales/documents", data=json.dumps(body), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response.json()["details"]["errors"] == [
        {"line": 1, "column": "net_amount", "reason": f"{'9' * 40} is too large"}]
    assert SalesDocument.objects.count() == 0


def test_the_openapi_document_states_the_bounds_of_request_fields(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    line = schemas["SalesLineIn"]["properties"]
    assert (line["line_number"]["minimum"], line["line_number"]["maximum"], line["net_amount"]["maxLength"]) == (
        1, 1_000_000, 40)
    assert schemas["SalesDocumentIn"]["properties"]["number"]["maxLength"] == 60
    credit = schemas["CreditUseIn"]["properties"]
    assert credit["line_amounts_minor"]["items"]["maximum"] == DOCUMENT_AMOUNT_MAX_MINOR
    assert credit["requested_minor"]["anyOf"][0]["maximum"] == DOCUMENT_AMOUNT_MAX_MINOR


def test_a_quote_beyond_the_quantity_or_price_bound_names_the_line(master_data, staff_user):
    from django.test import Client

    from fanli.common.services import api_token_create

    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=staff_user, name='tests')}")
    response = client.post("/api/quotes", data=json.dumps({"customer": "C001", "lines": [
        {"sku": "SKU-1", "quantity": "1e999999"}, {"sku": "SKU-2", "quantity": "1", "unit_price": "30000000.01"},
        {"sku": "SKU-1", "quantity": 100_000_001}]}), content_type="application/json")
    assert response.status_code == 422
    errors = response.json()["details"]["errors"]
    assert errors == [{"path": "lines.0.quantity", "message": "must be at most 100,000,000"},
                      {"path": "lines.1.unit_price", "message": "must be at most 30,000,000"},
                      {"path": "lines.2.quantity", "message": "must be at most 100,000,000"}]
    assert response.json()["code"] == "validation_failed"
