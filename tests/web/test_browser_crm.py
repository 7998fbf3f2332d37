"""Customer management, warnings and the what-if in a real browser."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from fanli.crm.models import FollowUp, Interaction, Warning
from fanli.crm.services import warnings_raise
from fanli.rebates.models import PolicyVersion, Statement
from tests.web.browsing import log_in, shot


def test_a_rep_logs_a_contact_and_finds_it_on_the_contact_calendar(page, world):
    log_in(page, "channel_manager", "/office/customers/C001/")
    today = timezone.localdate()
    page.select_option("#interaction-form select[name=channel]", "V")
    page.fill("#interaction-form input[name=summary]", "拜访仓库，盘点库存")
    page.fill("#interaction-form input[name=outcome]", "下周补货")
    page.click("#interaction-form button[type=submit]")
    page.wait_for_selector("text=接触已记录")
    assert page.inner_text("#interactions tbody tr:first-child td:nth-child(3)") == "拜访仓库，盘点库存"
    assert Interaction.objects.get().recorded_by.username == "channel_manager"
    assert not FollowUp.objects.exists()  # no next date given: no task

    page.click("#contacts >> text=接触日历")
    cell = page.locator(f"#contact-calendar tr[data-customer=C001] td[data-day='{today.day}'] .channel")
    assert cell.inner_text() == "V"
    assert cell.get_attribute("title") == "拜访仓库，盘点库存"  # the summary on hover
    cell.hover()
    shot(page, "contact_calendar")


def test_an_owner_acknowledges_a_warning_and_it_leaves_the_list(page, world):
    warnings_raise(today=date(2026, 11, 24))  # the world's Q1 statements are unpaid: payout overdue
    mine = Warning.objects.get(customer__code="C001")
    log_in(page, "channel_manager", "/office/warnings/")
    row = page.locator(f"tr[data-warning='{mine.pk}']")
    assert "返利逾期未付" in row.inner_text()
    assert page.locator("#warnings tbody tr[data-warning]").count() == 1  # the other customer's is not theirs
    shot(page, "warnings")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("text=预警已确认")
    assert page.locator("#warnings tbody tr[data-warning]").count() == 0
    mine.refresh_from_db()
    assert mine.acknowledged_by.username == "channel_manager"


def test_a_what_if_runs_from_the_policy_editor_with_a_changed_tier_and_stores_nothing(page, world):
    versions, statements = PolicyVersion.objects.count(), Statement.objects.count()
    log_in(page, "channel_manager", "/office/policies/dist-q/edit/")
    page.fill("input[name='calculation.tiers.1.value']", "2.5")  # tier 2: 2 % -> 2.5 %
    page.select_option("select[name=whatif_period]", "2026-Q1")
    page.click("#whatif-button")
    page.wait_for_selector("#whatif")
    # C001 152,000 at 2.5 % = 3,800 and C002 900: 4,700 against 3,940 in force
    assert page.inner_text("#whatif-total") == "¥4,700.00"
    assert page.inner_text("#whatif-in-force") == "¥3,940.00"
    assert page.inner_text("#whatif-difference") == "¥760.00"
    assert page.input_value("input[name='calculation.tiers.1.value']") == "2.5"  # the form as typed
    shot(page, "policy_whatif")
    page.fill("input[name='calculation.tiers.1.value']", "3")  # and again, with another rate
    page.click("#whatif-button")
    page.wait_for_selector("#whatif-total >> text=¥5,460.00")  # 152,000 * 3 % = 4,560 + 900
    assert (PolicyVersion.objects.count(), Statement.objects.count()) == (versions, statements)
