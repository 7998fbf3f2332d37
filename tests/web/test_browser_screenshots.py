"""Screenshots of the main pages in both languages, on a desktop and on a phone (390 px), saved
under ``$FANLI_VAR_DIR/screenshots`` (``var/test/screenshots`` when run by ``dev.py test``) for
whoever reviews the interface. Each page must load, read in its language and, on the phone,
never run off the side."""

from __future__ import annotations

import pytest

from fanli.crm.services import warnings_raise
from tests.web.browsing import log_in, shot

OFFICE = ("/office/", "/office/statements/", "/office/customers/", "/office/customers/C001/", "/office/warnings/",
          "/office/payments/", "/office/policies/dist-q/v1/")
PORTAL = ("/portal/",)


@pytest.mark.usefixtures("issued")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_main_pages_in_each_language_and_width(page, world, language, width):
    from datetime import date

    warnings_raise(today=date(2026, 11, 24))
    page.set_viewport_size({"width": width, "height": 900})
    statement = world["acme_statement"]
    for username, paths in (("finance", (*OFFICE, f"/office/statements/{statement.pk}/")),
                            ("acme", (*PORTAL, f"/portal/statements/{statement.pk}/"))):
        log_in(page, username, paths[0])
        if language != "zh-hans":
            page.select_option("select[name=language]", language)
            page.wait_for_selector(f"html[lang={language}]")
        for path in paths:
            page.goto(page.base + path)
            page.wait_for_selector("main")
            assert page.get_attribute("html", "lang") == language
            name = path.replace(f"/{statement.pk}/", "/statement/").strip("/").replace("/", "_") or "home"
            shot(page, f"{name}_{language}_{width}")
            if width < 500 and username == "acme":
                assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        page.click("form.inline button.link")  # log out
