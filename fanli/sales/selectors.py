"""Reads for sales data (no writes here)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth

from fanli.accounts.selectors import customer_scope, customers_for
from fanli.catalog.models import Product
from fanli.common.exceptions import NotFound
from fanli.common.periods import PeriodKind, period_containing
from fanli.customers.models import Customer

from .models import SalesDocument, SalesLine


def sales_document_get(*, number: str, actor: Any = None) -> SalesDocument:
    """The document ``number`` among those of the customers ``actor`` reaches (all for the
    system); another rep's document is "not found", word for word as an unknown number."""
    document = (
        SalesDocument.objects.select_related("customer", "reverses")
        .prefetch_related("lines__product")
        .filter(customer_scope(actor), number=number)
        .first()
    )
    if document is None:
        raise NotFound(f"no sales document {number!r}", details={"number": number})
    return document


def customer_get(*, code: str, actor: Any = None) -> Customer:
    """The customer ``code`` if ``actor`` reaches it (all for the system); otherwise "not found",
    word for word as an unknown code."""
    customer = customers_for(actor).select_related("grade", "parent").filter(code=code).first()
    if customer is None:
        raise NotFound(f"no customer {code!r}", details={"code": code})
    return customer


def product_get(*, sku: str) -> Product:
    product = Product.objects.select_related("category", "brand").filter(sku=sku).first()
    if product is None:
        raise NotFound(f"no product {sku!r}", details={"sku": sku})
    return product


def customer_sales_by_month(customer_ids: list[int], *, until: date, months: int = 24) -> list[dict]:
    """Invoiced, returned and net sales per month (by basis date) for the ``months`` months up to
    ``until``, oldest first; months without sales are listed with zeros. One grouped query."""
    first = period_containing(until, PeriodKind.MONTH)
    for _ in range(months - 1):
        first = first.previous()
    rows = (
        SalesLine.objects.filter(customer_id__in=customer_ids, basis_date__gte=first.start, basis_date__lte=until)
        .annotate(month=TruncMonth("basis_date")).values("month")
        .annotate(invoiced=Sum("net_amount_minor", filter=Q(is_return=False)),
                  returned=Sum("net_amount_minor", filter=Q(is_return=True)))
    )
    found: dict[str, dict[str, int]] = {
        row["month"].strftime("%Y-%m"): {"invoiced": row["invoiced"] or 0, "returned": row["returned"] or 0}
        for row in rows
    }
    result, month = [], first
    while month.start <= until:
        row = found.get(month.key, {})
        invoiced, returned = row.get("invoiced", 0), row.get("returned", 0)
        result.append({"month": month.key, "invoiced_minor": invoiced, "returned_minor": returned,
                       "net_minor": invoiced + returned})
        month = month.next()
    return result


def net_sales_by_customer(customer_ids: Collection[int], *, start: date, end: date) -> dict[int, int]:
    """Net sales (invoices less returns, in fen) per customer with a basis date in start..end:
    one grouped query on the (customer, basis date) index."""
    rows = (SalesLine.objects.filter(customer_id__in=list(customer_ids), basis_date__gte=start, basis_date__lte=end)
            .values("customer_id").annotate(total=Sum("net_amount_minor")).order_by())
    return {row["customer_id"]: row["total"] or 0 for row in rows}
