"""A request reads its user's roles once, however often the page asks what the user may do; a
role given through the service counts from the next request, and on the object it returned."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fanli.accounts.selectors import can
from fanli.accounts.services import staff_user_create, staff_user_role_set
from tests.builders import catalog, customer

pytestmark = pytest.mark.django_db


def group_reads(queries: list[dict[str, str]]) -> int:
    """Reads of one user's group names (the page's list of staff users is another query)."""
    return sum(q["sql"].startswith('SELECT "auth_group"."name"') for q in queries)


def test_a_customer_page_reads_the_users_groups_once():
    catalog()
    customer("C001")
    clerk = staff_user_create(username="clerk", password="a long enough secret 9", role="finance", actor=None)
    client = Client()
    client.force_login(clerk)
    client.get("/office/customers/C001/")
    with CaptureQueriesContext(connection) as page:
        assert client.get("/office/customers/C001/").status_code == 200
    assert group_reads(page.captured_queries) == 1


def test_a_role_given_through_the_service_counts_from_the_next_request_and_on_the_returned_user():
    clerk = staff_user_create(username="clerk", password="a long enough secret 9", role="customer_service", actor=None)
    client = Client()
    client.force_login(clerk)
    assert client.get("/office/settlement/").status_code == 403
    assert not can(clerk, "settle")  # remembered on this object from now on
    changed = staff_user_role_set(username="clerk", role="finance", actor=None)
    assert can(changed, "settle")
    assert client.get("/office/settlement/").status_code == 200
