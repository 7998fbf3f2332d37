"""Building import files in memory for tests."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import openpyxl

SALES_HEADER = [
    "document_number", "kind", "document_date", "customer_code", "currency", "reverses", "due_date",
    "paid_amount", "line_number", "sku", "quantity", "unit_price", "net_amount",
]


def csv_bytes(header: list[str], rows: list[list[Any]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    return ("\ufeff" + text if bom else text).encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sales_row(
    number: str, *, kind: str = "invoice", document_date: str = "2025-01-15", customer: str = "C001",
    currency: str = "CNY", reverses: str = "", due_date: str = "", paid: str = "", line: int = 1,
    sku: str = "SKU-1", quantity: str = "2", unit_price: str = "100.00", net_amount: str = "200.00",
) -> list[str]:
    return [
        number, kind, document_date, customer, currency, reverses, due_date, paid, str(line), sku, quantity,
        unit_price, net_amount,
    ]


def make_master_data() -> None:
    """Two customers (C001, C002), a category and two products (SKU-1, SKU-2)."""
    from fanli.catalog.models import Category, Product
    from fanli.customers.models import Customer, Grade

    gold = Grade.objects.create(code="gold", name="Gold", rank=3)
    Customer.objects.create(code="C001", name="Acme Trading", kind="distributor", grade=gold, start_date=date(2020, 1, 1))
    Customer.objects.create(code="C002", name="Beta Retail", kind="retailer", start_date=date(2022, 6, 1))
    category = Category.objects.create(code="BEV", name="Beverages")
    Product.objects.create(sku="SKU-1", name="Green tea 500ml", category=category, list_price_minor=10000)
    Product.objects.create(sku="SKU-2", name="Black tea 500ml", category=category, list_price_minor=12000)


def row_counts() -> dict[str, int]:
    from fanli.catalog.models import Brand, Category, Product
    from fanli.customers.models import Customer, Grade
    from fanli.sales.models import SalesDocument, SalesLine

    return {
        model.__name__: model.objects.count()
        for model in (Grade, Customer, Category, Brand, Product, SalesDocument, SalesLine)
    }


def sales_planner_wrap(monkeypatch: Any, wrap: Any) -> None:
    """For one test, the sales kind plans with ``wrap(planner)`` instead of its planner."""
    from dataclasses import replace

    from fanli.imports import registry

    kind = registry.import_kinds()["sales"]
    monkeypatch.setitem(registry._KINDS, "sales", replace(kind, plan=wrap(kind.plan)))
