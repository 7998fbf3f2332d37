"""The customer page and the portal: sales by month and the payout history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fanli.customers.models import Customer
from fanli.rebates.payouts import payout_record
from fanli.rebates.services import statement_approve
from fanli.sales.selectors import customer_sales_by_month
from tests.builders import credit_note

pytestmark = pytest.mark.django_db


def test_sales_by_month_split_invoices_from_returns_and_list_empty_months(world):
    acme = Customer.objects.get(code="C001")
    credit_note(acme, date(2026, 2, 3), ("TEA-1", "500"))
    assert customer_sales_by_month([acme.pk], until=date(2026, 3, 15), months=4) == [
        {"month": "2025-12", "invoiced_minor": 0, "returned_minor": 0, "net_minor": 0},
        {"month": "2026-01", "invoiced_minor": 15_200_000, "returned_minor": 0, "net_minor": 15_200_000},
        {"month": "2026-02", "invoiced_minor": 0, "returned_minor": -50_000, "net_minor": -50_000},
        {"month": "2026-03", "invoiced_minor": 0, "returned_minor": 0, "net_minor": 0},
    ]
    assert customer_sales_by_month([acme.pk], until=date(2026, 1, 9), months=1) == [
        {"month": "2026-01", "invoiced_minor": 0, "returned_minor": 0, "net_minor": 0}]  # the 10th is not counted yet


def test_the_customer_page_shows_sales_by_month_and_payouts(client, world):
    statement = world["acme_statement"]
    statement_approve(statement_id=statement.pk, actor=None, on=statement.period_end + timedelta(days=1))
    payout_record(statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 20), reference="BANK-7")
    client.force_login(world["users"]["finance"])
    page = client.get("/office/customers/C001/?date=2026-03-31").content.decode()
    month = page.split('data-month="2026-01"', 1)[1].split("</tr>", 1)[0]
    assert "¥152,000.00" in month
    payouts = page.split('class="rows payouts"', 1)[1].split("</table>", 1)[0]
    assert f"#{statement.pk}</a> dist-q 2026-Q1" in payouts and "¥3,040.00" in payouts and "BANK-7" in payouts
    other = client.get("/office/customers/C002/").content.decode()
    assert "还没有兑付记录。" in other and "BANK-7" not in other


def test_the_portal_lists_only_the_companys_own_payouts(client, world):
    statement = world["acme_statement"]
    statement_approve(statement_id=statement.pk, actor=None, on=statement.period_end + timedelta(days=1))
    payout_record(statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 20), reference="BANK-7")
    client.force_login(world["users"]["portal"])
    mine = client.get("/portal/").content.decode()
    assert "BANK-7" not in mine.split("<main", 1)[0] and mine.count('class="rows payouts"') == 1
    payouts = mine.split('class="rows payouts"', 1)[1].split("</table>", 1)[0]
    assert f'href="/portal/statements/{statement.pk}/"' in payouts and "BANK-7" in payouts
    client.force_login(world["users"]["portal_other"])
    theirs = client.get("/portal/").content.decode()
    assert "BANK-7" not in theirs and "还没有兑付记录。" in theirs


def test_the_customer_list_filters_by_kind_grade_region_and_status(client, world):
    from tests.builders import customer

    customer("C003", kind="dealer", grade="vip", region="华南")
    client.force_login(world["users"]["finance"])

    def codes(**filters: str) -> list[str]:
        page = client.get("/office/customers/", filters).content.decode()
        return [code for code in ("C001", "C002", "C003") if f"/office/customers/{code}/" in page]

    assert codes() == ["C001", "C002", "C003"]
    assert codes(grade="vip") == ["C003"]
    assert codes(region="华东") == ["C001", "C002"]
    assert codes(kind="distributor", region="华南") == []
    assert codes(status="active", q="C00") == ["C001", "C002", "C003"]
    client.force_login(world["users"]["channel_manager"])
    assert codes() == ["C001"]  # a sales rep's filters stay within their own customers


def test_the_portal_and_the_customer_page_show_points_tier_progress_and_expiring_points(client, world):
    from fanli.loyalty.services import member_enrol, programme_apply
    from tests.loyalty.test_points import PROGRAMME

    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code="C001", day=date(2030, 1, 1), actor=None)
    client.force_login(world["users"]["portal"])
    page = client.get("/portal/?date=2030-12-15").content.decode()
    card = page.split('data-programme="club"', 1)[1].split("</section>", 1)[0]
    assert 'id="points-club">100<' in card  # the sign-up bonus, a year old
    assert "铜卡" in card and "再消费 ¥5,000.00 即可升级为银卡" in card
    assert "100 积分，最早于 2031年1月1日 过期" in card  # it expires within 30 days
    client.force_login(world["users"]["portal_other"])
    assert 'data-programme="club"' not in client.get("/portal/").content.decode()
    client.force_login(world["users"]["customer_service"])
    assert 'id="points-club">100<' in client.get("/office/customers/C001/?date=2030-12-15").content.decode()


def test_loyalty_pages_show_liability_members_and_a_members_statement(client, world):
    from fanli.loyalty.services import member_enrol, programme_apply
    from tests.loyalty.test_points import PROGRAMME

    programme_apply(text=PROGRAMME, actor=None)
    for code in ("C001", "C002"):
        member_enrol(programme_code="club", customer_code=code, day=date(2026, 1, 5), actor=None, email_opt_in=True)
    client.force_login(world["users"]["finance"])
    overview = client.get("/office/loyalty/").content.decode()
    assert "会员俱乐部" in overview and "(2)" in overview
    listing = client.get("/office/loyalty/club/").content.decode()
    assert listing.count("/office/loyalty/club/C00") == 2
    statement = client.get("/office/loyalty/club/C001/").content.decode()
    assert 'id="member-balance">150<' in statement and "bonus:email_opt_in" in statement
    client.force_login(world["users"]["channel_manager"])
    assert client.get("/office/loyalty/club/").content.decode().count("/office/loyalty/club/C00") == 1
    assert client.get("/office/loyalty/club/C002/").status_code == 404


def test_the_customer_list_shows_this_quarters_sales_and_the_balances_beside_each_name(client, world):
    from django.utils import timezone

    from fanli.common.periods import PeriodKind, period_containing
    from tests.builders import invoice

    acme = world["acme_statement"].customer
    quarter = period_containing(timezone.localdate(), PeriodKind.QUARTER)
    invoice(acme, quarter.start, ("TEA-1", "1234.56"))
    client.force_login(world["users"]["finance"])
    page = client.get("/office/customers/").content.decode()
    row = page.split(f'href="/office/customers/{acme.code}/"')[1].split("</tr>")[0]
    cells = [cell.split("</td>")[0] for cell in row.split('<td class="num">')[1:]]
    assert cells == ["¥1,234.56", "¥0.00", "¥3,040.00"]  # sales this quarter, rebate credit, settled not yet paid
    assert f"{quarter.key} 销售额" in page
