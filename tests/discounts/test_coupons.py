"""Coupons bought with points, taken off quotes and used by exactly one recorded invoice."""

from __future__ import annotations

from datetime import date

import pytest

from fanli.common.exceptions import ValidationFailed
from fanli.discounts.models import DiscountUsage
from fanli.discounts.selectors import LineRequest, quote_prepare, quote_to_json
from fanli.discounts.services import invoice_discounts_record
from fanli.loyalty.models import Redemption
from fanli.loyalty.services import member_enrol, points_earn, points_redeem, programme_apply
from tests.builders import catalog, customer, invoice
from tests.loyalty.test_points import PROGRAMME

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 1)
LINES = [LineRequest("TEA-1", "1"), LineRequest("RICE-1", "1")]  # ¥120.00 + ¥80.00 at list price


@pytest.fixture
def coupon() -> str:
    catalog()
    acme = customer("C001")
    customer("C002")
    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C001", day=date(2026, 1, 5), actor=None)
    points_earn(programme_code="club", invoice_number=invoice(acme, date(2026, 2, 1), ("TEA-1", "10000")).number)
    bought = points_redeem(programme_code="club", customer_code="C001", points=1_000, reference="C-1",
                           day=date(2026, 2, 2), actor=None, form="coupon")  # worth ¥10.00, until 3 May
    return bought.coupon_code


def test_a_coupon_comes_off_the_order_split_over_the_lines_by_what_is_left(coupon):
    result = quote_prepare(actor=None, customer_code="C001", day=DAY, lines=LINES, coupon=coupon.lower())
    # ¥10.00 over nets of 120 and 80: 6.00 and 4.00
    assert [(line.sku, [(a.rule, a.amount_minor) for a in line.applied]) for line in result.lines] == [
        ("TEA-1", [(f"coupon:{coupon}", 600)]), ("RICE-1", [(f"coupon:{coupon}", 400)])]
    assert (result.gross_minor, result.net_minor) == (20_000, 19_000)
    assert quote_to_json(result)["coupon"] == {"code": coupon, "value_minor": 1_000, "used_minor": 1_000}
    assert result.by_rule() == {}  # a coupon is not a discount rule's usage
    small = quote_prepare(actor=None, customer_code="C001", day=DAY, lines=[LineRequest("COLA-1", "1")], coupon=coupon)
    assert (small.net_minor, small.coupon_used_minor) == (0, 500)  # a ¥5.00 order: never below zero
    assert small.lines[0].applied[0].reason == f"coupon {coupon} worth ¥10.00; ¥5.00 of it used: the order's net is smaller"


def test_a_coupon_pays_towards_one_invoice_only_and_never_for_someone_else(coupon):
    for who, day, message in (("C002", DAY, f"coupon {coupon} belongs to another customer"),
                              ("C001", date(2026, 5, 4), f"coupon {coupon} expired on 2026-05-03"),
                              ("C001", DAY, "no coupon 'NOPE'")):
        with pytest.raises(ValidationFailed) as refused:
            quote_prepare(actor=None, customer_code=who, day=day, lines=LINES, coupon="NOPE" if "NOPE" in message else coupon)
        assert refused.value.details["errors"] == [{"path": "coupon", "message": message}]
    recorded = invoice_discounts_record(invoice_number="INV-9", customer_code="C001", day=DAY, lines=LINES,
                                        actor=None, coupon=coupon)
    assert recorded.discount_minor == 1_000 and recorded.quote["coupon"]["used_minor"] == 1_000
    used = Redemption.objects.get(coupon_code=coupon)
    assert (used.coupon_used_invoice, used.coupon_used_on) == ("INV-9", DAY)
    assert not DiscountUsage.objects.exists()
    again = invoice_discounts_record(invoice_number="INV-9", customer_code="C001", day=DAY, lines=LINES,
                                     actor=None, coupon=coupon)
    assert again.pk == recorded.pk  # the same invoice again: the first record, not a second use
    with pytest.raises(ValidationFailed) as refused:
        invoice_discounts_record(invoice_number="INV-10", customer_code="C001", day=DAY, lines=LINES, actor=None,
                                 coupon=coupon)
    assert refused.value.message == f"coupon {coupon} was used on invoice INV-9 on 2026-03-01"
