"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a live server.

Screenshots of the main pages are saved under ``$FANLI_VAR_DIR/screenshots`` as test artefacts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from fanli.rebates.models import Statement
from tests.web.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.VAR_DIR) / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (python3 dev.py test does it when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
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


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, path: str = "/") -> None:
    page.goto(page.base + path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def test_finance_reviews_approves_and_pays_a_statement_in_the_browser(page, world):
    statement = world["acme_statement"]
    log_in(page, "finance")
    page.wait_for_selector("text=待审核结算单")
    shot(page, "dashboard")
    page.click("nav >> text=结算单")
    page.check(f"input[name=ids][value='{statement.pk}']")
    shot(page, "statements")
    page.click("button[name=approve]")
    page.wait_for_selector("text=已审批 1 张结算单")
    statement.refresh_from_db()
    assert statement.state == "approved"
    page.goto(f"{page.base}/office/statements/{statement.pk}/")
    page.fill("input[name=reference]", "BANK-0001")
    page.click("text=登记支付")
    page.wait_for_selector("text=支付已登记")
    shot(page, "statement")
    statement.refresh_from_db()
    assert statement.state == "paid"
    assert page.locator("pre.explanation").inner_text().count("¥3,040.00") >= 1


def test_a_customer_sees_progress_opens_a_statement_and_raises_a_dispute(page, world):
    statement = world["acme_statement"]
    log_in(page, "acme")
    page.goto(page.base + "/portal/?date=2026-02-28")
    page.wait_for_selector("text=2026-Q1 再采购 ¥148,000.00 即可享受 3%")
    shot(page, "portal")
    page.click(f"a[href='/portal/statements/{statement.pk}/']")
    page.fill("input[name=reason]", "我们的退货单已经冲销")
    page.click("text=提出争议")
    page.wait_for_selector("text=您的争议已提交")
    statement.refresh_from_db()
    assert statement.state == "disputed"
    page.goto(f"{page.base}/portal/statements/{world['other_statement'].pk}/")
    assert page.locator("h1").inner_text() == "未找到"


def test_the_language_switch_turns_the_interface_to_english_and_back(page, world):
    page.goto(page.base + "/login/")
    assert page.locator("h1").inner_text() == "登录"
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("h1:text('Log in')")
    log_in(page, "auditor", path="/login/")
    page.wait_for_selector("text=Statements to review")
    shot(page, "dashboard-en")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("text=待审核结算单")
    assert Statement.objects.filter(state="draft").count() == 2  # the auditor changed nothing
