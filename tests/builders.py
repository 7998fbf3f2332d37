"""Small builders for scenario tests: customers, products and sales documents in a few words.

They write rows directly (the import path has its own tests), with the same invariants as an
import: denormalised line fields, signed amounts, and the shared content fingerprint.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from fanli.catalog.models import Brand, Category, Product
from fanli.common.revisions import revisions_bump_sales
from fanli.customers.models import Customer, Grade
from fanli.sales.fingerprint import LineFacts, document_fingerprint
from fanli.sales.models import SalesDocument, SalesLine

_numbers = itertools.count(1)


def catalog() -> dict[str, Product]:
    drinks = Category.objects.create(code="drinks", name="Drinks")
    tea = Category.objects.create(code="tea", name="Tea", parent=drinks)
    food = Category.objects.create(code="food", name="Food")
    acme = Brand.objects.create(code="acme", name="Acme")
    other = Brand.objects.create(code="other", name="Other")
    return {
        "TEA-1": Product.objects.create(sku="TEA-1", name="Green tea", category=tea, brand=acme, list_price_minor=12_000),
        "COLA-1": Product.objects.create(sku="COLA-1", name="Cola", category=drinks, brand=other, list_price_minor=500),
        "RICE-1": Product.objects.create(sku="RICE-1", name="Rice", category=food, brand=acme, list_price_minor=8_000),
    }


def customer(code: str, *, kind: str = "distributor", parent: Customer | None = None, grade: str | None = None,
             start: date = date(2020, 1, 1), region: str = "华东", tags: list[str] | None = None) -> Customer:
    grade_row = Grade.objects.get_or_create(code=grade, defaults={"name": grade})[0] if grade else None
    return Customer.objects.create(code=code, name=f"{code} 商贸有限公司", kind=kind, parent=parent, grade=grade_row,
                                   start_date=start, region=region, tags=tags or [])


def invoice(who: Customer, day: date, *lines: tuple[str, str] | tuple[str, str, str], number: str | None = None,
            paid: str | None = None) -> SalesDocument:
    """``lines`` are (sku, net amount in yuan) or (sku, net amount, quantity)."""
    return _document(who, day, "invoice", None, lines, number, paid)


def credit_note(who: Customer, day: date, *lines: tuple[str, str] | tuple[str, str, str],
                reverses: SalesDocument | None = None, number: str | None = None) -> SalesDocument:
    """A return: amounts and quantities given positive, stored negative."""
    return _document(who, day, "return", reverses, lines, number, None)


def _document(who: Customer, day: date, kind: str, reverses: SalesDocument | None, lines: tuple, number: str | None,
              paid: str | None) -> SalesDocument:
    sign = -1 if kind == "return" else 1
    number = number or f"{'RT' if sign < 0 else 'IN'}-{next(_numbers):06d}"
    facts = []
    for index, line in enumerate(lines, start=1):
        sku, amount = line[0], line[1]
        quantity = Decimal(line[2]) if len(line) > 2 else Decimal(1)
        net_minor = int(Decimal(amount) * 100)
        facts.append(LineFacts(index, sku, sign * int(quantity * 1000), int(Decimal(net_minor) / quantity),
                               sign * net_minor))
    total = sum(f.net_amount_minor for f in facts)
    document = SalesDocument.objects.create(
        number=number, kind=kind, document_date=day, basis_date=reverses.document_date if reverses else day,
        customer=who, reverses=reverses, total_minor=total,
        paid_minor=int(Decimal(paid) * 100) if paid is not None else (total if total > 0 else 0),
        content_sha256=document_fingerprint(
            number=number, kind=kind, document_date=day, customer_code=who.code, currency="CNY",
            reverses_number=reverses.number if reverses else None, due_date=None, lines=facts,
        ),
    )
    revisions_bump_sales([document.basis_date])  # as every write path of sales does
    products = {p.sku: p for p in Product.objects.filter(sku__in=[f.sku for f in facts])}
    SalesLine.objects.bulk_create([
        SalesLine(document=document, line_number=f.line_number, product=products[f.sku], quantity_milli=f.quantity_milli,
                  unit_price_minor=abs(f.unit_price_minor), net_amount_minor=f.net_amount_minor, customer=who,
                  basis_date=document.basis_date, is_return=sign < 0)
        for f in facts
    ])
    return document
