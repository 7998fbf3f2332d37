"""Importing products with their categories and brands."""

from __future__ import annotations

import pytest

from fanli.catalog.models import Brand, Category, Product
from fanli.imports.services import import_file
from tests.sales.helpers import csv_bytes, row_counts, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["sku", "name", "category_code", "category_name", "parent_category_code", "brand_code", "brand_name",
          "unit", "list_price"]
ROWS = [
    ["DRINKS", "placeholder", "DRINKS", "Drinks", "", "", "", "", ""],
    ["T-500", "Green tea 500ml", "TEA", "Tea", "DRINKS", "LEAF", "Leaf Co", "bottle", "4.50"],
    ["T-1000", "Green tea 1L", "TEA", "", "", "LEAF", "", "bottle", "7.90"],
]


def _import(content: bytes, filename: str = "products.csv", partial: bool = False):
    return import_file(kind="products", content=content, filename=filename, actor=None, partial=partial)


def test_products_categories_and_brands_load_together(db):
    batch = _import(csv_bytes(HEADER, ROWS))

    assert (batch.status, batch.rows_created, batch.errors) == ("done", 3, [])
    assert list(Category.objects.values_list("code", "name", "parent__code")) == [
        ("DRINKS", "Drinks", None), ("TEA", "Tea", "DRINKS"),
    ]
    assert list(Brand.objects.values_list("code", "name")) == [("LEAF", "Leaf Co")]
    assert list(Product.objects.filter(sku__startswith="T-").values_list(
        "sku", "category__code", "brand__code", "unit", "list_price_minor",
    )) == [("T-1000", "TEA", "LEAF", "bottle", 790), ("T-500", "TEA", "LEAF", "bottle", 450)]


def test_reimporting_products_from_xlsx_changes_nothing(db):
    content = xlsx_bytes(HEADER, ROWS)
    _import(content, "products.xlsx")
    before = row_counts()
    again = _import(content, "products.xlsx")

    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    assert row_counts() == before


def test_a_new_price_updates_the_product(db):
    _import(csv_bytes(HEADER, ROWS))
    rows = [list(row) for row in ROWS]
    rows[2][8] = "8.00"
    batch = _import(csv_bytes(HEADER, rows))

    assert (batch.rows_updated, batch.rows_unchanged) == (1, 2)
    assert Product.objects.get(sku="T-1000").list_price_minor == 800


@pytest.mark.parametrize(
    ("index", "value", "column", "reason"),
    [
        (2, "SNACKS", "category_code", "unknown category 'SNACKS' (give category_name to create it)"),
        (4, "NOWHERE", "parent_category_code", "unknown parent category 'NOWHERE'"),
        (5, "NEWBRAND", "brand_code", "unknown brand 'NEWBRAND' (give brand_name to create it)"),
        (8, "-1", "list_price", "list price must not be negative"),
        (8, "1.234", "list_price", "1.234 has more than 2 decimal places"),
    ],
)
def test_a_bad_product_row_refuses_the_file(db, index, value, column, reason):
    rows = [list(row) for row in ROWS]
    rows[1][index] = value
    if index == 2:
        rows[1][3] = ""
    if index == 5:
        rows[1][6] = ""
    batch = _import(csv_bytes(HEADER, rows))

    assert batch.status == "failed"
    assert {"line": 3, "column": column, "reason": reason} in batch.errors
    assert row_counts()["Product"] == 0
    assert row_counts()["Category"] == 0


def test_two_rows_naming_one_category_differently_are_refused(db):
    rows = [list(row) for row in ROWS]
    rows[2][3] = "Teas"
    batch = _import(csv_bytes(HEADER, rows))

    assert batch.errors == [{"line": 4, "column": "category_name", "reason": "category TEA is named 'Tea' on line 3"}]


def test_partial_mode_loads_the_good_products(db):
    rows = [list(row) for row in ROWS]
    rows[2][8] = "abc"
    batch = _import(csv_bytes(HEADER, rows), partial=True)

    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("done", 2, 1)
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["DRINKS", "T-500"]
