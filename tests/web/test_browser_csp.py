"""The Content-Security-Policy in a real browser: the main pages, charts, htmx, the policy editor,
the portal and the API's documentation work without a single violation, and an injected inline
script does not run."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from django.core.cache import cache
from playwright.sync_api import Error as PlaywrightError

from fanli.web.dashboard import SNAPSHOT_KEY, snapshot_compute
from tests.web.browsing import PASSWORD, log_in

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + (event.blockedURI || "inline"));
});
"""


def _recording(page) -> list[str]:
    """Violations, script errors and failed loads (but the browser's own /favicon.ico guess)."""
    problems: list[str] = []
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda message: problems.append(message.text)
            if (message.type == "error" and not message.text.startswith("Failed to load resource"))
            or "Content Security Policy" in message.text else None)  # failed loads: by their response below
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    return problems


def test_the_back_office_pages_charts_editor_and_api_docs_raise_no_csp_violation(page, world):
    cache.set(SNAPSHOT_KEY, snapshot_compute(date(2026, 3, 31)), None)
    problems = _recording(page)
    statement = world["acme_statement"]

    log_in(page, "administrator")
    page.wait_for_selector("#chart-trend .main-svg")  # plotly drew (from our static files)
    page.wait_for_selector("#chart-tiers .bars path")
    [session] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    assert session["secure"] and session["httpOnly"]  # production cookies, kept by the browser on 127.0.0.1

    page.goto(f"{page.base}/office/policies/dist-q/edit/")
    page.select_option("select[data-toggle=calculation]", "flat_rate")  # the editor's script runs
    assert page.is_hidden("[data-when-calculation=tiers]")

    page.goto(f"{page.base}/office/statements/{statement.pk}/")
    page.wait_for_selector("text=C001")
    page.goto(f"{page.base}/office/statements/{statement.pk}/print/")
    page.goto(f"{page.base}/office/customers/C001/")
    page.wait_for_load_state("networkidle")  # htmx fragments loaded
    page.goto(f"{page.base}/office/warnings/")
    with page.expect_navigation():
        page.check("input[name=all][data-autosubmit]")  # a filter applies on change, by app.js
    assert "all=1" in page.url

    page.goto(f"{page.base}/api/docs")
    page.wait_for_selector(".opblock-tag")  # Swagger UI drew the operations
    page.click(".opblock-summary >> nth=0")
    page.wait_for_selector(".opblock-body")
    page.goto(f"{page.base}/admin/")
    page.wait_for_selector("#site-name")
    page.goto(f"{page.base}/admin/rebates/statement/")
    page.wait_for_selector("#result_list")

    assert problems == []
    cache.delete(SNAPSHOT_KEY)


@pytest.mark.usefixtures("issued")  # the customer sees only issued statements
def test_the_portal_raises_no_csp_violation(page, world):
    problems = _recording(page)
    log_in(page, "acme")
    page.wait_for_selector("text=C001")
    page.goto(f"{page.base}/portal/statements/{world['acme_statement'].pk}/")
    page.goto(f"{page.base}/portal/statements/{world['acme_statement'].pk}/print/")
    page.wait_for_selector("button[data-print]")
    assert problems == []


def test_an_injected_inline_script_is_refused_and_reported(page, world):
    problems = _recording(page)
    page.goto(f"{page.base}/login/")
    page.fill("input[name=username]", "finance")
    page.fill("input[name=password]", PASSWORD)
    with contextlib.suppress(PlaywrightError):  # Playwright may report the refused script as an error too
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("window.injected === undefined")
    for _ in range(50):  # the page's violation listener logs asynchronously, after the browser's own message
        if any("CSP violation: script-src-elem blocked inline" in text for text in problems):
            break
        page.wait_for_timeout(100)
    assert any("CSP violation: script-src-elem blocked inline" in text for text in problems), problems
