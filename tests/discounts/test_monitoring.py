"""Abuse alerts, each on a small hand-made data set with the exact reason a person reads."""

from __future__ import annotations

from datetime import date

import pytest

from fanli.customers.models import Customer
from fanli.discounts.models import DiscountedInvoice
from fanli.discounts.monitoring import buy_then_return, discount_share, order_splitting
from fanli.discounts.selectors import LineRequest
from fanli.discounts.services import discount_rule_apply, invoice_discounts_record
from tests.builders import catalog, credit_note, customer, invoice

pytestmark = pytest.mark.django_db
BIG_ORDER = """
code: big-order
name: 满千九五折
valid_from: 2026-01-01
discount: {type: percent, percent: 5}
conditions: {min_order_amount: 1000}
"""


def test_several_invoices_just_above_the_minimum_on_one_day_look_like_a_split_order(db):
    catalog()
    for code in ("C001", "C002"):
        customer(code)
    discount_rule_apply(text=BIG_ORDER, actor=None)
    day = date(2026, 6, 1)
    for number in ("S-1", "S-2", "S-3"):  # 9 x 120.00 = 1,080.00 each
        invoice_discounts_record(invoice_number=number, customer_code="C001", day=day,
                                 lines=[LineRequest("TEA-1", "9")], actor=None)
    for number in ("B-1", "B-2"):  # two real big orders: 30 x 120.00 = 3,600.00, far above the minimum
        invoice_discounts_record(invoice_number=number, customer_code="C002", day=day,
                                 lines=[LineRequest("TEA-1", "30")], actor=None)
    alerts = order_splitting(since=date(2026, 5, 1), until=date(2026, 6, 30))
    assert [(a.kind, a.customer, a.day, a.amount_minor) for a in alerts] == [
        ("order_splitting", "C001", day, 324_000)]
    assert alerts[0].reason == ("3 invoices on 2026-06-01, each between ¥1,000.00 and ¥1,200.00 (rule big-order's "
                                "minimum order is ¥1,000.00): together ¥3,240.00, one order cut in pieces?")
    assert order_splitting(since=date(2026, 6, 2), until=date(2026, 6, 30)) == []


def test_buying_in_the_last_days_of_a_quarter_and_returning_just_after_is_flagged(db):
    catalog()
    acme, other, third = customer("C001"), customer("C002"), customer("C003")
    pumped = invoice(acme, date(2026, 3, 25), ("TEA-1", "20000"))
    credit_note(acme, date(2026, 4, 3), ("TEA-1", "20000"), reverses=pumped)
    early = invoice(other, date(2026, 3, 1), ("TEA-1", "20000"))  # bought early in the month: ordinary
    credit_note(other, date(2026, 4, 3), ("TEA-1", "20000"), reverses=early)
    late = invoice(third, date(2026, 3, 28), ("TEA-1", "20000"))  # returned a month later: ordinary
    credit_note(third, date(2026, 5, 1), ("TEA-1", "20000"), reverses=late)
    small = invoice(other, date(2026, 3, 30), ("TEA-1", "500"))  # too small to matter
    credit_note(other, date(2026, 4, 2), ("TEA-1", "500"), reverses=small)
    alerts = buy_then_return(since=date(2026, 1, 1), until=date(2026, 6, 30))
    assert [(a.customer, a.day, a.amount_minor) for a in alerts] == [("C001", date(2026, 3, 31), 2_000_000)]
    assert alerts[0].reason == ("¥20,000.00 bought in the last 10 days of 2026-Q1 and returned within 10 days after "
                                "it: the quarter's volume (tier, rebate) looked larger than it was")


def test_a_discount_share_far_above_peers_of_the_same_grade_is_flagged(db):
    catalog()
    shares = {"C001": 500, "C002": 600, "C003": 400, "C004": 2_000, "V001": 3_000}  # discount per ¥100.00
    for code in shares:
        customer(code, grade="vip" if code.startswith("V") else "normal")
    DiscountedInvoice.objects.bulk_create([
        DiscountedInvoice(number=f"INV-{code}", customer_id=customer_id, invoice_date=date(2026, 6, 1),
                          request_sha256="-", gross_minor=10_000, discount_minor=shares[code], quote={})
        for code, customer_id in Customer.objects.values_list("code", "id")
    ])
    alerts = discount_share(until=date(2026, 6, 30))
    assert [(a.customer, a.amount_minor) for a in alerts] == [("C004", 2_000)]
    assert alerts[0].reason == ("discounts were 20.0% of purchases over the last 90 days; the median of the 4 "
                                "customers of grade normal is 5.5%")  # V001 alone in its grade: no peers to compare



def test_the_command_lists_the_alerts_with_their_reasons(db):
    from io import StringIO

    from django.core.management import call_command

    catalog()
    acme = customer("C001")
    pumped = invoice(acme, date(2026, 9, 28), ("TEA-1", "30000"))
    credit_note(acme, date(2026, 10, 2), ("TEA-1", "30000"), reverses=pumped)
    out = StringIO()
    call_command("discount", "alerts", "--date", "2026-11-20", stdout=out)
    assert out.getvalue().splitlines() == [
        "2026-09-30  buy_then_return  C001       ¥30,000.00 bought in the last 10 days of 2026-Q3 and returned "
        "within 10 days after it: the quarter's volume (tier, rebate) looked larger than it was",
        "1 alert(s)",
    ]
