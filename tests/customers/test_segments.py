"""Segmentation with answers worked out by hand on five customers."""

from __future__ import annotations

from datetime import date

from fanli.customers.segments import CustomerFigures, abc_classes, lifecycle, segments

TODAY = date(2026, 11, 24)
FIVE = [
    CustomerFigures(1, 50_000, 10, date(2026, 11, 20), date(2024, 1, 1), 30_000, 20_000),  # growth: 300 >= 1.2 x 200
    CustomerFigures(2, 30_000, 6, date(2026, 11, 1), date(2025, 1, 1), 15_000, 15_000),   # maturity
    CustomerFigures(3, 15_000, 3, date(2026, 8, 1), date(2025, 3, 1), 5_000, 10_000),     # decline: 50 <= 0.8 x 100
    CustomerFigures(4, 5_000, 1, date(2026, 10, 1), date(2026, 10, 1), 5_000, 0),         # acquisition: new in 54 days
    CustomerFigures(5, 0, 0, date(2026, 1, 1), date(2024, 5, 1), 0, 0),                   # lost: 327 days without
]


def test_abc_puts_the_customer_crossing_80_percent_in_a_and_stops_b_at_95():
    # running shares before each: 0 % (A), 50 % (A), 80 % (B), 95 % (C); no sales: C
    assert abc_classes(FIVE) == {1: "A", 2: "A", 3: "B", 4: "C", 5: "C"}


def test_rfm_scores_spread_from_1_to_5_and_customers_without_sales_score_0():
    found = {s.customer_id: (s.abc, s.rfm, s.lifecycle) for s in segments(FIVE, today=TODAY)}
    # recency in days 4, 23, 115, 54 -> positions 3, 2, 0, 1 of 0..3 -> scores 5, 3, 1, 2
    assert found == {1: ("A", "555", "growth"), 2: ("A", "333", "maturity"), 3: ("B", "122", "decline"),
                     4: ("C", "211", "acquisition"), 5: ("C", "000", "lost")}


def test_lifecycle_edges():
    def figures(last: date, first: date, recent: int, before: int) -> CustomerFigures:
        return CustomerFigures(9, 1, 1, last, first, recent, before)

    assert lifecycle(figures(date(2026, 5, 29), date(2020, 1, 1), 120, 100), today=TODAY) == "growth"  # 179 days, 120 %
    assert lifecycle(figures(date(2026, 5, 29), date(2020, 1, 1), 80, 100), today=TODAY) == "decline"  # exactly 80 %
    assert lifecycle(figures(date(2026, 5, 28), date(2020, 1, 1), 120, 100), today=TODAY) == "lost"  # 180 days
    assert lifecycle(figures(date(2026, 11, 1), date(2026, 5, 29), 90, 100), today=TODAY) == "acquisition"
    assert lifecycle(figures(date(2026, 11, 1), date(2026, 5, 28), 81, 100), today=TODAY) == "maturity"


def test_segments_are_computed_from_the_sales_documents_stored_and_filter_the_customer_list(client, db):
    from io import StringIO

    from django.core.management import call_command

    from fanli.accounts.services import staff_user_create
    from fanli.customers.models import CustomerSegment
    from fanli.customers.selectors import segment_figures
    from tests.builders import catalog, credit_note, customer, invoice

    catalog()
    big, small, gone = customer("C001"), customer("C002"), customer("C003")
    first = invoice(big, date(2026, 3, 1), ("TEA-1", "8000"))
    invoice(big, date(2026, 10, 1), ("TEA-1", "2000"))
    credit_note(big, date(2026, 10, 5), ("TEA-1", "1000"), reverses=first)  # counts in March, its basis date
    invoice(small, date(2026, 9, 1), ("TEA-1", "1000"))
    invoice(gone, date(2025, 6, 1), ("TEA-1", "5000"))
    figures = {f.customer_id: f for f in segment_figures(TODAY)}
    assert figures[big.pk] == CustomerFigures(big.pk, 900_000, 2, date(2026, 10, 1), date(2026, 3, 1), 200_000, 700_000)
    assert figures[gone.pk] == CustomerFigures(gone.pk, 0, 0, date(2025, 6, 1), date(2025, 6, 1), 0, 0)
    out = StringIO()
    call_command("segments", "--date", "2026-11-24", stdout=out)
    assert out.getvalue() == "3 customers on 2026-11-24: A 1, B 1, C 1; acquisition 1, decline 1, lost 1\n"
    assert {s.customer.code: (s.abc, s.rfm, s.lifecycle) for s in CustomerSegment.objects.select_related("customer")} == {
        "C001": ("A", "555", "decline"), "C002": ("B", "111", "acquisition"), "C003": ("C", "000", "lost")}
    client.force_login(staff_user_create(username="fin", password="pw-123456789", role="finance", actor=None))
    page = client.get("/office/customers/", {"lifecycle": "lost"}).content.decode()
    assert "/office/customers/C003/" in page and "/office/customers/C001/" not in page
    assert "A · RFM 555" in client.get("/office/customers/", {"abc": "A"}).content.decode()
