"""The imports and sales-document API, through the test client with a real token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fanli.common.services import api_token_create
from fanli.imports.models import ImportBatch
from fanli.sales.models import SalesDocument, SalesLine

from .helpers import SALES_HEADER, csv_bytes, row_counts, sales_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with_token(master_data, staff_user) -> Client:
    token = api_token_create(user=staff_user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _document(**changes) -> dict:
    body = {
        "number": "API-1",
        "kind": "invoice",
        "document_date": "2025-05-01",
        "customer_code": "C001",
        "due_date": "2025-05-31",
        "paid_amount": "0",
        "lines": [
            {"line_number": 1, "sku": "SKU-1", "quantity": "3", "unit_price": "100.00", "net_amount": "285.50"},
            {"line_number": 2, "sku": "SKU-2", "quantity": "0.25", "unit_price": "120.00", "net_amount": "30.00"},
        ],
    }
    body.update(changes)
    return body


def _post(client: Client, body: dict, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/sales/documents", data=json.dumps(body), content_type="application/json", **headers)


def test_posting_a_document_creates_it_and_answers_201_with_minor_amounts(client_with_token):
    response = _post(client_with_token, _document())

    assert response.status_code == 201
    body = response.json()
    assert (body["outcome"], body["number"], body["total_minor"], body["total_amount"], body["basis_date"]) == (
        "created", "API-1", 31550, "315.50", "2025-05-01",
    )
    assert [(line["quantity"], line["quantity_milli"], line["net_amount_minor"]) for line in body["lines"]] == [
        ("3", 3000, 28550), ("0.25", 250, 3000),
    ]
    assert SalesLine.objects.filter(document__number="API-1").count() == 2


def test_replaying_the_same_key_and_body_returns_the_first_answer_and_writes_nothing(client_with_token):
    first = _post(client_with_token, _document())
    before = row_counts()
    batches = ImportBatch.objects.count()

    replay = _post(client_with_token, _document())

    assert (replay.status_code, replay.json()) == (201, first.json())
    assert row_counts() == before
    assert ImportBatch.objects.count() == batches


def test_the_same_key_with_a_different_body_is_409(client_with_token):
    _post(client_with_token, _document())
    response = _post(client_with_token, _document(due_date="2025-06-30"))

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_the_same_number_with_other_content_under_a_new_key_is_409_and_not_applied(client_with_token):
    _post(client_with_token, _document())
    changed = _document()
    changed["lines"][0]["quantity"] = "4"
    response = _post(client_with_token, changed, key="key-2")

    assert response.status_code == 409
    assert response.json() == {
        "code": "document_conflict",
        "message": "document API-1 already imported with different content",
        "details": {"number": "API-1"},
    }
    assert SalesLine.objects.get(document__number="API-1", line_number=1).quantity_milli == 3000


def test_the_same_document_under_a_new_key_is_unchanged_or_updates_the_paid_amount(client_with_token):
    _post(client_with_token, _document())
    unchanged = _post(client_with_token, _document(), key="key-2")
    paid = _post(client_with_token, _document(paid_amount="315.50"), key="key-3")

    assert (unchanged.status_code, unchanged.json()["outcome"]) == (200, "unchanged")
    assert (paid.status_code, paid.json()["outcome"], paid.json()["paid_minor"]) == (200, "updated", 31550)
    assert SalesDocument.objects.count() == 1


def test_a_missing_idempotency_key_is_a_clear_422(client_with_token):
    response = _post(client_with_token, _document(), key=None)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_required"
    assert SalesDocument.objects.count() == 0


def test_bad_lines_answer_422_with_every_error(client_with_token):
    body = _document()
    body["lines"][0]["sku"] = "NOPE"
    body["lines"][1]["net_amount"] = "1.005"
    response = _post(client_with_token, body)

    assert response.status_code == 422
    assert response.json()["details"]["errors"] == [
        {"line": 1, "column": "sku", "reason": "unknown SKU 'NOPE'"},
        {"line": 2, "column": "net_amount", "reason": "1.005 has more than 2 decimal places"},
    ]
    assert SalesDocument.objects.count() == 0


def test_a_return_posted_by_api_takes_its_invoice_date_and_negative_amounts(client_with_token):
    _post(client_with_token, _document())
    response = _post(client_with_token, _document(
        number="API-R1", kind="return", reverses="API-1", document_date="2025-07-01", due_date=None,
        lines=[{"line_number": 1, "sku": "SKU-1", "quantity": "1", "unit_price": "100.00", "net_amount": "95.00"}],
    ), key="key-r")

    assert response.status_code == 201
    assert (response.json()["basis_date"], response.json()["total_minor"], response.json()["reverses"]) == (
        "2025-05-01", -9500, "API-1",
    )


def test_getting_a_document_by_number(client_with_token):
    _post(client_with_token, _document())

    assert client_with_token.get("/api/sales/documents/API-1").json()["total_minor"] == 31550
    assert client_with_token.get("/api/sales/documents/NOPE").status_code == 404


def test_without_a_token_the_api_answers_401_and_writes_nothing(master_data):
    response = _post(Client(), _document())
    upload = Client().post("/api/imports/sales", {"file": _upload(csv_bytes(SALES_HEADER, [sales_row("INV-1")]))})

    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")
    assert upload.status_code == 401
    assert SalesDocument.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def _upload(content: bytes, name: str = "sales.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_uploading_a_file_imports_it_and_answers_the_batch(client_with_token):
    response = client_with_token.post(
        "/api/imports/sales", {"file": _upload(csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2")]))}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["rows_created"], body["errors"]) == ("done", 2, [])
    detail = client_with_token.get(f"/api/imports/{body['id']}")
    assert detail.json()["rows_created"] == 2


def test_uploading_a_bad_file_answers_422_with_the_batch_and_its_errors(client_with_token):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2", sku="NOPE")])
    response = client_with_token.post("/api/imports/sales", {"file": _upload(content)})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_refused"
    assert body["details"]["status"] == "failed"
    assert body["details"]["errors"] == [{"line": 3, "column": "sku", "reason": "unknown SKU 'NOPE'"}]
    assert SalesDocument.objects.count() == 0


def test_uploading_with_partial_writes_the_good_documents(client_with_token):
    content = csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2", sku="NOPE")])
    response = client_with_token.post("/api/imports/sales", {"file": _upload(content), "partial": "true"})

    assert response.status_code == 200
    assert (response.json()["rows_created"], response.json()["rows_rejected"]) == (1, 1)


def test_customer_and_product_lookups(client_with_token):
    customer = client_with_token.get("/api/customers/C001").json()
    product = client_with_token.get("/api/products/SKU-1").json()

    assert (customer["code"], customer["grade"], customer["kind"]) == ("C001", "gold", "distributor")
    assert (product["sku"], product["category_code"], product["list_price_minor"]) == ("SKU-1", "BEV", 10000)
    assert client_with_token.get("/api/customers/NOPE").status_code == 404
