"""JSON API endpoints for sales documents and master-data look-ups (file imports: ``fanli.imports.api``).

Thin: parse, call a service or selector, shape the answer. Errors are ``FanliError``s that
``fanli.api`` turns into ``{"code", "message", "details"}``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema, Status

from fanli.accounts.permissions import permission
from fanli.common.exceptions import ValidationFailed
from fanli.common.limits import DOCUMENT_AMOUNT_MAX, LINE_NUMBER_MAX, QUANTITY_MAX_MILLI
from fanli.common.money import minor_to_major
from fanli.common.schemas import ErrorOut
from fanli.common.services import idempotent_call

from .importing import DocumentInput, LineInput, sales_document_submit
from .models import SalesDocument
from .selectors import customer_get, product_get, sales_document_get

router = Router(tags=["sales"])


# Bounds (``fanli.common.limits``): stated here so that the OpenAPI document shows them; the
# planner checks the numbers in the text against the same bounds and names the line and column.
_AMOUNT_TEXT = f"Decimal text in yuan, at most two decimals, within ±{DOCUMENT_AMOUNT_MAX:,}."


class SalesLineIn(Schema):
    line_number: int = Field(ge=1, le=LINE_NUMBER_MAX)
    sku: str = Field(min_length=1, max_length=60)
    quantity: str = Field(max_length=40, description=f"Decimal text, at most three decimals, within "
                                                     f"±{QUANTITY_MAX_MILLI // 1000:,}.")
    unit_price: str = Field(max_length=40, description=_AMOUNT_TEXT)
    net_amount: str = Field(max_length=40, description=_AMOUNT_TEXT)


class SalesDocumentIn(Schema):
    number: str = Field(min_length=1, max_length=60)
    kind: str = Field(max_length=10, description="invoice or return")
    document_date: date
    customer_code: str = Field(min_length=1, max_length=40)
    currency: str = Field("", max_length=3)
    reverses: str | None = Field(None, max_length=60)
    due_date: date | None = None
    paid_amount: str | None = Field(None, max_length=40, description=_AMOUNT_TEXT)
    lines: list[SalesLineIn] = Field(min_length=1, max_length=10_000)
    allow_unmatched_returns: bool = False


class SalesLineOut(Schema):
    line_number: int
    sku: str
    quantity: str
    quantity_milli: int
    unit_price: str
    unit_price_minor: int
    net_amount: str
    net_amount_minor: int


class SalesDocumentOut(Schema):
    outcome: str | None = None
    number: str
    kind: str
    document_date: date
    basis_date: date
    customer_code: str
    currency: str
    reverses: str | None
    due_date: date | None
    total_amount: str
    total_minor: int
    paid_minor: int
    content_sha256: str
    lines: list[SalesLineOut]


def _document_out(document: SalesDocument, outcome: str | None = None) -> dict:
    lines = sorted(document.lines.all(), key=lambda line: line.line_number)
    return {
        "outcome": outcome,
        "number": document.number,
        "kind": document.kind,
        "document_date": document.document_date.isoformat(),
        "basis_date": document.basis_date.isoformat(),
        "customer_code": document.customer.code,
        "currency": document.currency,
        "reverses": document.reverses.number if document.reverses is not None else None,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "total_amount": str(minor_to_major(document.total_minor)),
        "total_minor": document.total_minor,
        "paid_minor": document.paid_minor,
        "content_sha256": document.content_sha256,
        "lines": [
            {
                "line_number": line.line_number,
                "sku": line.product.sku,
                "quantity": _milli_text(line.quantity_milli),
                "quantity_milli": line.quantity_milli,
                "unit_price": str(minor_to_major(line.unit_price_minor)),
                "unit_price_minor": line.unit_price_minor,
                "net_amount": str(minor_to_major(line.net_amount_minor)),
                "net_amount_minor": line.net_amount_minor,
            }
            for line in lines
        ],
    }


def _milli_text(quantity_milli: int) -> str:
    sign = "-" if quantity_milli < 0 else ""
    whole, fraction = divmod(abs(quantity_milli), 1000)
    return f"{sign}{whole}" + (f".{fraction:03d}".rstrip("0") if fraction else "")


@router.post(
    "/sales/documents",
    response={200: SalesDocumentOut, 201: SalesDocumentOut, 409: ErrorOut, 422: ErrorOut},
    summary="Record one sales document (requires an Idempotency-Key header)",
)
@permission("import")
def document_submit(
    request: HttpRequest,
    payload: SalesDocumentIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Status:
    """Amounts and quantities are decimal strings in major units (``"1234.50"``). A replay with
    the same key answers the first answer again; the same key with another body is 409, as is
    the same document number with other content. 201 when created, 200 when unchanged or when
    only the paid amount was updated."""
    key = (idempotency_key or "").strip()
    if not key:
        raise ValidationFailed(
            "the Idempotency-Key header is required",
            details={"errors": [{"path": "Idempotency-Key", "message": "header required"}]},
            code="idempotency_key_required",
        )
    document = DocumentInput(
        number=payload.number,
        kind=payload.kind,
        document_date=payload.document_date.isoformat(),
        customer_code=payload.customer_code,
        currency=payload.currency,
        reverses=payload.reverses,
        due_date=payload.due_date.isoformat() if payload.due_date else None,
        paid_amount=payload.paid_amount,
        allow_unmatched_returns=payload.allow_unmatched_returns,
        lines=tuple(
            LineInput(
                line_number=line.line_number, sku=line.sku, quantity=line.quantity,
                unit_price=line.unit_price, net_amount=line.net_amount,
            )
            for line in payload.lines
        ),
    )

    def call() -> tuple[int, dict]:
        result = sales_document_submit(document=document, actor=request.user)
        status = 201 if result.outcome == "created" else 200
        return status, _document_out(result.document, result.outcome)

    status, body = idempotent_call(
        scope="sales.document", key=key, request_body=payload.model_dump(mode="json"), call=call
    )
    return Status(status, body)


@router.get(
    "/sales/documents/{number}", response={200: SalesDocumentOut, 404: ErrorOut}, summary="One sales document"
)
@permission("view")
def document_detail(request: HttpRequest, number: str) -> dict:
    return _document_out(sales_document_get(number=number, actor=request.user))


class CustomerOut(Schema):
    code: str
    name: str
    kind: str
    grade: str | None
    size_class: str
    start_date: date
    region: str
    industry: str
    parent_code: str | None
    credit_limit_minor: int
    payment_terms_days: int
    tags: list[str]
    email_opt_in: bool
    sms_opt_in: bool
    status: str


@router.get("/customers/{code}", response={200: CustomerOut, 404: ErrorOut}, summary="One customer", tags=["customers"])
@permission("view")
def customer_detail(request: HttpRequest, code: str) -> dict:
    customer = customer_get(code=code, actor=request.user)
    return {
        "code": customer.code, "name": customer.name, "kind": customer.kind,
        "grade": customer.grade.code if customer.grade is not None else None, "size_class": customer.size_class,
        "start_date": customer.start_date, "region": customer.region, "industry": customer.industry,
        "parent_code": customer.parent.code if customer.parent is not None else None,
        "credit_limit_minor": customer.credit_limit_minor, "payment_terms_days": customer.payment_terms_days,
        "tags": customer.tags, "email_opt_in": customer.email_opt_in, "sms_opt_in": customer.sms_opt_in,
        "status": customer.status,
    }


class ProductOut(Schema):
    sku: str
    name: str
    category_code: str
    category_name: str
    brand_code: str | None
    unit: str
    list_price_minor: int
    active: bool


@router.get("/products/{sku}", response={200: ProductOut, 404: ErrorOut}, summary="One product", tags=["catalog"])
@permission("view")
def product_detail(request: HttpRequest, sku: str) -> dict:
    product = product_get(sku=sku)
    return {
        "sku": product.sku, "name": product.name, "category_code": product.category.code,
        "category_name": product.category.name, "brand_code": product.brand.code if product.brand is not None else None,
        "unit": product.unit, "list_price_minor": product.list_price_minor, "active": product.active,
    }
