"""The dashboard's charts in a real browser: drawn offline, with values on hover."""

from __future__ import annotations

from datetime import date

from django.core.cache import cache

from fanli.web.dashboard import SNAPSHOT_KEY, snapshot_compute
from tests.web.browsing import log_in, shot


def test_the_charts_draw_and_show_values_on_hover(page, world):
    cache.set(SNAPSHOT_KEY, snapshot_compute(date(2026, 3, 31)), None)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    log_in(page, "finance")
    page.wait_for_selector("#chart-trend .main-svg")
    page.wait_for_selector("#chart-tiers .main-svg")
    bars = page.locator("#chart-tiers .bars path")
    assert bars.count() == 2  # tier 1 and tier 2 of dist-q
    box = bars.first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # as a person points at it
    page.wait_for_selector("#chart-tiers .hoverlayer .hovertext")
    assert "dist-q" in page.text_content("#chart-tiers .hoverlayer")  # an SVG group: its text, not innerText
    assert not [url for url in failed if not url.startswith(page.base)]  # nothing fetched from elsewhere
    shot(page, "dashboard_charts")
    cache.delete(SNAPSHOT_KEY)
