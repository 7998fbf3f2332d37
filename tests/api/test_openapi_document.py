"""The OpenAPI document tells the truth about errors: every operation declares the answers it can
give in the one error shape, so a client (and the fuzzing pass) can rely on it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from fanli.api import api
from fanli.common.services import api_token_create

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.fixture(scope="module")
def document() -> dict:
    return api.get_openapi_schema()


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, operation) for path, item in document["paths"].items()
            for method, operation in item.items()]


def _error_statuses(operation: dict) -> set[int]:
    return {int(status) for status, answer in operation["responses"].items()
            if answer.get("content", {}).get("application/json", {}).get("schema") == ERROR_REF}


def test_every_operation_declares_401_and_403_in_the_error_shape(document):
    missing = [(method, path) for method, path, operation in _operations(document)
               if not {401, 403} <= _error_statuses(operation)]

    assert missing == []
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["code", "message", "details"]


def test_every_operation_that_takes_input_declares_400_and_422_and_one_without_declares_neither(document):
    for method, path, operation in _operations(document):
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        declared = _error_statuses(operation) & {400, 422}
        assert declared == ({400, 422} if takes_input else set()), (method, path)


def test_every_operation_on_a_stored_object_declares_404(document):
    without_404 = sorted(f"{method} {path}" for method, path, operation in _operations(document)
                         if "{" in path and 404 not in _error_statuses(operation))

    assert without_404 == ["POST /api/imports/{kind}"]  # an unknown kind is a 422, as before


def test_state_changing_operations_declare_409(document):
    for path in ("/api/statements/{statement_id}/approve", "/api/statements/{statement_id}/payout",
                 "/api/settlements", "/api/accruals", "/api/customers/{code}/credit-uses",
                 "/api/follow-ups/{follow_up_id}/done", "/api/complaints/{complaint_id}/progress",
                 "/api/discounted-invoices", "/api/sales/documents"):
        assert 409 in _error_statuses(document["paths"][path]["post"]), path


def test_import_paths_declare_what_the_router_takes_a_positive_batch_id_and_a_word_for_a_kind(document):
    detail = document["paths"]["/api/imports/{batch_id}"]["get"]["parameters"][0]
    upload = document["paths"]["/api/imports/{kind}"]["post"]["parameters"][0]

    assert (detail["schema"]["type"], detail["schema"]["minimum"]) == ("integer", 1)
    assert upload["schema"]["pattern"] == "^[a-z][a-z_]*$"


def test_a_body_that_is_not_json_answers_400_in_the_error_shape_and_changes_nothing(live_server, transactional_db):
    from django.contrib.auth.models import User

    from fanli.rebates.models import Run

    user = User.objects.create_user("finance", password="x-secret-123", is_staff=True, is_superuser=True)
    token = api_token_create(user=user, name="test")
    request = urllib.request.Request(f"{live_server.url}/api/settlements", data=b"\xff{", method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    status, body = answer.value.code, json.loads(answer.value.read())

    assert status == 400
    assert body == {"code": "http_error", "message": "Cannot parse request body", "details": {}}
    assert Run.objects.count() == 0


def test_every_success_answer_declares_a_json_body(document):
    undeclared = [(method, path) for method, path, operation in _operations(document)
                  for status, answer in operation["responses"].items()
                  if str(status).startswith("2") and "schema" not in answer.get("content", {}).get("application/json", {})]

    assert undeclared == []
