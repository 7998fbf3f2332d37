"""The rebate API over real HTTP (a live server), with token authentication."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User

from fanli.common.services import api_token_create
from fanli.ledger.models import LedgerEntry
from fanli.rebates.models import PolicyVersion, Statement
from tests.builders import catalog, credit_note, customer, invoice

POLICY = {
    "code": "dist-q", "name": "Distributor quarterly", "valid_from": "2026-01-01",
    "settlement": {"period": "quarter", "due_days": 30},
    "calculation": {"type": "tiers", "mode": "retroactive", "tiers": [
        {"from": 0, "rate_percent": "1"}, {"from": 100000, "rate_percent": "2"}, {"from": 300000, "rate_percent": "3"}]},
    "payout": {"form": "rebate_account", "max_offset_percent_per_order": "10"},
}


class Client:
    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body: Any = None, language: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if language:
            request.add_header("Accept-Language", language)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def api(live_server, transactional_db):
    user = User.objects.create_user("finance", password="x-secret-123", is_staff=True, is_superuser=True)
    return Client(f"{live_server.url}/api", api_token_create(user=user, name="test"))


@pytest.fixture
def second(live_server, transactional_db):
    """Another administrator: the second pair of eyes."""
    user = User.objects.create_user("controller", password="x-secret-456", is_staff=True, is_superuser=True)
    return Client(f"{live_server.url}/api", api_token_create(user=user, name="test"))


def test_without_a_token_every_call_is_refused_with_401(live_server, transactional_db):
    status, body = Client(f"{live_server.url}/api", None).call("GET", "/statements")
    assert status == 401
    assert body["code"] == "unauthorized"
    status, body = Client(f"{live_server.url}/api", "fanli_wrong").call("GET", "/statements")
    assert status == 401


def test_the_openapi_document_is_published(api):
    status, body = api.call("GET", "/openapi.json")
    assert status == 200
    assert "/api/settlements" in body["paths"]
    assert "/api/statements/{statement_id}/explanation" in body["paths"]


def test_a_policy_with_wrong_types_is_refused_with_every_error_by_path_and_nothing_is_stored(api):
    bad = {**POLICY, "settlement": {"period": "fortnight"}, "calculation": {"type": "tiers", "mode": "retroactive",
           "tiers": [{"from": "zero", "rate_percent": 1}]}, "valid_from": "tomorrow"}
    status, body = api.call("POST", "/policies", {"document": bad})
    assert status == 422
    assert body["code"] == "validation_failed"
    paths = {e["path"] for e in body["details"]["errors"]}
    assert {"valid_from", "settlement.period", "calculation.tiers.0.from"} <= paths
    assert PolicyVersion.objects.count() == 0


def test_from_policy_to_settled_explained_and_paid_statement_over_http(api, second):
    catalog()
    acme = customer("C001")
    march = invoice(acme, date(2026, 3, 20), ("TEA-1", "310000"))
    status, body = api.call("POST", "/policies", {"document": POLICY})
    assert (status, body["number"], body["status"]) == (201, 1, "submitted")  # four eyes: it waits for someone else
    status, refused = api.call("POST", "/policies/dist-q/versions/1/publish")
    assert (status, refused["code"]) == (403, "four_eyes")
    status, body = second.call("POST", "/policies/dist-q/versions/1/publish")
    assert (status, body["status"]) == (200, "published")
    status, body = api.call("POST", "/policies", {"document": POLICY})
    assert (status, body["number"], body["created"]) == (200, 1, False)

    status, run = api.call("POST", "/settlements", {"period": "2026-Q1", "today": "2026-04-02"})
    assert status == 200 and run["summary"]["statements"] == 1 and run["summary"]["amount_minor"] == 930_000
    status, again = api.call("POST", "/settlements", {"period": "2026-Q1", "today": "2026-04-02"})
    assert again["summary"]["statements"] == 0
    assert LedgerEntry.objects.count() == 1

    [statement] = api.call("GET", "/statements?customer=C001")[1]
    status, explained = api.call("GET", f"/statements/{statement['id']}/explanation")
    assert status == 200
    assert explained["explanation"]["result"]["tier_applied"] == 3
    assert "本结算单：¥9,300.00" in explained["text"]  # the site's language unless the client asks for another
    english = api.call("GET", f"/statements/{statement['id']}/explanation", language="en")[1]
    assert "This statement: ¥9,300.00" in english["text"] and english["explanation"] == explained["explanation"]
    assert explained["lines"]["lines"][0]["document"] == march.number

    status, body = api.call("POST", f"/statements/{statement['id']}/payout", {"paid_on": "2026-04-10"})
    assert (status, body["code"]) == (409, "invalid_state")
    status, approved = api.call("POST", f"/statements/{statement['id']}/approve?on=2026-04-02")
    assert (status, approved["approved_by"], approved["approved_on"]) == (200, "finance", "2026-04-02")
    status, refused = api.call("POST", f"/statements/{statement['id']}/payout", {"paid_on": "2026-04-10"})
    assert (status, refused["code"]) == (403, "four_eyes")  # who approved does not pay
    status, early = second.call("POST", f"/statements/{statement['id']}/payout", {"paid_on": "2026-04-01"})
    assert (status, early["details"]["errors"]) == (422, [{"path": "paid_on", "message": "on or after 2026-04-02"}])
    status, payout = second.call("POST", f"/statements/{statement['id']}/payout", {"paid_on": "2026-04-10"})
    assert (status, payout["form"], payout["amount_minor"]) == (201, "rebate_account", 930_000)
    assert api.call("GET", "/customers/C001/balances")[1]["rebate_account_minor"] == 930_000

    status, used = api.call("POST", "/customers/C001/credit-uses", {
        "order_reference": "SO-9", "line_amounts_minor": [100_001, 99_999], "effective_date": "2026-04-11"})
    assert (status, used["offset_minor"], used["line_split_minor"]) == (200, 20_000, [10_000, 10_000])

    credit_note(acme, date(2026, 4, 15), ("TEA-1", "20000"), reverses=march)
    status, recon = api.call("GET", "/reconciliation")
    assert recon["differences"][0]["difference_minor"] == -350_000
    api.call("POST", "/settlements", {"period": "2026-Q2", "today": "2026-07-01"})
    assert list(Statement.objects.order_by("id").values_list("amount_minor", flat=True)) == [930_000, -350_000]
    assert api.call("GET", "/reconciliation")[1] == {"matches": True, "differences": []}
    assert api.call("GET", "/ledger/check")[1]["balanced"] is True
    balances = api.call("GET", "/ledger/balances")[1]
    assert (balances["rebates_payable"], balances["rebate_account"]) == (-350_000, 930_000 - 20_000)


def test_progress_for_an_unknown_customer_is_a_404_with_the_error_shape(api):
    status, body = api.call("GET", "/customers/NOPE/progress?date=2026-02-01")
    assert status == 404
    assert body == {"code": "not_found", "message": "no customer NOPE", "details": {}}


def test_a_logged_in_user_who_is_not_staff_cannot_use_the_api(client, db):
    User.objects.create_user("portal", password="x-secret-123", is_staff=False)
    User.objects.create_user("clerk", password="x-secret-123", is_staff=True)
    assert client.login(username="portal", password="x-secret-123")
    response = client.get("/api/statements")
    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")
    assert client.login(username="clerk", password="x-secret-123")
    refused = client.get("/api/statements")  # staff, but no role yet: nothing is granted
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    from django.contrib.auth.models import Group

    User.objects.get(username="clerk").groups.add(Group.objects.get_or_create(name="auditor")[0])
    assert client.get("/api/statements").status_code == 200


def test_request_errors_name_the_field_without_transport_prefixes(api):
    status, body = api.call("POST", "/settlements", {"today": "2026-04-01"})
    assert status == 422
    assert body["details"]["errors"] == [{"path": "period", "message": "Field required"}]


def test_the_interactive_api_docs_load_their_assets_locally_not_from_a_cdn(client):
    page = client.get("/api/docs").content.decode()
    assert "cdn." not in page and "https://" not in page.split("<body")[0]
    assert "/static/ninja/swagger-ui-bundle.js" in page


def test_a_payment_batch_over_the_api_prepared_by_one_recorded_paid_by_another(api, second):
    from django.utils import timezone

    from fanli.customers.models import Customer
    from fanli.rebates.services import policy_apply

    catalog()
    cash = {**POLICY, "payout": {"form": "cash"}}
    policy_apply(text=json.dumps(cash), actor=None)
    buyer, other = customer("C001"), customer("C002")
    Customer.objects.filter(code="C002").update(bank_account_number="6222020000000000002", bank_name="中国银行",
                                                bank_verified_at=timezone.now())
    invoice(buyer, date(2026, 1, 10), ("TEA-1", "150000"))
    invoice(other, date(2026, 1, 12), ("TEA-1", "50000"))
    api.call("POST", "/settlements", {"period": "2026-Q1", "today": "2026-04-02"})
    ids = sorted(Statement.objects.values_list("pk", flat=True))
    for statement_id in ids:
        assert api.call("POST", f"/statements/{statement_id}/approve")[0] == 200

    status, refused = second.call("POST", "/payment-batches", {"statements": ids})
    assert status == 422 and "customer C001 has no bank account on record" in json.dumps(refused, ensure_ascii=False)
    Customer.objects.filter(code="C001").update(bank_account_number="6222020000000000001",
                                                bank_verified_at=timezone.now())
    status, batch = second.call("POST", "/payment-batches", {"statements": ids})
    assert status == 201 and batch["state"] == "prepared" and batch["statements"] == ids
    assert [(t["customer"], t["account_number"], t["amount_minor"]) for t in batch["transfers"]] == [
        ("C001", "6222020000000000001", 300_000), ("C002", "6222020000000000002", 50_000)]
    today = timezone.localdate().isoformat()  # approved today: paid no earlier
    status, four_eyes = api.call("POST", f"/payment-batches/{batch['reference']}/paid", {"paid_on": today})
    assert status == 403 and four_eyes["code"] == "four_eyes"  # finance approved them
    status, paid = second.call("POST", f"/payment-batches/{batch['reference']}/paid", {"paid_on": today})
    assert status == 200 and (paid["state"], paid["paid_on"], paid["confirmed_by"]) == ("paid", today, "controller")
    assert set(Statement.objects.values_list("state", flat=True)) == {"paid"}
    assert api.call("GET", f"/payment-batches/{batch['reference']}")[1]["state"] == "paid"
