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


def test_a_json_body_nested_deeper_than_64_levels_is_a_422_and_a_thousand_levels_no_server_error(api):
    import json
    import urllib.error
    import urllib.request

    customer("C001")
    for depth in (65, 1_000, 5_000):  # 1,000 levels (2 KB) made the JSON reader recurse to a 500
        nested = "[" * depth + "]" * depth
        raw = ('{"customer": "C001", "rule": "r", "percent": "5", "note": ' + nested + "}").encode()
        request = urllib.request.Request(f"{api.base}/discount-contracts", data=raw, method="PUT",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {api.token}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        body = json.loads(refused.value.read())
        assert (refused.value.code, body["code"]) == (422, "validation_failed"), depth
        assert {"path": "(body)", "message": "nested more than 64 levels"} in body["details"]["errors"]
    assert DiscountContract.objects.count() == 0


def test_a_write_to_an_unknown_api_path_is_a_json_404_and_a_write_without_a_token_a_json_401(api, live_server):
    status, body = api.call("POST", "/nope", {"a": 1})
    assert (status, body["code"]) == (404, "not_found")  # it was Django's HTML page about a CSRF token
    status, body = Client(f"{live_server.url}/api", None).call("POST", "/settlements", {"period": "2026-Q1"})
    assert (status, body["code"]) == (401, "unauthorized")  # it was 403 "CSRF check Failed"


def test_too_many_query_parameters_are_a_json_400_from_the_api(api):
    query = "&".join(f"a{index}=1" for index in range(1_100))
    status, body = api.call("GET", f"/statements?{query}")
    assert (status, body["code"]) == (400, "bad_request")
