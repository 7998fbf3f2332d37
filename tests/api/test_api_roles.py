"""Every API operation names the permission it needs; each role reaches exactly the operations its
permissions grant, over real HTTP with its own token. Customers' logins reach none."""

from __future__ import annotations

import re

import pytest

from fanli.accounts.selectors import PERMISSIONS
from fanli.accounts.services import portal_user_create, staff_user_create
from fanli.api import api
from fanli.common.services import api_token_create
from tests.api.test_rebates_api import Client
from tests.builders import customer

ROLES = ["administrator", "channel_manager", "finance", "customer_service", "auditor"]


def operations() -> list[tuple[str, str, str]]:
    found = []
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    found.append((method, path, getattr(operation.view_func, "required_permission", "")))
    return found


def test_every_operation_names_a_permission_some_role_has():
    granted = set().union(*PERMISSIONS.values())
    missing = [(method, path) for method, path, needed in operations() if needed not in granted]
    assert missing == [] and len(operations()) >= 51


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_its_permissions_grant(live_server, transactional_db, role):
    customer("C001")
    user = staff_user_create(username=role, password="x-Long-secret-1", role=role, actor=None)
    client = Client(f"{live_server.url}/api", api_token_create(user=user, name="test"))
    allowed = PERMISSIONS[role]
    for method, path, needed in operations():
        concrete = re.sub(r"\{(int:)?\w+\}", lambda m: "1" if m.group(1) or m.group(0).endswith("_id}") else "C001",
                          path)
        status, body = client.call(method, concrete, {} if method in ("POST", "PUT") else None)
        if needed in allowed:
            assert status != 403, (method, path, body)
        else:
            assert (status, body["code"]) == (403, "forbidden"), (method, path, status)


def test_a_customers_own_login_reaches_no_operation(live_server, transactional_db):
    customer("C001")
    user = portal_user_create(username="acme", password="x-Long-secret-1", customer_code="C001", actor=None)
    client = Client(f"{live_server.url}/api", api_token_create(user=user, name="test"))
    for method, path in (("GET", "/statements"), ("GET", "/customers/C001/balances"), ("POST", "/settlements")):
        status, _ = client.call(method, path, {} if method == "POST" else None)
        assert status in (401, 403), (method, path)


def test_a_sales_rep_reads_and_writes_only_their_own_customers(live_server, transactional_db):
    from datetime import date

    from fanli.customers.models import Customer
    from fanli.rebates.services import policy_apply, settlement_run
    from tests.api.test_rebates_api import POLICY
    from tests.builders import catalog, invoice

    catalog()
    policy_apply(text=__import__("json").dumps(POLICY), actor=None)
    mine, theirs = customer("C001"), customer("C002")
    for who in (mine, theirs):
        invoice(who, date(2026, 1, 10), ("TEA-1", "1000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    rep = staff_user_create(username="rep", password="x-Long-secret-1", role="channel_manager", actor=None)
    Customer.objects.filter(pk=mine.pk).update(owner=rep)
    client = Client(f"{live_server.url}/api", api_token_create(user=rep, name="test"))
    status, listed = client.call("GET", "/statements")
    assert status == 200 and [s["customer"] for s in listed] == ["C001"]
    other = theirs.statements.get().pk
    for path in (f"/statements/{other}", "/customers/C002", "/customers/C002/progress", "/customers/C002/balances",
                 "/customers/C002/contacts"):
        assert client.call("GET", path)[0] == 404, path
    assert client.call("GET", "/customers/C001/progress")[0] == 200
    status, _ = client.call("POST", "/customers/C002/interactions", {"channel": "T", "happened_on": "2026-11-01",
                                                                     "summary": "x"})
    assert status == 404
    quoted = client.call("POST", "/quotes", {"customer": "C002", "lines": [{"sku": "TEA-1", "quantity": "1"}]})
    assert quoted == (422, {"code": "validation_failed", "message": "the quote has 1 error(s)",  # as for an unknown code
                            "details": {"errors": [{"path": "customer", "message": "no customer 'C002'"}]}})
    assert client.call("GET", "/ledger/balances")[0] == 403  # the whole ledger is for those who see every customer
