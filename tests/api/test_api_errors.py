"""Whatever goes wrong under /api/ answers the JSON error shape: unknown paths, wrong methods,
bad paging and uncaught exceptions alike, never an HTML page or a traceback."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import User
from django.test import Client

from fanli.common.services import api_token_create

PAGING_MESSAGE = ("bad paging: limit must be a whole number from 1 to the list's maximum, "
                  "offset a whole number from 0")


@pytest.fixture
def token(db) -> str:
    user = User.objects.create_user("finance", password="x-secret-123", is_staff=True, is_superuser=True)
    return api_token_create(user=user, name="test")


@pytest.fixture
def api(token) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


@pytest.fixture
def production(settings) -> None:
    settings.DEBUG = False


def test_an_unknown_path_under_api_answers_404_in_the_error_shape(api):
    for path in ("/api/no-such-thing", "/api/statements/1/nothing", "/api/v2/statements", "/api/"):
        response = api.get(path)
        assert (response.status_code, response["Content-Type"]) == (404, "application/json; charset=utf-8"), path
        assert response.json() == {"code": "not_found", "message": "no such API path", "details": {}}


def test_an_unknown_path_answers_404_even_without_a_token(db):
    response = Client().post("/api/nothing-here", data="{}", content_type="application/json; charset=utf-8")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "no such API path", "details": {}}


def test_a_method_the_path_does_not_serve_answers_405_in_the_error_shape_with_allow(api):
    response = api.delete("/api/statements")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {"code": "method_not_allowed", "message": "this path answers GET",
                               "details": {"allowed": ["GET"]}}
    response = api.put("/api/policies", data="{}", content_type="application/json; charset=utf-8")
    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "message": "this path answers GET, POST",
                               "details": {"allowed": ["GET", "POST"]}}


@pytest.mark.parametrize("query, errors", [
    ("offset=-1", [{"path": "offset", "message": "Input should be greater than or equal to 0"}]),
    ("limit=0", [{"path": "limit", "message": "Input should be greater than or equal to 1"}]),
    ("limit=1001", [{"path": "limit", "message": "Input should be less than or equal to 1000"}]),
    ("limit=99999999999999999999999", [{"path": "limit", "message": "Input should be less than or equal to 1000"}]),
    ("offset=10000000000000000000000", [{"path": "offset",
                                         "message": "Input should be less than or equal to 1000000000"}]),
    ("limit=ten&offset=1.5", [
        {"path": "limit", "message": "Input should be a valid integer, unable to parse string as an integer"},
        {"path": "offset", "message": "Input should be a valid integer, unable to parse string as an integer"}]),
])
def test_bad_paging_on_a_list_answers_400_naming_each_parameter(api, query, errors):
    for path in ("/api/statements", "/api/warnings"):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.content)
        assert response.json() == {"code": "invalid_paging", "message": PAGING_MESSAGE, "details": {"errors": errors}}


def test_the_imports_list_pages_up_to_200_and_refuses_more_with_400(api):
    assert api.get("/api/imports?limit=200&offset=0").status_code == 200
    response = api.get("/api/imports?limit=201")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_paging", "message": PAGING_MESSAGE, "details": {"errors": [
        {"path": "limit", "message": "Input should be less than or equal to 200"}]}}


def test_paging_at_its_bounds_is_accepted(api):
    assert api.get("/api/statements?limit=1000&offset=1000000000").json() == []
    assert api.get("/api/warnings?limit=1&offset=0").json() == []


def test_a_paging_error_beside_another_query_error_is_one_422_listing_both(api):
    response = api.get("/api/warnings?open=maybe&limit=0")
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["details"]["errors"]] == ["limit", "open"]


def test_an_uncaught_exception_in_an_operation_answers_500_internal_error_and_logs_the_traceback(
        api, production, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("secret table name sales_importbatch")

    monkeypatch.setattr("fanli.imports.api.import_batch_list", broken)
    with caplog.at_level(logging.ERROR, logger="fanli.api"):
        response = api.get("/api/imports")
    assert (response.status_code, response["Content-Type"]) == (500, "application/json; charset=utf-8")
    assert response.json() == {"code": "internal_error",
                               "message": "the server failed to answer; the error is logged", "details": {}}
    assert b"secret" not in response.content and b"Traceback" not in response.content
    [record] = [r for r in caplog.records if r.name == "fanli.api"]
    assert record.getMessage() == "GET /api/imports failed"
    assert record.exc_info is not None and "secret table name" in str(record.exc_info[1])


def test_an_exception_outside_the_operations_under_api_also_answers_json_500(api, production, monkeypatch):
    def broken(self, request, token):
        raise RuntimeError("token store down")

    monkeypatch.setattr("fanli.api.TokenAuth.authenticate", broken)
    response = api.get("/api/statements")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"


def test_a_page_that_fails_shows_the_finished_500_page_in_the_users_language(db, production, monkeypatch):
    from fanli.accounts.services import portal_user_create
    from tests.builders import customer

    customer("C001")
    portal_user_create(username="acme", password="a-Long-secret-2026", customer_code="C001", actor=None)

    def broken(*args, **kwargs):
        raise RuntimeError("secret: the balances query failed")

    monkeypatch.setattr("fanli.web.views.customer_balances", broken)
    browser = Client(raise_request_exception=False)
    browser.login(username="acme", password="a-Long-secret-2026")
    chinese = browser.get("/portal/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 500
    text = chinese.content.decode()
    assert "出错了" in text and "服务器未能完成此页面。错误已记录，供管理员查看；请稍后再试。" in text
    assert "secret" not in text and "Traceback" not in text and "RuntimeError" not in text
    browser.cookies["django_language"] = "en"
    english = browser.get("/portal/").content.decode()
    assert "<h1>Something went wrong</h1>" in english and "secret" not in english


def _http(url: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_over_http_a_failing_operation_and_a_failing_page_show_no_traceback(live_server, transactional_db,
                                                                           monkeypatch):
    from fanli.accounts.services import portal_user_create
    from tests.builders import customer

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("fanli.imports.api.import_batch_list", broken)
    monkeypatch.setattr("fanli.web.views.customer_balances", broken)
    user = User.objects.create_user("finance", password="x-secret-123", is_staff=True, is_superuser=True)
    token = api_token_create(user=user, name="test")
    status, kind, body = _http(f"{live_server.url}/api/imports", {"Authorization": f"Bearer {token}"})
    assert (status, kind) == (500, "application/json; charset=utf-8")
    assert json.loads(body) == {"code": "internal_error",
                                "message": "the server failed to answer; the error is logged", "details": {}}

    customer("C001")
    portal_user_create(username="acme", password="a-Long-secret-2026", customer_code="C001", actor=None)
    browser = Client()
    browser.login(username="acme", password="a-Long-secret-2026")
    cookie = f"sessionid={browser.cookies['sessionid'].value}; django_language=en"
    status, kind, body = _http(f"{live_server.url}/portal/", {"Cookie": cookie})
    assert (status, kind) == (500, "text/html; charset=utf-8")
    assert b"<h1>Something went wrong</h1>" in body
    assert b"secret" not in body and b"Traceback" not in body
