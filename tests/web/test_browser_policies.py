"""The policy editor in a real browser: write a policy, fix what validation finds, preview, publish."""

from __future__ import annotations

from fanli.rebates.models import PolicyVersion
from tests.web.browsing import log_in, shot


def test_a_channel_manager_writes_previews_and_publishes_a_policy(page, world):
    log_in(page, "channel_manager")
    page.click("nav >> text=返利政策")
    page.click("text=新建政策")
    page.fill("input[name=code]", "spring-2026")
    page.fill("input[name=name]", "春季阶梯返利")
    page.fill("input[name=valid_from]", "2026-01-01")
    # the first tier (0 → 1 %) comes filled in; add two more, the second out of order
    page.fill("input[name='calculation.tiers.1.from']", "100000")
    page.fill("input[name='calculation.tiers.1.value']", "2.5")
    page.click("button[data-add-row=tier-table]")
    page.fill("input[name='calculation.tiers.2.from']", "50000")
    page.fill("input[name='calculation.tiers.2.value']", "3")
    assert page.is_hidden("input[name='calculation.rate_percent']")  # flat-rate field hidden for a tier table
    page.click("button[type=submit].primary >> text=保存草稿并预览")
    page.wait_for_selector("#error-summary")
    assert page.inner_text("ul.field-errors[data-path='calculation.tiers']") == "档位起点必须严格递增"
    assert page.input_value("input[name='calculation.tiers.2.from']") == "50000"  # nothing typed is lost
    shot(page, "policy_editor_errors")
    assert not PolicyVersion.objects.filter(policy__code="spring-2026").exists()

    page.click("#tier-table tbody tr:nth-child(3) [data-remove-row]")
    page.click("button[type=submit].primary >> text=保存草稿并预览")
    page.wait_for_selector("text=草稿 v1 已保存")
    page.select_option("select[name=period]", "2026-Q1")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#preview-total")
    assert page.inner_text("#preview-total") == "¥4,700.00"  # C001 2.5 % of 152,000 + C002 1 % of 90,000
    assert page.inner_text("#preview-in-force") == "¥0.00"
    assert page.locator("#preview-rows tbody tr").count() == 1  # the channel manager owns C001 only
    shot(page, "policy_preview")

    page.click("text=提交审批 v1")
    page.wait_for_selector("text=版本 1 已提交")
    assert PolicyVersion.objects.get(policy__code="spring-2026").status == "submitted"
    assert page.is_visible("text=等待他人审批")  # the author cannot publish their own version
    page.click("text=退出")
    log_in(page, "finance", "/office/approvals/")  # four eyes: another person with the right publishes it
    shot(page, "approvals")
    page.click("#approvals-policies >> text=审阅")
    shot(page, "policy_submitted")
    page.click("button[data-action=publish]")
    page.wait_for_selector("text=版本 1 已发布并生效。")
    version = PolicyVersion.objects.get(policy__code="spring-2026")
    assert (version.status, version.submitted_by.username, version.published_by.username) == (
        "published", "channel_manager", "finance")
    shot(page, "policy")
