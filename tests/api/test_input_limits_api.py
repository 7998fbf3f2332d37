"""Bounded input over the API, on a live server: documents with aliases, too large or with an
impossible date, and import files that claim more than they hold, each a 422 in the error shape
in well under a second, nothing stored."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User

from fanli.common.services import api_token_create
from fanli.discounts.models import DiscountRuleVersion
from fanli.rebates.models import PolicyVersion
from tests.api.test_rebates_api import POLICY, Client
from tests.rebates.test_document_limits import ALIASES, GOOD, laughs


@pytest.fixture
def api(live_server, transactional_db):
    user = User.objects.create_user("finance", password="x-secret-123", is_staff=True, is_superuser=True)
    return Client(f"{live_server.url}/api", api_token_create(user=user, name="test"))


def test_a_policy_of_nested_aliases_is_a_422_in_milliseconds_and_nothing_is_stored(api):
    started = time.perf_counter()
    status, body = api.call("POST", "/policies", {"document": laughs()})
    assert time.perf_counter() - started < 1
    assert (status, body) == (422, {"code": "validation_failed", "message": f"the policy file is refused: {ALIASES}",
                                    "details": {"errors": [{"path": "(file)", "message": ALIASES}]}})
    status, body = api.call("POST", "/discount-rules", {"document": laughs()})
    assert (status, body["message"]) == (422, f"the rule file is refused: {ALIASES}")
    assert PolicyVersion.objects.count() == DiscountRuleVersion.objects.count() == 0


def test_a_policy_with_an_impossible_date_is_a_422_naming_the_field(api):
    status, body = api.call("POST", "/policies", {"document": GOOD.replace("2026-01-01", "2026-02-30")})
    assert status == 422
    assert body["details"]["errors"] == [
        {"path": "valid_from", "message": "Input should be a valid date or datetime, day value is outside expected range"}]
    status, body = api.call("POST", "/policies/what-if", {"document": {**POLICY, "valid_from": "2026-02-30"},
                                                          "period": "2026-Q1"})
    assert (status, body["details"]["errors"][0]["path"]) == (422, "valid_from")
    assert PolicyVersion.objects.count() == 0


def test_a_policy_object_nested_too_deep_or_too_large_is_a_422(api):
    deep: dict = {"x": 1}
    for _ in range(30):
        deep = {"x": deep}
    status, body = api.call("POST", "/policies", {"document": {**POLICY, "description": deep}})
    assert (status, body["details"]["errors"]) == (
        422, [{"path": "(file)", "message": "line 1: nested more than 20 levels deep"}])
    status, body = api.call("POST", "/policies", {"document": {**POLICY, "description": "x" * 300_000}})
    assert (status, body["code"]) == (422, "document_too_large")
    assert PolicyVersion.objects.count() == 0
