"""A dispute from both sides in a real browser: the customer raises it and writes, customer service
replies and proposes an adjustment, finance approves, the customer sees the outcome."""

from __future__ import annotations

import pytest

from fanli.rebates.models import Dispute, Statement
from tests.web.browsing import log_in, shot


@pytest.mark.usefixtures("issued")  # the customer sees only issued statements
def test_a_dispute_is_raised_discussed_adjusted_approved_and_seen_by_the_customer(page, world):
    statement = world["acme_statement"]
    log_in(page, "acme")
    page.click(f"a[href='/portal/statements/{statement.pk}/']")
    page.fill("input[name=reason]", "三月的发票 IN-77 没有计入")
    page.click("button:has-text('提出争议')")
    page.wait_for_selector("#portal-dispute")
    page.fill("#portal-dispute textarea[name=body]", "附上 IN-77 的签收单")
    page.click("#portal-dispute button[type=submit]")
    page.wait_for_selector("#dispute-thread >> text=附上 IN-77 的签收单")
    page.click("text=退出")

    log_in(page, "customer_service")
    page.click("nav a[href='/office/disputes/']")
    dispute = Dispute.objects.get()
    page.click(f"#dispute-list a[href='/office/disputes/{dispute.pk}/']")
    page.fill("form.reply textarea[name=body]", "已核实 IN-77，建议补发")
    page.click("form.reply button[type=submit]")
    page.wait_for_selector("#dispute-thread >> text=已核实 IN-77，建议补发")
    page.fill("#propose-form input[name=amount]", "300.00")
    page.fill("#propose-form textarea[name=reason]", "IN-77 漏计")
    page.click("#propose-form button[type=submit]")
    page.wait_for_selector("#proposal-amount")
    assert page.inner_text("#proposal-amount") == "¥300.00"
    shot(page, "dispute_staff")
    page.click("text=退出")

    log_in(page, "finance")
    page.goto(page.base + f"/office/disputes/{dispute.pk}/")
    page.click("button[value=approve]")
    page.wait_for_selector("#dispute-outcome")
    manual = Statement.objects.get(kind="manual")
    assert manual.amount_minor == 30_000
    page.click("text=退出")

    log_in(page, "acme")
    page.goto(page.base + f"/portal/statements/{statement.pk}/")
    assert "已入账调整 ¥300.00" in page.inner_text("#dispute-outcome")
    assert "已核实 IN-77，建议补发" in page.inner_text("#dispute-thread")
    shot(page, "dispute_portal")
