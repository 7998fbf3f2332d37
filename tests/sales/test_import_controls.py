"""Returns within what their invoice still has, paid amounts within totals, and the option that
accepts unmatched returns: over the service, the CLI and the API."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client

from fanli.common.models import AuditEvent
from fanli.common.services import api_token_create
from fanli.imports.models import ImportBatch
from fanli.imports.services import import_file
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, row_counts, sales_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]


def _import(rows: list[list[str]], *, partial: bool = False, allow_unmatched_returns: bool = False) -> ImportBatch:
    return import_file(kind="sales", content=csv_bytes(SALES_HEADER, rows), filename="sales.csv", actor=None,
                       partial=partial, allow_unmatched_returns=allow_unmatched_returns)


def _invoice_of_706_79() -> ImportBatch:
    """INV-1: 2 × SKU-1 for 706.79 (line 1) and 1 × SKU-2 for 50.00 (line 2), imported and stored."""
    batch = _import([
        sales_row("INV-1", line=1, sku="SKU-1", quantity="2", unit_price="353.40", net_amount="706.79"),
        sales_row("INV-1", line=2, sku="SKU-2", quantity="1", unit_price="50.00", net_amount="50.00"),
    ])
    assert batch.status == "done"
    return batch


def _return(number: str, *, line: int = 1, sku: str = "SKU-1", quantity: str = "1", net_amount: str = "100.00",
            reverses: str = "INV-1") -> list[str]:
    return sales_row(number, kind="return", document_date="2025-02-01", reverses=reverses, line=line, sku=sku,
                     quantity=quantity, unit_price="100.00", net_amount=net_amount)


def test_a_return_of_ten_million_against_an_invoice_of_706_79_is_refused_and_nothing_is_written(master_data):
    _invoice_of_706_79()
    before = row_counts()

    batch = _import([_return("RET-1", quantity="1", net_amount="-10000000.00")])

    assert batch.status == "failed"
    assert batch.errors == [{
        "line": 2, "column": "net_amount", "reason": "returns 10000000.00 of SKU SKU-1 but invoice INV-1 has 706.79 left",
    }]
    assert row_counts() == before
    assert not SalesDocument.objects.filter(kind="return").exists()


def test_a_return_of_a_sku_that_is_not_on_its_invoice_is_refused(master_data):
    _import([sales_row("INV-9", line=1, sku="SKU-1", quantity="2", net_amount="200.00")])

    batch = _import([_return("RET-1", sku="SKU-2", reverses="INV-9")])

    assert batch.errors == [{"line": 2, "column": "sku", "reason": "SKU SKU-2 is not on invoice INV-9"}]
    assert SalesDocument.objects.filter(kind="return").count() == 0


def test_a_return_may_not_take_more_units_than_the_invoice_has_left_after_stored_and_earlier_returns(master_data):
    _invoice_of_706_79()
    assert _import([_return("RET-1", quantity="1", net_amount="300.00")]).status == "done"
    rows = [
        _return("RET-2", quantity="0.5", net_amount="100.00"),
        _return("RET-3", quantity="1", net_amount="100.00"),
    ]

    refused = _import(rows)
    partial = _import(rows, partial=True)

    reason = "returns 1 units of SKU SKU-1 but invoice INV-1 has 0.5 left"
    assert refused.status == "failed"
    assert refused.errors == [{"line": 3, "column": "quantity", "reason": reason}]
    assert (partial.status, partial.rows_created, partial.rows_rejected) == ("done", 1, 1)
    assert partial.errors == [{"line": 3, "column": "quantity", "reason": reason}]
    assert sorted(SalesDocument.objects.filter(kind="return").values_list("number", flat=True)) == ["RET-1", "RET-2"]
    assert sum(SalesLine.objects.filter(product__sku="SKU-1").values_list("quantity_milli", flat=True)) == 500


def test_returns_of_an_invoice_in_the_same_file_count_its_earlier_rows_and_name_every_bad_line(master_data):
    rows = [
        sales_row("INV-1", line=1, sku="SKU-1", quantity="2", net_amount="200.00"),
        _return("RET-1", line=1, quantity="2", net_amount="150.00"),
        _return("RET-2", line=1, quantity="1", net_amount="60.00"),
        _return("RET-2", line=2, sku="SKU-1", quantity="0", net_amount="0"),
    ]

    batch = _import(rows)

    assert batch.errors == [
        {"line": 4, "column": "net_amount", "reason": "returns 60.00 of SKU SKU-1 but invoice INV-1 has 50.00 left"},
        {"line": 4, "column": "quantity", "reason": "returns 1 units of SKU SKU-1 but invoice INV-1 has 0 left"},
    ]
    assert SalesDocument.objects.count() == 0


def test_a_return_that_names_no_invoice_is_refused_by_default(master_data):
    batch = _import([_return("RET-1", reverses="")])

    assert batch.errors == [{
        "line": 2, "column": "reverses",
        "reason": "a return must name the invoice it reverses (unless the import allows unmatched returns)",
    }]
    assert SalesDocument.objects.count() == 0


def test_an_import_that_allows_unmatched_returns_accepts_them_and_says_so_on_its_batch_and_audit(master_data):
    _invoice_of_706_79()
    rows = [
        _return("RET-1", net_amount="10000000.00"),
        _return("RET-2", sku="SKU-2", quantity="5"),
        _return("RET-3", reverses=""),
    ]

    batch = _import(rows, allow_unmatched_returns=True)

    assert (batch.status, batch.rows_created, batch.errors, batch.unmatched_returns_allowed) == ("done", 3, [], True)
    assert SalesDocument.objects.get(number="RET-1").total_minor == -1_000_000_000
    assert SalesDocument.objects.get(number="RET-3").reverses_id is None
    assert AuditEvent.objects.get(action="import.sales", object_id=str(batch.pk)).data["unmatched_returns_allowed"]
    assert ImportBatch.objects.get(pk=_invoice_of_706_79().pk).unmatched_returns_allowed is False


def test_the_option_does_not_relax_an_unknown_invoice_or_one_of_another_customer(master_data):
    _invoice_of_706_79()

    batch = _import([_return("RET-1", reverses="INV-404"), [*_return("RET-2")[:3], "C002", *_return("RET-2")[4:]]],
                    allow_unmatched_returns=True)

    assert batch.errors == [
        {"line": 2, "column": "reverses", "reason": "reverses unknown invoice 'INV-404'"},
        {"line": 3, "column": "reverses", "reason": "reverses invoice INV-1 of another customer"},
    ]


def test_a_paid_amount_above_the_invoice_total_is_refused_with_its_line(master_data):
    batch = _import([
        sales_row("INV-1", line=1, quantity="2", net_amount="706.79", paid="800.00"),
        sales_row("INV-1", line=2, sku="SKU-2", quantity="1", net_amount="0.01", paid="800.00"),
    ])

    assert batch.status == "failed"
    assert batch.errors == [{
        "line": 2, "column": "paid_amount",
        "reason": "paid amount 800.00 is more than the invoice total 706.80 of document INV-1",
    }]
    assert SalesDocument.objects.count() == 0


def test_a_later_payment_beyond_the_total_is_refused_and_the_stored_paid_amount_stays(master_data):
    first = _import([sales_row("INV-1", quantity="2", net_amount="200.00", paid="50.00")])
    whole = _import([sales_row("INV-1", quantity="2", net_amount="200.00", paid="200.00")])

    beyond = _import([sales_row("INV-1", quantity="2", net_amount="200.00", paid="200.01")])

    assert (first.status, whole.status, whole.rows_updated) == ("done", "done", 1)
    assert beyond.errors == [{
        "line": 2, "column": "paid_amount",
        "reason": "paid amount 200.01 is more than the invoice total 200.00 of document INV-1",
    }]
    assert SalesDocument.objects.get(number="INV-1").paid_minor == 20000


def test_a_refund_beyond_the_return_total_is_refused(master_data):
    _invoice_of_706_79()

    batch = _import([[*_return("RET-1", net_amount="100.00")[:7], "100.01", *_return("RET-1")[8:]]])

    assert batch.errors == [{
        "line": 2, "column": "paid_amount",
        "reason": "paid amount 100.01 is more than the return total 100.00 of document RET-1",
    }]


def test_the_database_refuses_a_paid_amount_beyond_the_total_written_around_the_import(master_data):
    _import([sales_row("INV-1", quantity="2", net_amount="200.00")])
    table = SalesDocument._meta.db_table

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET paid_minor = total_minor + 1 WHERE number = %s", ["INV-1"])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET paid_minor = -1 WHERE number = %s", ["INV-1"])

    assert SalesDocument.objects.get(number="INV-1").paid_minor == 0


def test_the_command_refuses_an_unmatched_return_and_accepts_it_with_the_flag(master_data, tmp_path):
    _invoice_of_706_79()
    path = tmp_path / "returns.csv"
    path.write_bytes(csv_bytes(SALES_HEADER, [_return("RET-1", quantity="3")]))

    with pytest.raises(CommandError, match=r"returns\.csv was refused; nothing was written"):
        call_command("import", "sales", str(path), stdout=(refused := StringIO()))
    call_command("import", "sales", str(path), "--allow-unmatched-returns", stdout=(accepted := StringIO()))

    assert "  line 2, column quantity: returns 3 units of SKU SKU-1 but invoice INV-1 has 2 left" in refused.getvalue()
    assert "done; 1 rows: 1 created" in accepted.getvalue()
    assert ImportBatch.objects.order_by("pk").last().unmatched_returns_allowed is True


@pytest.fixture
def api(staff_user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=staff_user, name='erp')}")


def test_the_file_api_refuses_an_unmatched_return_and_accepts_it_with_the_form_field(master_data, api):
    _import([sales_row("INV-9", sku="SKU-1")])
    content = csv_bytes(SALES_HEADER, [_return("RET-1", sku="SKU-2", reverses="INV-9")])

    refused = api.post("/api/imports/sales", {"file": SimpleUploadedFile("r.csv", content, content_type="text/csv")})
    accepted = api.post("/api/imports/sales", {"file": SimpleUploadedFile("r.csv", content, content_type="text/csv"),
                                               "allow_unmatched_returns": "true"})

    assert refused.status_code == 422
    assert refused.json()["code"] == "import_refused"
    assert refused.json()["details"]["errors"] == [
        {"line": 2, "column": "sku", "reason": "SKU SKU-2 is not on invoice INV-9"},
    ]
    assert refused.json()["details"]["unmatched_returns_allowed"] is False
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["unmatched_returns_allowed"]) == ("done", True)


def test_the_document_api_checks_a_return_and_a_paid_amount_like_a_file(master_data, api):
    _invoice_of_706_79()

    def post(key: str, **fields: object):
        body = {"number": "API-R1", "kind": "return", "document_date": "2025-03-01", "customer_code": "C001",
                "reverses": "INV-1",
                "lines": [{"line_number": 1, "sku": "SKU-2", "quantity": "2", "unit_price": "50.00",
                           "net_amount": "100.00"}], **fields}
        return api.post("/api/sales/documents", data=json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=key)

    beyond = post("k1")
    overpaid = post("k2", allow_unmatched_returns=True, paid_amount="100.01")
    accepted = post("k3", allow_unmatched_returns=True)

    assert beyond.status_code == 422
    assert beyond.json()["details"]["errors"] == [
        {"line": 1, "column": "net_amount", "reason": "returns 100.00 of SKU SKU-2 but invoice INV-1 has 50.00 left"},
        {"line": 1, "column": "quantity", "reason": "returns 2 units of SKU SKU-2 but invoice INV-1 has 1 left"},
    ]
    assert overpaid.status_code == 422
    assert overpaid.json()["details"]["errors"] == [{
        "line": 1, "column": "paid_amount",
        "reason": "paid amount 100.01 is more than the return total 100.00 of document API-R1",
    }]
    assert accepted.status_code == 201
    assert accepted.json()["total_minor"] == -10000
    assert ImportBatch.objects.get(source_name="api:API-R1").unmatched_returns_allowed is True
