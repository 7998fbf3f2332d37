"""Every write of a fact a rebate computation reads raises its revision counter, in the same
transaction; writes of anything else raise none. Settlement relies on this to skip periods
whose inputs did not change (``fanli.common.revisions``)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from fanli.common.models import Revision
from fanli.common.revisions import months_between, revisions_bump, revisions_read
from fanli.imports.services import import_file, import_preview
from fanli.sales.importing import DocumentInput, LineInput, sales_document_submit
from tests.sales.helpers import SALES_HEADER, csv_bytes, make_master_data, sales_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def master_data(db) -> None:
    make_master_data()


def counters() -> dict[str, int]:
    return dict(Revision.objects.values_list("key", "value"))


def import_sales(actor, rows, **options):
    return import_file(kind="sales", content=csv_bytes(SALES_HEADER, rows), filename="sales.csv", actor=actor,
                       **options)


def test_a_bump_raises_each_key_once_and_unknown_keys_read_zero():
    revisions_bump(["sales:2026-01", "sales:2026-01", "customer:grade"])
    revisions_bump(["sales:2026-01"])
    assert counters() == {"sales:2026-01": 2, "customer:grade": 1}
    assert revisions_read(["sales:2026-01", "sales:1999-01"]) == {"sales:2026-01": 2, "sales:1999-01": 0}


def test_months_between_spans_year_ends():
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_a_sales_import_raises_each_basis_month_it_touched_once_however_many_lines(master_data, staff_user):
    rows = [sales_row(f"IN-{n}", document_date=f"2025-0{1 + n % 2}-1{n % 9}", line=1) for n in range(40)]
    import_sales(staff_user, rows)
    assert counters() == {"sales:2025-01": 1, "sales:2025-02": 1}


def test_a_return_raises_the_month_of_the_invoice_it_reverses_not_its_own(master_data, staff_user):
    import_sales(staff_user, [sales_row("IN-1", document_date="2025-01-15")])
    import_sales(staff_user, [sales_row("RT-1", kind="return", document_date="2025-04-02", reverses="IN-1",
                                        quantity="1", net_amount="100.00")])
    assert counters() == {"sales:2025-01": 2}


def test_a_new_paid_amount_raises_only_the_payments_counter_and_an_unchanged_file_raises_nothing(master_data,
                                                                                               staff_user):
    import_sales(staff_user, [sales_row("IN-1", document_date="2025-01-15", paid="0")])
    import_sales(staff_user, [sales_row("IN-1", document_date="2025-01-15", paid="0")])
    assert counters() == {"sales:2025-01": 1}
    import_sales(staff_user, [sales_row("IN-1", document_date="2025-01-15", paid="150.00")])
    assert counters() == {"sales:2025-01": 1, "paid:2025-01": 1}


def test_a_refused_import_and_a_preview_raise_nothing(master_data, staff_user):
    import_sales(staff_user, [sales_row("IN-1", sku="NOPE")])
    import_preview(kind="sales", content=csv_bytes(SALES_HEADER, [sales_row("IN-2")]), filename="s.csv",
                   actor=staff_user)
    assert counters() == {}


def test_one_document_through_the_api_service_raises_its_month(master_data, staff_user):
    sales_document_submit(document=DocumentInput(
        number="API-1", kind="invoice", document_date="2025-03-31", customer_code="C001",
        lines=(LineInput(1, "SKU-1", "1", "10.00", "10.00"),)), actor=staff_user)
    assert counters() == {"sales:2025-03": 1}


CUSTOMERS_HEADER = ["code", "name", "kind", "start_date", "grade", "region", "tags", "status", "parent_code"]


def import_customers(actor, rows):
    return import_file(kind="customers", content=csv_bytes(CUSTOMERS_HEADER, rows), filename="c.csv", actor=actor)


def test_a_customer_import_raises_exactly_the_eligibility_facts_it_changed(master_data, staff_user):
    base = ["C001", "Acme Trading", "distributor", "2020-01-01", "gold", "", "", "active", ""]
    import_customers(staff_user, [base, ["C003", "New Co", "dealer", "2024-01-01", "", "", "", "active", "C001"]])
    assert counters() == {}, "a new customer has no sales: it changes no period"
    import_customers(staff_user, [["C001", "Acme Trading Ltd", *base[2:]]])
    assert counters() == {}, "a new name changes no eligibility"
    import_customers(staff_user, [["C001", "Acme", "distributor", "2020-01-01", "", "华南", "vip", "active", ""],
                                  ["C002", "Beta Retail", "retailer", "2022-06-01", "", "", "", "active", "C001"]])
    assert counters() == {"customer:grade": 1, "customer:region": 1, "customer:tags": 1, "customer:parent": 1}


def test_a_product_import_raises_the_catalog_only_when_a_category_or_brand_changes(master_data, staff_user):
    header = ["sku", "name", "category_code", "category_name", "parent_category_code", "brand_code", "brand_name"]

    def products(rows):
        batch = import_file(kind="products", content=csv_bytes(header, rows), filename="p.csv", actor=staff_user)
        assert batch.status == "done", batch.errors

    products([["SKU-1", "Green tea 1l", "BEV", "", "", "", ""], ["SKU-9", "New", "TEA", "Tea", "", "", ""]])
    assert counters() == {}, "a new product and a new category move no product that sales counted"
    products([["SKU-1", "Green tea 1l", "TEA", "", "", "", ""]])
    assert counters() == {"catalog:category": 1}
    products([["SKU-2", "Black tea 500ml", "BEV", "", "", "acme", "Acme"]])
    assert counters() == {"catalog:category": 1, "catalog:brand": 1}
    products([["SKU-9", "New", "TEA", "", "BEV", "acme", "Acme Ltd"]])
    assert counters() == {"catalog:category": 2, "catalog:brand": 2}, "TEA moved under BEV; SKU-9 got a brand"


def test_a_relationship_change_raises_its_fact_and_setting_the_same_level_does_not(master_data, staff_user):
    from fanli.crm.services import customer_relationship_set

    customer_relationship_set(customer_code="C001", relationship="transactional", actor=staff_user)
    assert counters() == {}
    customer_relationship_set(customer_code="C001", relationship="partner", actor=staff_user)
    assert counters() == {"customer:relationship": 1}


def test_recomputing_segments_raises_them_only_when_a_class_or_stage_changed(master_data, staff_user):
    from fanli.customers.services import segments_recompute

    import_sales(staff_user, [sales_row("IN-1", document_date="2025-01-15")])
    segments_recompute(today=date(2025, 2, 1))
    assert counters() == {"sales:2025-01": 1, "customer:abc": 1, "customer:lifecycle": 1}
    segments_recompute(today=date(2025, 2, 1))
    assert counters() == {"sales:2025-01": 1, "customer:abc": 1, "customer:lifecycle": 1}


def test_an_enrolment_raises_its_policy_counter_and_the_same_enrolment_again_does_not(master_data, staff_user):
    from fanli.rebates.models import Policy
    from fanli.rebates.services import enrolment_set

    policy = Policy.objects.create(code="p", name="P")
    enrolment_set(policy_code="p", customer_code="C001", actor=staff_user)
    enrolment_set(policy_code="p", customer_code="C001", actor=staff_user)
    assert counters() == {f"enrolments:{policy.pk}": 1}
    enrolment_set(policy_code="p", customer_code="C001", actor=staff_user, valid_from=date(2025, 1, 1))
    assert counters() == {f"enrolments:{policy.pk}": 2}


# Writes to the tables a rebate computation reads; each module holding one must raise revisions.
_WRITES = re.compile(
    r"rows_insert\((SalesDocument|SalesLine)\b|(SalesDocument|SalesLine|Enrolment|Customer|CustomerSegment|Product"
    r"|Category)\.objects\b[^\n]*\.(create|bulk_create|bulk_update|update_or_create|get_or_create|update|delete)\("
    r"|update_by_key\((Customer|Product)\b"
)


def test_every_module_that_writes_what_settlement_reads_raises_revisions():
    root = Path(__file__).resolve().parents[2]
    missing = []
    for path in sorted((root / "fanli").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        if _WRITES.search(text) and "revisions_bump" not in text:
            missing.append(relative)
    assert missing == []


def test_a_demo_load_raises_every_month_its_sales_cover_once():
    from fanli.demo.services import demo_load

    demo_load(customers=30, lines=600, today=date(2026, 11, 1), activity=False)
    sales = {key: value for key, value in counters().items() if key.startswith("sales:")}
    assert sales == {f"sales:{month}": 1 for month in months_between(date(2024, 11, 1), date(2026, 10, 31))}
