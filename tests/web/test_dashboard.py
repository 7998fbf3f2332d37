"""The dashboard: figures scoped to the user, and chart data computed exactly from the data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache

from fanli.customers.models import Customer
from fanli.web.dashboard import SNAPSHOT_KEY, charts, snapshot_compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(world):
    data = snapshot_compute(date(2026, 3, 31))
    cache.set(SNAPSHOT_KEY, data, None)
    yield data
    cache.delete(SNAPSHOT_KEY)


def test_the_snapshot_holds_sales_and_rebates_by_month_and_each_position(march):
    acme, other = Customer.objects.get(code="C001"), Customer.objects.get(code="C002")
    assert march["months"][0] == "2025-04" and march["months"][-1] == "2026-03"
    assert march["sales"] == {acme.pk: {"2026-01": 15_200_000}, other.pk: {"2026-02": 9_000_000}}
    assert march["rebates"] == {}  # the Q1 settlement is dated 2 April, after this snapshot's months
    positions = {p["customer"]: (p["policy"], p["tier"], p["tiers"], p["gap"], p["earned_minor"])
                 for p in march["positions"]}
    assert positions == {acme.pk: ("dist-q", 2, 3, "148000.00", 304_000), other.pk: ("dist-q", 1, 3, "10000.00", 90_000)}


def test_charts_add_up_only_the_customers_a_user_may_see(march):
    acme = Customer.objects.get(code="C001")
    everyone = charts(march, None)
    assert everyone["trend"]["sales"][-3:] == [str(Decimal("152000")), str(Decimal("90000")), "0"]
    assert everyone["tiers"] == {"dist-q": {"1": 1, "2": 1}}
    assert [(c["code"], c["gap"]) for c in everyone["closest"]] == [("C002", "10000.00"), ("C001", "148000.00")]
    mine = charts(march, {acme.pk})
    assert mine["tiers"] == {"dist-q": {"2": 1}} and [c["code"] for c in mine["closest"]] == ["C001"]
    assert mine["trend"]["sales"][-3:] == ["152000", "0", "0"]


def test_a_sales_rep_sees_only_their_customers_on_the_dashboard(client, world, march):
    client.force_login(world["users"]["channel_manager"])
    page = client.get("/office/").content.decode()
    closest = page.split('id="closest"', 1)[1].split("</table>", 1)[0]
    assert "/office/customers/C001/" in closest and "C002" not in closest
    assert "¥148,000.00" in closest
    tiles = page.split('class="tiles"', 1)[1].split("</div>\n", 1)[0]
    assert "¥3,040.00" in tiles and "¥3,940.00" not in tiles  # one draft statement: C001's only
    client.force_login(world["users"]["finance"])
    everyone = client.get("/office/").content.decode()
    assert "¥3,940.00" in everyone and "/office/customers/C002/" in everyone.split('id="closest"', 1)[1]


def test_without_a_snapshot_the_page_says_it_is_computing_and_polls(client, world, settings):
    settings.FANLI_JOBS_INLINE = False
    cache.delete(SNAPSHOT_KEY)
    cache.set("fanli:dashboard:refreshing", True, 60)  # a refresh is under way elsewhere
    client.force_login(world["users"]["auditor"])
    page = client.get("/office/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "正在计算图表" in page
    cache.delete("fanli:dashboard:refreshing")


def test_the_chart_script_comes_from_our_own_static_files(client, world, march):
    client.force_login(world["users"]["auditor"])
    page = client.get("/office/").content.decode()
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in page
    assert "cdn" not in page.lower()
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/plotly.min.js").endswith("plotly.min.js")
