"""Month end in a real browser: run a settlement in the background, watch it finish, approve, pay
and print a statement."""

from __future__ import annotations

from datetime import date

from fanli.customers.models import Customer
from fanli.rebates.models import Statement
from tests.builders import invoice
from tests.web.browsing import log_in, shot


def test_finance_runs_a_settlement_approves_pays_and_prints_a_statement(page, world, settings):
    settings.FANLI_JOBS_INLINE = False  # the real thing: a background job the page polls
    invoice(Customer.objects.get(code="C001"), date(2026, 8, 10), ("TEA-1", "200000"))
    log_in(page, "finance")
    page.click("nav a[href='/office/settlement/']")
    page.fill("#settlement-form input[name=period]", "2026-Q3")
    shot(page, "settlement_workspace")
    page.click("#settlement-form button[type=submit]")
    page.wait_for_selector("progress")
    page.wait_for_selector("#settlement-result", timeout=60_000)  # htmx polls until the job ends
    assert page.inner_text("#result-statements") == "1"
    assert page.inner_text("#result-amount") == "¥4,000.00"
    assert page.get_attribute("section.job", "data-state") == "done"
    shot(page, "settlement_done")

    page.click("text=查看本次运行的结算单")
    statement = Statement.objects.get(period_key="2026-Q3")
    page.click(f"a[href='/office/statements/{statement.pk}/']")
    page.click("button:has-text('审批')")
    page.wait_for_selector("text=结算单已审批")
    page.click("text=退出")  # four eyes: the administrator pays what finance approved
    log_in(page, "administrator", f"/office/statements/{statement.pk}/")
    page.fill("input[name=reference]", "BANK-2026-Q3")
    page.click("button:has-text('登记支付')")
    page.wait_for_selector("text=支付已登记")
    statement.refresh_from_db()
    assert statement.state == "paid"

    page.click("a.button:has-text('打印')")
    page.wait_for_selector(".letterhead")
    assert "¥4,000.00" in page.inner_text("section.figures")
    page.emulate_media(media="print")
    page.wait_for_selector(".toolbar", state="hidden")  # the print style sheet hides it (it may still be loading)
    shot(page, "statement_print")


def test_finance_filters_approves_every_matching_draft_after_confirming_and_keeps_the_filters(page, world):
    log_in(page, "finance", "/office/statements/")
    page.fill("form.filters input[name=max]", "1000")
    page.press("form.filters input[name=max]", "Enter")
    page.wait_for_selector("#export-xlsx[href$='?max=1000']")  # the export follows the rows' filters
    assert page.inner_text("#matching-count") == "共 1 张结算单"
    page.check("#select-all-matching input")
    page.click("button:has-text('审批所选')")
    page.wait_for_selector("#approve-confirm")
    assert "¥900.00" in page.inner_text("#approve-confirm")
    assert Statement.objects.filter(state="approved").count() == 0
    shot(page, "statements_approve_confirm")
    page.click("#approve-all-confirm")
    page.wait_for_selector("text=已审批 1 张结算单，共 ¥900.00")
    assert page.url.endswith("/office/statements/?max=1000")
    assert page.input_value("form.filters input[name=max]") == "1000"
    assert list(Statement.objects.filter(state="approved").values_list("pk", flat=True)) == [
        world["other_statement"].pk]
