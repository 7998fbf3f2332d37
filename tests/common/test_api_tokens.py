"""API tokens: created with an optional expiry, listed without their secret, revoked from the command
line, the API and the admin by their owner or an administrator, and refused on the very next
request once revoked or expired."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from fanli.accounts.services import portal_user_create, staff_user_create
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.models import ApiToken, AuditEvent
from fanli.common.services import api_token_create, api_token_revoke
from tests.builders import customer

PASSWORD = "a-Long-secret-2026"
UNAUTHORIZED = {"code": "unauthorized", "message": "a valid API token or staff login is required", "details": {}}


@pytest.fixture
def people(db):
    return {role: staff_user_create(username=role, password=PASSWORD, role=role, actor=None)
            for role in ("administrator", "finance", "auditor")}


def fanli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _get(url: str, token: str) -> tuple[int, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_token_revoked_from_the_command_line_is_refused_on_its_very_next_request(live_server, transactional_db):
    finance = staff_user_create(username="finance", password=PASSWORD, role="finance", actor=None)
    staff_user_create(username="administrator", password=PASSWORD, role="administrator", actor=None)
    secret = fanli("token", "create", "finance", "--name", "erp").strip()
    token = ApiToken.objects.get(user=finance)
    assert _get(f"{live_server.url}/api/statements", secret) == (200, [])

    said = fanli("token", "revoke", str(token.pk), "--as-user", "administrator")

    token.refresh_from_db()
    assert said == f"token {token.pk} (finance / erp) revoked at {timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}\n"
    assert _get(f"{live_server.url}/api/statements", secret) == (401, UNAUTHORIZED)
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert (event.actor.username, event.object_type, event.object_id, event.data) == (
        "administrator", "api_token", str(token.pk), {"user": "finance", "name": "erp"})


def test_an_expired_token_is_refused_at_once(live_server, transactional_db):
    finance = staff_user_create(username="finance", password=PASSWORD, role="finance", actor=None)
    secret = fanli("token", "create", "finance", "--expires-days", "30").strip()
    token = ApiToken.objects.get(user=finance)
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert _get(f"{live_server.url}/api/statements", secret)[0] == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))  # the 30 days pass

    assert _get(f"{live_server.url}/api/statements", secret) == (401, UNAUTHORIZED)


def test_token_list_shows_every_field_but_the_secret(people):
    secret = api_token_create(user=people["finance"], name="erp", expires_days=10)
    api_token_create(user=people["auditor"], name="report")
    token = ApiToken.objects.get(name="erp")
    api_token_revoke(token_id=token.pk, actor=people["finance"])
    token.refresh_from_db()

    listing = fanli("token", "list", "finance")

    def when(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    assert listing.splitlines() == [
        f"{'id':>5}  {'user':<16} {'name':<20} {'created':<16}  {'last used':<16}  {'expires':<16}  revoked",
        f"{token.pk:>5}  {'finance':<16} {'erp':<20} {when(token.created_at):<16}  {'-':<16}  "
        f"{when(token.expires_at):<16}  {when(token.revoked_at)}",
    ]
    everyone = fanli("token", "list")
    assert [line.split()[1] for line in everyone.splitlines()[1:]] == ["auditor", "finance"]
    assert secret not in listing + everyone and token.token_sha256 not in listing + everyone


def test_a_user_revokes_only_their_own_tokens_and_an_administrator_anyones(people):
    api_token_create(user=people["auditor"], name="report")
    token = ApiToken.objects.get()

    with pytest.raises(NotFound) as refused:
        api_token_revoke(token_id=token.pk, actor=people["finance"])  # finance is no administrator
    assert (refused.value.code, refused.value.message) == ("not_found", f"no API token {token.pk}")
    token.refresh_from_db()
    assert token.revoked_at is None and not AuditEvent.objects.filter(action="api_token.revoke").exists()

    api_token_revoke(token_id=token.pk, actor=people["administrator"])
    with pytest.raises(StateError) as again:
        api_token_revoke(token_id=token.pk, actor=people["auditor"])
    assert again.value.code == "already_revoked"
    assert list(AuditEvent.objects.filter(action="api_token.revoke").values_list("actor__username", flat=True)) == [
        "administrator"]


def test_bad_token_requests_are_refused_clearly_and_make_nothing(people):
    with pytest.raises(CommandError) as refused:
        fanli("token", "create", "finance", "--expires-days", "0")
    assert str(refused.value) == ("the token cannot be made: expires_days must be a whole number from 1 to 3650\n"
                                  "  expires_days: must be a whole number from 1 to 3650")
    assert refused.value.returncode == 2
    with pytest.raises(ValidationFailed):
        api_token_create(user=people["finance"], name="x" * 101)
    with pytest.raises(CommandError, match="'abc' is not a token id"):
        fanli("token", "revoke", "abc")
    with pytest.raises(CommandError, match="no API token 999"):
        fanli("token", "revoke", "999")
    assert not ApiToken.objects.exists()


def test_the_api_lists_my_tokens_and_revokes_mine_at_once(people):
    mine = api_token_create(user=people["finance"], name="erp")
    spare = api_token_create(user=people["finance"], name="spare")
    api_token_create(user=people["auditor"], name="report")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {mine}")
    listed = client.get("/api/tokens").json()
    assert [(t["user"], t["name"], t["revoked_at"]) for t in listed] == [("finance", "spare", None), ("finance", "erp", None)]
    assert set(listed[0]) == {"id", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at"}
    spare_id = ApiToken.objects.get(name="spare").pk

    response = client.delete(f"/api/tokens/{spare_id}")

    assert response.status_code == 200 and response.json()["revoked_at"] is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {spare}").get("/api/tokens").json() == UNAUTHORIZED
    again = client.delete(f"/api/tokens/{spare_id}")
    assert again.status_code == 409 and again.json()["code"] == "already_revoked"


def test_through_the_api_another_users_token_is_unknown_unless_you_are_an_administrator(people):
    api_token_create(user=people["auditor"], name="report")
    report = ApiToken.objects.get(name="report")
    finance = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=people['finance'], name='erp')}")
    response = finance.delete(f"/api/tokens/{report.pk}")
    assert (response.status_code, response.json()) == (
        404, {"code": "not_found", "message": f"no API token {report.pk}", "details": {"id": report.pk}})
    report.refresh_from_db()
    assert report.revoked_at is None

    boss = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=people['administrator'], name='ops')}")
    assert boss.delete(f"/api/tokens/{report.pk}").status_code == 200


def test_a_portal_user_reaches_no_token_operation(people):
    customer("C001")
    portal = portal_user_create(username="acme", password=PASSWORD, customer_code="C001", actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=portal, name='x')}")
    for response in (client.get("/api/tokens"), client.delete(f"/api/tokens/{ApiToken.objects.get().pk}")):
        assert (response.status_code, response.json()) == (
            403, {"code": "forbidden", "message": "your role does not allow this (view)", "details": {}})
    assert ApiToken.objects.get().revoked_at is None


def test_an_administrator_revokes_selected_tokens_in_the_admin_through_the_service(people):
    api_token_create(user=people["auditor"], name="report")
    api_token_create(user=people["finance"], name="erp")
    ids = list(ApiToken.objects.order_by("id").values_list("id", flat=True))
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")  # the admin reads in one language: English here, Chinese below
    admin.force_login(people["administrator"])
    page = admin.get("/admin/common/apitoken/")
    assert b'<option value="revoke">Revoke selected tokens</option>' in page.content
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(people["administrator"])
    assert '<option value="revoke">撤销所选令牌</option>' in chinese.get("/admin/common/apitoken/").content.decode()

    response = admin.post("/admin/common/apitoken/", {"action": "revoke", "_selected_action": ids}, follow=True)

    assert response.status_code == 200
    assert [m.message for m in response.context["messages"]] == ["2 token(s) revoked"]
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert list(AuditEvent.objects.filter(action="api_token.revoke").order_by("id").values_list(
        "actor__username", "object_id")) == [("administrator", str(i)) for i in ids]
