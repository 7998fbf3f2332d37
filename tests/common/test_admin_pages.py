"""The admin for a superuser: every list page opens, nothing can be added. (Every address for every
role: tests/web/test_admin_matrix.py.)"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

PAGES = [
    "customers/customer", "customers/grade", "catalog/product", "catalog/category", "catalog/brand",
    "rebates/policy", "rebates/policyversion", "rebates/enrolment", "rebates/run", "rebates/statement",
    "ledger/ledgerentry", "ledger/payout", "ledger/orderoffset", "common/auditevent", "common/apitoken",
    "auth/user", "auth/group",
]


@pytest.mark.parametrize("page", PAGES)
def test_each_admin_list_opens_for_a_superuser(client, page):
    client.force_login(User.objects.create_superuser("root", password="x-secret-123"))
    assert client.get(f"/admin/{page}/").status_code == 200


def test_ledger_entries_and_statements_cannot_be_added_in_the_admin(client):
    client.force_login(User.objects.create_superuser("root", password="x-secret-123"))
    assert client.get("/admin/ledger/ledgerentry/add/").status_code == 403
    assert client.get("/admin/rebates/statement/add/").status_code == 403


def test_the_root_address_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")
