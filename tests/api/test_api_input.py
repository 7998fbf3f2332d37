"""Input every operation refuses before it runs, whatever the database: NUL characters, which no
text column stores (PostgreSQL refused them with a 500; SQLite stored them)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from fanli.common.services import api_token_create
from fanli.discounts.models import DiscountContract
from tests.api.test_rebates_api import Client
from tests.builders import customer


@pytest.fixture
def api(live_server, transactional_db):
    user = User.objects.create_user("admin", password="x-secret-123", is_staff=True, is_superuser=True)
    return Client(f"{live_server.url}/api", api_token_create(user=user, name="test"))


def test_a_nul_character_in_a_json_body_is_a_422_naming_the_field_and_nothing_is_written(api):
    customer("C001")

    status, body = api.call("PUT", "/discount-contracts", {"customer": "C001", "rule": "r\x00", "percent": "5",
                                                           "note": "ok", "extra": ["a", {"b": "\x00"}]})

    assert (status, body["code"]) == (422, "validation_failed")
    assert body["details"]["errors"] == [{"path": "rule", "message": "must not contain NUL characters"},
                                         {"path": "extra.1.b", "message": "must not contain NUL characters"}]
    assert DiscountContract.objects.count() == 0


def test_a_nul_character_in_a_path_or_a_query_is_a_422_not_a_server_error(api):
    customer("C001")

    path_status, path_body = api.call("GET", "/customers/C%00")
    query_status, query_body = api.call("GET", "/statements?customer=C%00")

    assert (path_status, path_body["details"]["errors"]) == (
        422, [{"path": "(path)", "message": "must not contain NUL characters"}])
    assert (query_status, query_body["details"]["errors"]) == (
        422, [{"path": "customer", "message": "must not contain NUL characters"}])


def test_without_a_token_a_nul_character_still_answers_401_first(live_server, transactional_db):
    status, body = Client(f"{live_server.url}/api", None).call("GET", "/customers/C%00")

    assert (status, body["code"]) == (401, "unauthorized")
