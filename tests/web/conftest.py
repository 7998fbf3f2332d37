"""A small settled world for the web tests: two customers, statements, one user per role."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fanli.accounts.services import portal_user_create, staff_user_create
from fanli.rebates.models import Statement
from fanli.rebates.services import policy_apply, settlement_run
from tests.builders import catalog, customer, invoice
from tests.web.browsing import CHROMIUM, PASSWORD

ROLES = ["administrator", "channel_manager", "finance", "customer_service", "auditor"]

POLICY = """
code: dist-q
name: 经销商季度阶梯返利
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
calculation: {type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2},
  {from: 300000, rate_percent: 3}]}
payout: {form: cash}
"""


@pytest.fixture
def world(db):
    catalog()
    policy_apply(text=POLICY, actor=None)
    acme, other = customer("C001"), customer("C002")
    invoice(acme, date(2026, 1, 10), ("TEA-1", "150000"), ("RICE-1", "2000"))
    invoice(other, date(2026, 2, 10), ("TEA-1", "90000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    users = {role: staff_user_create(username=role, password=PASSWORD, role=role, actor=None) for role in ROLES}
    acme.owner = users["channel_manager"]
    acme.save(update_fields=["owner"])
    users["portal"] = portal_user_create(username="acme", password=PASSWORD, customer_code="C001", actor=None)
    users["portal_other"] = portal_user_create(username="other", password=PASSWORD, customer_code="C002", actor=None)
    return {
        "users": users,
        "acme_statement": Statement.objects.get(customer=acme),
        "other_statement": Statement.objects.get(customer=other),
    }


@pytest.fixture
def issued(world):
    """The world with its two statements approved by finance: issued, so their customers see them
    in the portal (drafts are not shown to customers)."""
    from fanli.rebates.services import statement_approve

    for key in ("acme_statement", "other_statement"):
        statement_approve(statement_id=world[key].pk, actor=world["users"]["finance"], today=date(2026, 4, 5))
        world[key].refresh_from_db()
    return world


@pytest.fixture
def disputed(world):
    """The world with a loyalty programme, C001 a member, and a dispute on C001's statement."""
    from fanli.loyalty.services import member_enrol, programme_apply
    from fanli.rebates.models import Dispute
    from fanli.rebates.services import statement_dispute
    from tests.loyalty.test_points import PROGRAMME

    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    statement_dispute(statement_id=world["other_statement"].pk, reason="too low", actor=None)
    Dispute.objects.update(statement=world["acme_statement"])  # on C001, whom the channel manager owns
    return world


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (python3 dev.py test does it when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()
