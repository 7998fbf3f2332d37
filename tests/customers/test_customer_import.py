"""Importing grades and customers: upsert by code, parents, grades, errors."""

from __future__ import annotations

from datetime import date

import pytest

from fanli.customers.models import Customer, Grade
from fanli.imports.services import import_file
from tests.sales.helpers import csv_bytes, row_counts, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = [
    "code", "name", "kind", "grade", "size_class", "start_date", "region", "industry", "parent_code",
    "credit_limit", "payment_terms_days", "tags", "email_opt_in", "sms_opt_in", "status",
]
ROWS = [
    ["G100", "Acme Group", "distributor", "gold", "large", "2019-03-01", "East", "Food", "", "500000.00", "60",
     "key account; north", "yes", "no", "active"],
    ["B101", "Acme Shanghai", "joint-venture", "", "small", "2021-07-15", "East", "Food", "G100", "0", "30", "",
     "", "", ""],
]


def _import(kind: str, content: bytes, filename: str = "file.csv", partial: bool = False):
    return import_file(kind=kind, content=content, filename=filename, actor=None, partial=partial)


@pytest.fixture
def grades():
    _import("grades", csv_bytes(["code", "name", "rank"], [["normal", "Normal", "1"], ["gold", "Gold", "3"]]))


def test_grades_load_from_a_csv_and_reloading_them_changes_nothing(db):
    content = csv_bytes(["code", "name", "rank"], [["normal", "Normal", "1"], ["vip", "VIP", "2"]])
    first = _import("grades", content)
    again = _import("grades", content)

    assert (first.rows_created, again.rows_created, again.rows_unchanged) == (2, 0, 2)
    assert list(Grade.objects.values_list("code", "name", "rank")) == [("normal", "Normal", 1), ("vip", "VIP", 2)]


def test_customers_load_with_every_field_and_a_parent_from_the_same_file(grades):
    batch = _import("customers", csv_bytes(HEADER, ROWS))

    assert (batch.status, batch.rows_created, batch.errors) == ("done", 2, [])
    group = Customer.objects.get(code="G100")
    assert (group.name, group.kind, group.grade.code, group.size_class, group.start_date) == (
        "Acme Group", "distributor", "gold", "large", date(2019, 3, 1),
    )
    assert (group.credit_limit_minor, group.payment_terms_days, group.tags) == (50000000, 60, ["key account", "north"])
    assert (group.email_opt_in, group.sms_opt_in, group.status, group.parent_id) == (True, False, "active", None)
    branch = Customer.objects.get(code="B101")
    assert (branch.kind, branch.grade_id, branch.parent.code, branch.status) == ("joint_venture", None, "G100", "active")


def test_customers_load_from_xlsx_and_reimporting_is_unchanged(grades):
    content = xlsx_bytes(HEADER, ROWS)
    first = _import("customers", content, "customers.xlsx")
    before = row_counts()
    again = _import("customers", content, "customers.xlsx")

    assert (first.rows_created, again.rows_created, again.rows_updated, again.rows_unchanged) == (2, 0, 0, 2)
    assert row_counts() == before


def test_a_changed_customer_row_updates_only_that_customer(grades):
    _import("customers", csv_bytes(HEADER, ROWS))
    rows = [list(row) for row in ROWS]
    rows[1][1] = "Acme Shanghai Branch"
    rows[1][8] = ""

    batch = _import("customers", csv_bytes(HEADER, rows))

    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (0, 1, 1)
    branch = Customer.objects.get(code="B101")
    assert (branch.name, branch.parent_id) == ("Acme Shanghai Branch", None)


def test_an_unknown_grade_is_an_error_and_is_not_created(grades):
    rows = [list(ROWS[0])]
    rows[0][3] = "platinum"
    batch = _import("customers", csv_bytes(HEADER, rows))

    assert batch.errors == [{
        "line": 2, "column": "grade", "reason": "unknown grade 'platinum' (load grades first: fanli import grades FILE)",
    }]
    assert (Customer.objects.count(), Grade.objects.count()) == (0, 2)


@pytest.mark.parametrize(
    ("index", "value", "column", "reason"),
    [
        (8, "NOBODY", "parent_code", "unknown parent customer 'NOBODY'"),
        (8, "B101", "parent_code", "a customer cannot be its own parent"),
        (2, "wholesaler", "kind", "'wholesaler' is not one of distributor, dealer, retailer, joint_venture, member"),
        (5, "15/07/2021", "start_date", "'15/07/2021' is not a date (expected YYYY-MM-DD)"),
        (9, "-1", "credit_limit", "credit limit must not be negative"),
        (9, "10.001", "credit_limit", "10.001 has more than 2 decimal places"),
        (12, "maybe", "email_opt_in", "'maybe' is not yes/no"),
    ],
)
def test_a_bad_customer_cell_refuses_the_file(grades, index, value, column, reason):
    rows = [list(row) for row in ROWS]
    rows[1][index] = value
    batch = _import("customers", csv_bytes(HEADER, rows))

    assert batch.status == "failed"
    assert batch.errors == [{"line": 3, "column": column, "reason": reason}]
    assert Customer.objects.count() == 0


def test_parents_that_loop_are_refused(grades):
    rows = [list(row) for row in ROWS]
    rows[0][8] = "B101"
    batch = _import("customers", csv_bytes(HEADER, rows))

    assert [error["reason"] for error in batch.errors] == [
        "parent 'B101' makes a loop of parents", "parent 'G100' makes a loop of parents",
    ]


def test_a_duplicate_customer_code_in_one_file_is_refused(grades):
    batch = _import("customers", csv_bytes(HEADER, [ROWS[0], ROWS[0]]))

    assert batch.errors == [{"line": 3, "column": "code", "reason": "duplicate customer 'G100', already on line 2"}]


def test_only_the_columns_a_file_has_are_updated(grades):
    _import("customers", csv_bytes(HEADER, ROWS))
    batch = _import("customers", csv_bytes(["code", "name", "kind", "start_date"], [
        ["G100", "Acme Group", "distributor", "2019-03-01"],
    ]))

    assert (batch.rows_unchanged, batch.rows_updated) == (1, 0)
    assert Customer.objects.get(code="G100").credit_limit_minor == 50000000


def test_in_partial_mode_a_branch_of_a_rejected_new_parent_is_rejected_too(grades):
    rows = [list(row) for row in ROWS]
    rows[0][8] = "NOBODY"
    batch = _import("customers", csv_bytes(HEADER, rows), partial=True)

    assert batch.status == "failed"
    assert batch.errors == [
        {"line": 2, "column": "parent_code", "reason": "unknown parent customer 'NOBODY'"},
        {"line": 3, "column": "parent_code", "reason": "parent 'G100' is rejected in this file"},
    ]
    assert Customer.objects.count() == 0


def test_relationship_levels_load_with_customers_and_a_typo_is_refused(grades):
    header = ["code", "name", "kind", "start_date", "relationship"]
    batch = _import("customers", csv_bytes(header, [["S1", "Store", "retailer", "2020-01-01", "Strategic"],
                                                    ["S2", "Shop", "retailer", "2020-01-01", "friend"]]))
    assert batch.status == "failed" and not Customer.objects.exists()
    assert batch.errors[0]["line"] == 3 and batch.errors[0]["column"] == "relationship"
    _import("customers", csv_bytes(header, [["S1", "Store", "retailer", "2020-01-01", "Strategic"]]))
    assert Customer.objects.get().relationship == "strategic"


def test_sales_targets_upsert_by_customer_and_period_and_report_every_bad_row(grades):
    from fanli.customers.models import SalesTarget

    _import("customers", csv_bytes(HEADER, ROWS))
    header = ["customer_code", "start", "end", "amount"]
    bad = _import("targets", csv_bytes(header, [
        ["G100", "2026-01-01", "2026-12-31", "1,200,000.00"],
        ["NOPE", "2026-01-01", "2026-12-31", "10"],
        ["B101", "2026-07-01", "2026-06-30", "-5"],
        ["G100", "2026-01-01", "2026-12-31", "5"],
    ]))
    assert bad.status == "failed" and not SalesTarget.objects.exists()
    assert [(e["line"], e["column"], e["reason"]) for e in bad.errors] == [
        (3, "customer_code", "unknown customer 'NOPE'"),
        (4, "amount", "a target must be more than zero"),
        (4, "end", "ends on 2026-06-30, before it starts on 2026-07-01"),
        (5, None, "the same customer and period as line 2"),
    ]
    first = _import("targets", csv_bytes(header, [["G100", "2026-01-01", "2026-12-31", "1,200,000.00"]]))
    again = _import("targets", csv_bytes(header, [["G100", "2026-01-01", "2026-12-31", "1,300,000"]]))
    assert (first.rows_created, again.rows_created, again.rows_updated) == (1, 0, 1)
    assert list(SalesTarget.objects.values_list("amount_minor", flat=True)) == [130_000_000]


def test_tax_id_and_addresses_load_and_a_mistyped_tax_id_is_refused_with_its_reason(grades):
    header = ["code", "name", "kind", "start_date", "tax_id", "registered_address", "billing_address",
              "shipping_address"]
    good = ["T1", "Huawei", "distributor", "2020-01-01", "91440300 708461136t", "深圳市龙岗区坂田华为基地",
            "深圳市龙岗区坂田华为基地 财务部", "东莞市松山湖园区 3 号仓"]
    batch = _import("customers", csv_bytes(header, [good]))

    assert (batch.status, batch.errors) == ("done", [])
    stored = Customer.objects.get(code="T1")
    assert (stored.tax_id, stored.registered_address, stored.billing_address, stored.shipping_address) == (
        "91440300708461136T", "深圳市龙岗区坂田华为基地", "深圳市龙岗区坂田华为基地 财务部", "东莞市松山湖园区 3 号仓")

    bad = _import("customers", csv_bytes(header, [
        ["T2", "Typo", "distributor", "2020-01-01", "91440300708461136X", "", "", ""],
        ["T3", "Short", "distributor", "2020-01-01", "9144030070846113", "", "", ""],
        ["T4", "Letters", "distributor", "2020-01-01", "91440300708461136O", "", "", ""],
        ["T5", "Long address", "distributor", "2020-01-01", "", "路" * 301, "", ""],
    ]))
    assert bad.status == "failed" and not Customer.objects.filter(code__in=["T2", "T3", "T4", "T5"]).exists()
    assert [(e["line"], e["column"], e["reason"]) for e in bad.errors] == [
        (2, "tax_id", "the check character is 'X' but the first 17 characters give 'T': a typing error?"),
        (3, "tax_id", "a unified social credit code has 18 characters, not 16"),
        (4, "tax_id", "a unified social credit code has no 'O'"),
        (5, "registered_address", "longer than 300 characters"),
    ]
