"""Importing a file with a bad row in a real browser, then finding the import in the audit log."""

from __future__ import annotations

from fanli.sales.models import SalesDocument
from tests.web.browsing import log_in, shot
from tests.web.test_import_pages import CSV


def test_finance_sees_the_bad_row_imports_the_good_ones_and_finds_it_in_the_audit_log(page, world, tmp_path):
    sales = tmp_path / "may.csv"
    sales.write_bytes(CSV)
    log_in(page, "finance")
    page.click("nav a[href='/office/imports/']")
    page.select_option("select[name=kind]", "sales")
    page.set_input_files("input[name=file]", str(sales))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import-preview")
    bad = page.locator("#preview-errors tr[data-line='4']")
    assert bad.inner_text().split("\t") == ["4", "sku", "未知 SKU 'GHOST'"]
    assert page.inner_text("#preview-created") == "3"
    assert not SalesDocument.objects.filter(number__startswith="W-").exists()  # a preview writes nothing
    shot(page, "imports_preview")

    page.click("#import-commit button:has-text('只导入正确的行')")
    page.wait_for_selector("#import-result")
    assert page.inner_text("#import-status") == "已导入"
    assert page.inner_text("#import-created") == "3"
    assert sorted(SalesDocument.objects.filter(number__startswith="W-").values_list("number", flat=True)) == ["W-1", "W-3"]
    shot(page, "import_done")

    page.click("nav a[href='/office/audit/']")
    page.fill("input[name=action]", "import.")
    page.press("input[name=action]", "Enter")
    page.wait_for_selector("#audit-rows tr[data-event] >> text=import.sales")
    assert "finance" in page.inner_text("#audit-rows tbody tr:first-child")
    shot(page, "audit_log")
