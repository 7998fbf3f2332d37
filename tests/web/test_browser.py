"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a live server.

Screenshots of the main pages are saved under ``$FANLI_VAR_DIR/screenshots`` as test artefacts.
"""

from __future__ import annotations

import pytest

from fanli.rebates.models import Statement
from tests.web.browsing import log_in, shot


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
    assert page.is_visible("#four-eyes-note") and not page.is_visible("button:has-text('登记支付')")  # approver never pays
    page.click("text=退出")
    log_in(page, "administrator", f"/office/statements/{statement.pk}/")
    page.fill("input[name=reference]", "BANK-0001")
    page.click("text=登记支付")
    page.wait_for_selector("text=支付已登记")
    shot(page, "statement")
    statement.refresh_from_db()
    assert statement.state == "paid"
    assert page.locator("pre.explanation").inner_text().count("¥3,040.00") >= 1


@pytest.mark.usefixtures("issued")  # the customer sees only issued statements
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


@pytest.mark.usefixtures("issued")
@pytest.mark.parametrize("width", [360, 390])
def test_the_portal_fits_a_phone(page, world, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "acme", "/portal/")
    for path in ("/portal/", f"/portal/statements/{world['acme_statement'].pk}/"):
        page.goto(page.base + path)
        page.wait_for_selector("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path  # nothing off the side
    page.goto(page.base + "/portal/")
    five = page.locator("fieldset.scores label").last.bounding_box()
    comment = page.locator("input[name=comment]").bounding_box()
    assert five is not None and comment is not None and five["y"] + five["height"] <= comment["y"]  # not under it
    shot(page, f"portal_{width}px")
