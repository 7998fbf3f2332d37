"""Reads for sales data and imports (no writes here)."""

from __future__ import annotations

from fanli.catalog.models import Product
from fanli.common.exceptions import NotFound
from fanli.customers.models import Customer

from .models import ImportBatch, SalesDocument


def import_batch_list(*, limit: int = 20) -> list[ImportBatch]:
    return list(ImportBatch.objects.order_by("-started_at", "-id")[: max(limit, 0)])


def import_batch_get(*, batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"no import {batch_id}", details={"id": batch_id})
    return batch


def sales_document_get(*, number: str) -> SalesDocument:
    document = (
        SalesDocument.objects.select_related("customer", "reverses")
        .prefetch_related("lines__product")
        .filter(number=number)
        .first()
    )
    if document is None:
        raise NotFound(f"no sales document {number!r}", details={"number": number})
    return document


def customer_get(*, code: str) -> Customer:
    customer = Customer.objects.select_related("grade", "parent").filter(code=code).first()
    if customer is None:
        raise NotFound(f"no customer {code!r}", details={"code": code})
    return customer


def product_get(*, sku: str) -> Product:
    product = Product.objects.select_related("category", "brand").filter(sku=sku).first()
    if product is None:
        raise NotFound(f"no product {sku!r}", details={"sku": sku})
    return product
