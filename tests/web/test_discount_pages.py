"""Discount pages: the rules with their usage, and quoting an order in the back office."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from fanli.discounts.models import DiscountUsage
from fanli.discounts.services import discount_rule_apply
from tests.discounts.test_services import LADDER, ONCE

pytestmark = pytest.mark.django_db
EVERY_STAFF = ["administrator", "channel_manager", "finance", "customer_service", "auditor"]


@pytest.fixture
def rules(world):
    discount_rule_apply(text=LADDER, actor=None)
    discount_rule_apply(text=ONCE, actor=None)


def test_a_quote_shows_each_line_its_discounts_and_the_rules_that_did_not_apply(client, world, rules):
    client.force_login(world["users"]["customer_service"])
    page = client.get("/office/discounts/quote/", {"customer": "C001", "date": "2026-11-20", "sku": ["TEA-1", "RICE-1"],
                                                   "quantity": ["2", "1"], "unit_price": ["", "50.00"]})
    html = page.content.decode()
    assert page.status_code == 200
    # C001 has no grade: the ladder gives nothing; first-order gives 3 % on each line
    assert 'id="quote-discount">¥8.70<' in html and 'id="quote-net">¥281.30<' in html
    assert "等级 - 在此等级阶梯中没有折扣" in html and "has no discount" not in html  # the page reads in Chinese
    assert DiscountUsage.objects.count() == 0


def test_bad_lines_are_listed_and_what_was_typed_stays(client, world, rules):
    client.force_login(world["users"]["finance"])
    html = client.get("/office/discounts/quote/", {"customer": "C001", "sku": ["GHOST"], "quantity": ["2"],
                                                   "unit_price": [""]}).content.decode()
    assert "<code>lines.0.sku</code> 没有 SKU 为 &#x27;GHOST&#x27; 的商品" in html
    assert 'value="GHOST"' in html and 'id="quote-result"' not in html


@pytest.mark.parametrize("role", EVERY_STAFF)
def test_every_staff_role_sees_rules_and_quotes_and_customers_do_not(client, world, rules, role):
    client.force_login(world["users"][role])
    assert client.get("/office/discounts/").status_code == 200
    assert client.get("/office/discounts/quote/").status_code == 200


def test_portal_users_and_strangers_are_kept_out(client, world, rules):
    assert client.get("/office/discounts/").status_code == 302
    client.force_login(world["users"]["portal"])
    assert client.get("/office/discounts/quote/").status_code == 403


def test_the_rules_page_shows_usage_against_the_budget(client, world, rules):
    client.force_login(world["users"]["finance"])
    row = client.get("/office/discounts/").content.decode().split('data-rule="first-order"', 1)[1].split("</tr>", 1)[0]
    assert "¥0.00" in row and "¥1,000.00" in row


def test_the_discounts_page_lists_alerts_of_the_customers_a_user_may_see(client, world):
    from datetime import timedelta

    from fanli.common.periods import PeriodKind, period_containing
    from fanli.customers.models import Customer
    from tests.builders import credit_note, invoice

    quarter = period_containing(timezone.localdate(), PeriodKind.QUARTER).previous()
    for code in ("C001", "C002"):
        pumped = invoice(Customer.objects.get(code=code), quarter.end - timedelta(days=3), ("TEA-1", "30000"))
        credit_note(Customer.objects.get(code=code), quarter.end + timedelta(days=1), ("TEA-1", "30000"),
                    reverses=pumped)
    client.force_login(world["users"]["finance"])
    rows = client.get("/office/discounts/").content.decode().split('id="discount-alerts"', 1)[1]
    assert rows.count('data-kind="buy_then_return"') == 2
    client.force_login(world["users"]["channel_manager"])
    mine = client.get("/office/discounts/").content.decode().split('id="discount-alerts"', 1)[1]
    assert mine.count('data-kind="buy_then_return"') == 1 and "/office/customers/C001/" in mine


def test_a_coupon_on_the_quote_page_comes_off_the_net_and_a_bad_one_says_why(client, world, rules):
    from fanli.loyalty.services import member_enrol, points_earn, points_redeem, programme_apply
    from tests.builders import invoice
    from tests.loyalty.test_points import PROGRAMME

    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    points_earn(programme_code="club", invoice_number=invoice(world["acme_statement"].customer, date(2026, 2, 1),
                                                              ("TEA-1", "10000")).number)
    code = points_redeem(programme_code="club", customer_code="C001", points=500, reference="C-1",
                         day=date(2026, 2, 2), actor=None, form="coupon").coupon_code  # usable until 3 May
    client.force_login(world["users"]["finance"])
    page = client.get(f"/office/discounts/quote/?customer=C001&date=2026-03-01&coupon={code}&sku=COLA-1"
                      "&quantity=4&unit_price=").content.decode()
    assert 'id="quote-coupon">−¥5.00<' in page
    refused = client.get("/office/discounts/quote/?customer=C001&date=2026-03-01&coupon=NOPE&sku=COLA-1&quantity=4"
                         "&unit_price=")
    assert "没有优惠券 &#x27;NOPE&#x27;" in refused.content.decode()
