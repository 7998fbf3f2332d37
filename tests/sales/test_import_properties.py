"""Property: importing any valid sales file a second time changes nothing."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanli.imports.services import import_file

from .helpers import SALES_HEADER, csv_bytes, row_counts, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]

_file_numbers = itertools.count(1)

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2)
quantities = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.999"), places=3)
lines = st.lists(
    st.tuples(st.sampled_from(["SKU-1", "SKU-2"]), quantities, amounts, amounts), min_size=1, max_size=4
)
documents = st.lists(
    st.tuples(
        st.booleans(),  # a return of the previous invoice?
        st.integers(min_value=0, max_value=400),  # days after 2024-01-01
        st.sampled_from(["C001", "C002"]),
        st.booleans(),  # returns written with negative signs?
        st.one_of(st.none(), amounts),  # paid amount
        lines,
    ),
    min_size=1,
    max_size=8,
)


def _rows(prefix: str, generated: list) -> list[list[str]]:
    """Valid rows: a return takes back at most what the last invoice still has of each SKU (its
    other lines are left out; a return left without lines becomes an invoice), and a paid amount
    is at most the document's total."""
    rows: list[list[str]] = []
    last_invoice: tuple[str, str, date] | None = None
    returnable: dict[str, list[Decimal]] = {}
    for position, (is_return, days, customer, negative, paid, document_lines) in enumerate(generated):
        document_date = date(2024, 1, 1) + timedelta(days=days)
        kind, reverses = "invoice", ""
        taken = []
        if is_return and last_invoice is not None:
            for sku, quantity, unit_price, net_amount in document_lines:
                if sku in returnable:
                    left = returnable[sku]
                    quantity, net_amount = min(quantity, left[0]), min(net_amount, left[1])
                    left[0] -= quantity
                    left[1] -= net_amount
                    taken.append((sku, quantity, unit_price, net_amount))
        if taken:
            kind, reverses, customer = "return", last_invoice[0], last_invoice[1]
            document_lines = taken
        number = f"{prefix}-{position}"
        sign = "-" if kind == "return" and negative else ""
        total = sum(net_amount for _sku, _quantity, _price, net_amount in document_lines)
        paid_text = "" if paid is None else str(min(paid, total))
        for line_number, (sku, quantity, unit_price, net_amount) in enumerate(document_lines, start=1):
            rows.append([
                number, kind, document_date.isoformat(), customer, "CNY", reverses, "", paid_text,
                str(line_number), sku, f"{sign}{quantity}", str(unit_price), f"{sign}{net_amount}",
            ])
        if kind == "invoice":
            last_invoice = (number, customer, document_date)
            returnable = {}
            for sku, quantity, _price, net_amount in document_lines:
                left = returnable.setdefault(sku, [Decimal(0), Decimal(0)])
                left[0] += quantity
                left[1] += net_amount
    return rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=documents, as_xlsx=st.booleans())
def test_reimporting_any_valid_sales_file_changes_nothing(master_data, generated, as_xlsx):
    rows = _rows(f"P{next(_file_numbers)}", generated)
    content = xlsx_bytes(SALES_HEADER, rows) if as_xlsx else csv_bytes(SALES_HEADER, rows)
    filename = "sales.xlsx" if as_xlsx else "sales.csv"

    first = import_file(kind="sales", content=content, filename=filename, actor=None)
    after_first = row_counts()
    second = import_file(kind="sales", content=content, filename=filename, actor=None)

    assert (first.status, first.rows_created, first.errors) == ("done", len(rows), [])
    assert (second.status, second.rows_created, second.rows_updated, second.rows_unchanged) == (
        "done", 0, 0, len(rows),
    )
    assert row_counts() == after_first
