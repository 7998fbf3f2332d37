"""Every address of the Django admin, for every role, a customer, a role-less staff login and an
anonymous visitor: only administrators see it, read-only, and no request by anyone changes data.

The addresses come from the admin's own registry, so a model registered later is walked too.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse

from fanli.accounts.adminsite import ReadOnlyAdmin
from fanli.common.models import AuditEvent
from fanli.common.services import api_token_create
from fanli.customers.models import Grade
from fanli.ledger.models import OrderOffset
from fanli.rebates.models import Enrolment, Policy, Statement
from fanli.rebates.payouts import payout_record
from fanli.rebates.services import statement_approve
from tests.web.browsing import PASSWORD

pytestmark = pytest.mark.django_db
ROLES = ["administrator", "channel_manager", "finance", "customer_service", "auditor", "portal", "service",
         "anonymous"]
# Actions the admin offers, each calling a service with the same permission checks, and each with a
# test of its own that it does (an administrator's post of one changes data on purpose, so the walk
# posts them only for the other roles): (app_label, model_name) -> action names. An action missing
# here fails test_every_model_in_the_admin_is_read_only_and_offers_only_service_actions.
SERVICE_ACTIONS: dict[tuple[str, str], set[str]] = {("common", "apitoken"): {"revoke"}}  # api_token_revoke
# Actions that must not exist, posted anyway: Django's bulk delete and the former statement approval.
POSTED_ACTIONS = {"delete_selected", "approve"}


@pytest.fixture
def admin_world(world):
    """The web world with at least one row of every model the admin shows."""
    users = world["users"]
    users["service"] = get_user_model().objects.create_user("service", password=PASSWORD, is_staff=True)
    paid = world["other_statement"]
    statement_approve(statement_id=paid.pk, actor=users["finance"], on=date(2026, 4, 2))
    payout_record(statement_id=paid.pk, actor=users["administrator"], paid_on=date(2026, 4, 20), reference="B-1")
    Grade.objects.create(code="A", name="A")
    Enrolment.objects.create(policy=Policy.objects.get(), customer=paid.customer)
    OrderOffset.objects.create(customer=paid.customer, order_reference="SO-1", order_amount_minor=10_000,
                               offset_minor=100, effective_date=date(2026, 4, 21))
    api_token_create(user=users["finance"], name="integration")
    for model in admin.site._registry:
        assert model._default_manager.exists(), model  # every change, delete and history page is walked
    return world


def requests(*, service_actions: bool = True) -> list[tuple[str, str, str, dict]]:
    """(kind, method, path, data) for every admin address; kinds decide what an administrator gets."""
    walked = [("index", "get", reverse("admin:index"), {}),
              ("password", "get", reverse("admin:password_change"), {}),
              ("password", "post", reverse("admin:password_change"),
               {"old_password": PASSWORD, "new_password1": "x-New-secret-9", "new_password2": "x-New-secret-9"}),
              ("missing", "get", "/admin/no-such-page/", {})]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        every = list(model._default_manager.values_list("pk", flat=True))
        walked += [
            ("changelist", "get", reverse(f"{name}_changelist"), {}),
            ("refused", "get", reverse(f"{name}_add"), {}),
            ("refused", "post", reverse(f"{name}_add"), {}),
            ("change", "get", reverse(f"{name}_change", args=[pk]), {}),
            ("refused", "post", reverse(f"{name}_change", args=[pk]), {}),
            ("refused", "get", reverse(f"{name}_delete", args=[pk]), {}),
            ("refused", "post", reverse(f"{name}_delete", args=[pk]), {"post": "yes"}),
            ("history", "get", reverse(f"{name}_history", args=[pk]), {}),
        ]
        offered = SERVICE_ACTIONS.get((model._meta.app_label, model._meta.model_name), set())
        for action in POSTED_ACTIONS | (offered if service_actions else set()):
            walked.append(("action", "post", reverse(f"{name}_changelist"),
                           {"action": action, "_selected_action": every, "index": "0"}))
    return walked


def expected(role: str, kind: str, path: str) -> tuple[int, str]:
    if role == "anonymous":
        return 302, f"/login/?next={path}"
    if role != "administrator":
        return 403, ""
    if kind == "action" and path in _with_actions():
        return 302, path  # a list with actions sends an unknown action back to itself ("no action selected")
    return {"index": (200, ""), "changelist": (200, ""), "change": (200, ""), "history": (200, ""),
            "action": (200, ""), "refused": (403, ""), "missing": (404, ""),
            "password": (302, reverse("admin:index"))}[kind]


def _with_actions() -> set[str]:
    return {reverse(f"admin:{label}_{name}_changelist") for label, name in SERVICE_ACTIONS}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table but the sessions (logging in writes those)."""
    return {model._meta.label: list(model._default_manager.order_by("pk").values())
            for model in apps.get_models() if model is not Session}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_answer_at_every_admin_address_and_changes_nothing(admin_world, role):
    client = Client()
    if role != "anonymous":
        client.force_login(admin_world["users"][role])
    walked = requests(service_actions=role != "administrator")
    before = snapshot()
    got = {(method, path, kind): (response.status_code, response.get("Location", ""))
           for kind, method, path, data in walked
           for response in [getattr(client, method)(path, data)]}
    assert snapshot() == before
    want = {(method, path, kind): expected(role, kind, path) for kind, method, path, _ in walked}
    assert got == want
    assert len(walked) >= 4 + 10 * len(admin.site._registry)  # nothing silently left out
    assert set(Statement.objects.values_list("state", flat=True)) == {"draft", "paid"}


def test_a_superuser_without_a_role_reads_the_admin(client, admin_world):
    client.force_login(get_user_model().objects.create_superuser("root", password=PASSWORD))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/rebates/statement/").status_code == 200


def test_every_model_in_the_admin_is_read_only_and_offers_only_service_actions(admin_world):
    request = RequestFactory().get("/admin/")
    request.user = admin_world["users"]["administrator"]
    for model, model_admin in admin.site._registry.items():
        label = (model._meta.app_label, model._meta.model_name)
        assert isinstance(model_admin, ReadOnlyAdmin), label
        assert (model_admin.has_add_permission(request), model_admin.has_change_permission(request),
                model_admin.has_delete_permission(request), model_admin.has_view_permission(request)) == (
            False, False, False, True), label
        assert set(model_admin.get_actions(request)) <= SERVICE_ACTIONS.get(label, set()), label


@pytest.mark.parametrize("role", ["auditor", "service"])
def test_the_statement_approve_action_of_the_admin_is_gone(admin_world, role):
    client = Client()
    client.force_login(admin_world["users"][role])
    statement = admin_world["acme_statement"]
    response = client.post("/admin/rebates/statement/", {"action": "approve", "_selected_action": [statement.pk],
                                                         "index": "0"})
    statement.refresh_from_db()
    assert (response.status_code, statement.state) == (403, "draft")
    assert not AuditEvent.objects.filter(action="statement.approve", object_id=str(statement.pk)).exists()


def test_the_admin_login_sends_to_the_one_throttled_login_page_and_checks_nothing(client, admin_world):
    response = client.get("/admin/login/?next=/admin/rebates/statement/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/admin/rebates/statement/")
    response = client.post("/admin/login/", {"username": "administrator", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/admin/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_logging_in_on_the_one_login_page_opens_the_admin_for_administrators_only(client, admin_world):
    response = client.post("/login/?next=/admin/", {"username": "administrator", "password": PASSWORD,
                                                     "next": "/admin/"})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200
    client.logout()
    client.post("/login/", {"username": "finance", "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/").status_code == 403
    assert client.get("/login/?next=/admin/")["Location"] == "/admin/"  # no loop back to a login form
