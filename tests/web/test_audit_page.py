"""The audit log page: who changed what and when, filtered, and who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fanli.common.models import AuditEvent
from fanli.rebates.services import statement_approve

pytestmark = pytest.mark.django_db
READERS = {"administrator", "finance", "auditor"}


def test_events_are_listed_newest_first_with_labels_links_and_filters(client, world):
    statement = world["acme_statement"]
    statement_approve(statement_id=statement.pk, actor=world["users"]["finance"])
    client.force_login(world["users"]["auditor"])
    page = client.get("/office/audit/", {"action": "statement."}).content.decode()
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr data-event") == 1
    assert "审批结算单 <code class=\"small\">statement.approve</code>" in rows
    assert f'<a href="/office/statements/{statement.pk}/">statement {statement.pk}</a>' in rows
    assert "<td>finance</td>" in rows
    everything = client.get("/office/audit/").content.decode()
    assert everything.index("statement.approve") < everything.index("settlement.run")  # newest first
    nobody = client.get("/office/audit/", {"actor": "customer_service"}).content.decode()
    assert "没有符合条件的记录。" in nobody


def test_date_filters_use_the_business_day_and_a_bad_date_is_said_not_ignored_silently(client, world):
    client.force_login(world["users"]["finance"])
    today = timezone.localdate()
    future = client.get("/office/audit/", {"since": (today + timedelta(days=1)).isoformat()}).content.decode()
    assert "没有符合条件的记录。" in future
    current = client.get("/office/audit/", {"since": today.isoformat(), "until": today.isoformat()}).content.decode()
    assert current.count("<tr data-event") == min(AuditEvent.objects.count(), 50)
    bad = client.get("/office/audit/", {"since": "yesterday"}).content.decode()
    assert "since &#x27;yesterday&#x27; is not a date: use YYYY-MM-DD" in bad


def test_pages_of_fifty_without_counting_the_whole_log(client, world):
    AuditEvent.objects.bulk_create([AuditEvent(action="test.bulk", object_type="test", object_id=str(i))
                                    for i in range(120)])
    client.force_login(world["users"]["administrator"])
    first = client.get("/office/audit/", {"action": "test."}).content.decode()
    third = client.get("/office/audit/", {"action": "test.", "page": "3"}).content.decode()
    assert first.count("<tr data-event") == 50 and "page=2" in first and "较新" not in first
    assert third.count("<tr data-event") == 20 and "较早" not in third and "page=2" in third


@pytest.mark.parametrize("role", ["administrator", "channel_manager", "finance", "customer_service", "auditor"])
def test_only_administrators_finance_and_auditors_read_the_log(client, world, role):
    client.force_login(world["users"][role])
    response = client.get("/office/audit/")
    assert response.status_code == (200 if role in READERS else 403)
    home = client.get("/office/").content.decode()
    assert ('href="/office/audit/"' in home) == (role in READERS)


def test_customers_and_strangers_never_read_the_log(client, world):
    assert client.get("/office/audit/").status_code == 302
    client.force_login(world["users"]["portal"])
    assert client.get("/office/audit/").status_code == 403


def test_a_page_number_beyond_any_count_shows_a_page_not_a_server_error(client, world):
    client.force_login(world["users"]["auditor"])
    for page in ("9223372036854775808", "99999999999999999999999", "1000001", "-3", "x"):
        response = client.get(f"/office/audit/?page={page}")
        assert response.status_code == 200, page  # 2^63 was a 500 on SQLite and PostgreSQL


def test_a_form_sent_without_its_security_token_gets_a_page_in_the_readers_language(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    refused = browser.post("/login/", {"username": "auditor", "password": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 403
    assert "表单已过期" in refused.content.decode() and "CSRF" not in refused.content.decode()
    english = browser.post("/login/", {"username": "auditor", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "The form has expired" in english.content.decode()
