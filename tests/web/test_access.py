"""Who reaches which page: every URL for every role, anonymous users and portal users."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.django_db

OFFICE_PAGES = ["/office/", "/office/statements/", "/office/customers/", "/office/customers/C001/"]
EVERY_STAFF = ["administrator", "channel_manager", "finance", "customer_service", "auditor"]


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", [*OFFICE_PAGES, "/portal/", "/office/statements/1/"])
def test_anonymous_users_are_sent_to_the_login_page(client, world, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", EVERY_STAFF)
@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_every_staff_role_may_read_the_back_office(client, world, role, path):
    assert login(client, world["users"][role]).get(path).status_code == 200


@pytest.mark.parametrize("user", ["portal", "portal_other"])
@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_portal_users_never_reach_the_back_office(client, world, user, path):
    assert login(client, world["users"][user]).get(path).status_code == 403


@pytest.mark.parametrize("role", EVERY_STAFF)
def test_staff_have_no_portal(client, world, role):
    assert login(client, world["users"][role]).get("/portal/").status_code == 403


def test_a_sales_representative_sees_only_the_customers_they_own(client, world):
    client = login(client, world["users"]["channel_manager"])
    assert client.get("/office/customers/C001/").status_code == 200
    assert client.get("/office/customers/C002/").status_code == 404
    assert client.get(f"/office/statements/{world['other_statement'].pk}/").status_code == 404
    page = client.get("/office/customers/").content.decode()
    assert "C001" in page and "C002" not in page


@pytest.mark.parametrize(("role", "allowed"), [
    ("administrator", True), ("finance", True), ("channel_manager", False), ("customer_service", False),
    ("auditor", False),
])
def test_only_finance_and_administrators_approve(client, world, role, allowed):
    statement = world["acme_statement"]
    response = login(client, world["users"][role]).post(f"/office/statements/{statement.pk}/approve/")
    statement.refresh_from_db()
    assert (response.status_code, statement.state) == ((302, "approved") if allowed else (403, "draft"))


@pytest.mark.usefixtures("issued")  # the customer sees only issued statements
def test_a_portal_user_sees_their_statement_and_gets_404_for_another_customers(client, world):
    client = login(client, world["users"]["portal"])
    mine, theirs = world["acme_statement"], world["other_statement"]
    page = client.get(f"/portal/statements/{mine.pk}/")
    assert page.status_code == 200
    assert "¥3,040.00" in page.content.decode()
    assert client.get(f"/portal/statements/{theirs.pk}/").status_code == 404
    assert client.post(f"/portal/statements/{theirs.pk}/dispute/", {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "approved"  # not disputed by a stranger


def test_the_portal_shows_progress_to_the_next_tier_in_money_at_any_date(client, world):
    page = login(client, world["users"]["portal"]).get("/portal/?date=2026-02-28").content.decode()
    assert "经销商季度阶梯返利" in page
    assert "2026-Q1 再采购 ¥148,000.00 即可享受 3%" in page
    assert 'aria-valuenow="50"' in page  # 152,000 of 300,000


def test_forms_are_protected_against_cross_site_requests(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["finance"])
    response = client.post(f"/office/statements/{world['acme_statement'].pk}/approve/")
    assert response.status_code == 403
    world["acme_statement"].refresh_from_db()
    assert world["acme_statement"].state == "draft"


def test_logins_are_throttled_after_five_failures_even_with_the_right_password(client, world):
    from django.core.cache import cache

    cache.clear()
    for _ in range(5):
        page = client.post("/login/", {"username": "finance", "password": "wrong"}).content.decode()
        assert "请输入一个正确的" in page
    refused = client.post("/login/", {"username": "finance", "password": "a-Long-secret-2026"})
    assert refused.status_code == 200  # the form again, not a redirect into the office
    assert "失败次数过多，请 15 分钟后再试。" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    cache.clear()
    assert client.post("/login/", {"username": "finance", "password": "a-Long-secret-2026"}).status_code == 302


def test_a_customer_sees_no_draft_statement_of_their_own_until_it_is_approved(client, world):
    from fanli.rebates.services import statement_approve

    client = login(client, world["users"]["portal"])
    mine = world["acme_statement"]
    assert mine.state == "draft"
    assert client.get(f"/portal/statements/{mine.pk}/").status_code == 404
    assert f"/portal/statements/{mine.pk}/" not in client.get("/portal/").content.decode()
    assert client.post(f"/portal/statements/{mine.pk}/dispute/", {"reason": "x"}).status_code == 404
    statement_approve(statement_id=mine.pk, actor=world["users"]["finance"], today=date(2026, 4, 5))
    assert client.get(f"/portal/statements/{mine.pk}/").status_code == 200
    assert f"/portal/statements/{mine.pk}/" in client.get("/portal/").content.decode()


def test_a_group_head_sees_its_branches_balances_summed_and_each_company_below(client, world):
    from fanli.ledger.models import Account, EntryKind
    from fanli.ledger.services import Posting, entries_post
    from tests.builders import customer

    head = world["acme_statement"].customer
    branch = customer("C001-B", parent=head)
    entries_post(postings=[
        Posting(EntryKind.SETTLEMENT, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE, 758_833, "t:1", date(2026, 4, 1),
                customer_id=branch.pk),
        Posting(EntryKind.PAYOUT, Account.REBATES_PAYABLE, Account.REBATE_ACCOUNT, 758_833, "t:2", date(2026, 4, 2),
                customer_id=branch.pk),
        Posting(EntryKind.SETTLEMENT, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE, 10_000, "t:3", date(2026, 4, 1),
                customer_id=head.pk),
    ])
    client = login(client, world["users"]["portal"])
    page = client.get("/portal/").content.decode()
    balances = page.split('id="portal-balances"')[1].split("</section>")[0]
    assert "¥7,588.33" in balances.split('id="branch-balances"')[0]  # the group's credit, summed
    rows = balances.split('id="branch-balances"')[1].split("<tr>")[2:]
    assert "C001 " in rows[0] and "¥0.00" in rows[0] and "¥3,140.00" in rows[0]  # its own statement and entry
    assert "C001-B" in rows[1] and "¥7,588.33" in rows[1]
