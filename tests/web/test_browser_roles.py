"""Every kind of user logs in through the real login page and lands where they belong."""

from __future__ import annotations

import re

import pytest

from tests.web.browsing import log_in, shot

LANDING = {
    # role: (where they land, a navigation link they must have, one they must not)
    "administrator": ("/office/", "返利政策", None),
    "channel_manager": ("/office/", "返利政策", None),
    "finance": ("/office/", "结算单", None),
    "customer_service": ("/office/", "客户", None),
    "auditor": ("/office/", "结算单", None),
    "portal": ("/portal/", "我的返利", "工作台"),
}


@pytest.mark.parametrize("role", list(LANDING))
def test_each_role_logs_in_lands_on_its_home_and_logs_out(page, world, role):
    home, present, absent = LANDING[role]
    username = world["users"][role].username
    log_in(page, username)
    page.wait_for_url(page.base + home)
    assert page.locator("nav.nav a", has_text=re.compile(f"^{present}$")).count() == 1
    if absent:
        assert page.locator("nav.nav a", has_text=absent).count() == 0
    assert page.inner_text(".who") == username
    shot(page, f"home_{role}")
    page.click("text=退出")
    page.wait_for_url(page.base + "/login/")
    page.goto(page.base + home)
    assert page.url.startswith(page.base + "/login/?next=")  # the session is gone


def test_a_wrong_password_is_refused_on_the_page(page, world):
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", "finance")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit].primary")
    assert page.url.startswith(page.base + "/login/")
    assert page.locator("input[name=password]").count() == 1 and "/office/" not in page.url
