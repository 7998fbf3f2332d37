"""The content fingerprint of a sales document.

Imports are idempotent by document number: a document seen again with the same fingerprint is
"unchanged" and skipped; the same number with a different fingerprint is a conflict, reported
and never applied. Every writer of sales documents (file import, API, demo data) uses this one
definition, so a document loaded by one path is recognised by the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from json.encoder import encode_basestring as _text  # a str as json.dumps(..., ensure_ascii=False) writes it
from typing import Any, Protocol

from fanli.common.services import canonical_json, sha256_text


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_number: int
    sku: str
    quantity_milli: int
    unit_price_minor: int
    net_amount_minor: int


class LineContent(Protocol):
    """What the fingerprint reads of a line: ``LineFacts`` or any record with these fields."""

    @property
    def line_number(self) -> int: ...
    @property
    def sku(self) -> str: ...
    @property
    def quantity_milli(self) -> int: ...
    @property
    def unit_price_minor(self) -> int: ...
    @property
    def net_amount_minor(self) -> int: ...


def document_fingerprint(
    *,
    number: str,
    kind: str,
    document_date: date,
    customer_code: str,
    currency: str,
    reverses_number: str | None,
    due_date: date | None,
    lines: Iterable[LineContent],
) -> str:
    """SHA-256 over the canonical JSON of everything that makes up the document's content.

    The JSON is ``canonical_json`` of the body in ``_body``; for the usual values (text, whole
    numbers, dates) it is written directly, byte for byte the same, because importing or loading
    millions of lines computes one fingerprint per document.
    """
    return items_fingerprint(
        number=number, kind=kind, document_date=document_date, customer_code=customer_code, currency=currency,
        reverses_number=reverses_number, due_date=due_date,
        items=[(line.line_number, line.sku, line.quantity_milli, line.unit_price_minor, line.net_amount_minor)
               for line in lines],
    )


def items_fingerprint(
    *,
    number: str,
    kind: str,
    document_date: date,
    customer_code: str,
    currency: str,
    reverses_number: str | None,
    due_date: date | None,
    items: list[tuple[Any, ...]],
) -> str:
    """``document_fingerprint`` of lines given as ``(line_number, sku, quantity_milli,
    unit_price_minor, net_amount_minor)`` tuples, in any order (an import's hot path)."""
    items = sorted(items)
    texts = (number, kind, customer_code, currency)
    if all(type(text) is str for text in texts) and (reverses_number is None or type(reverses_number) is str) and all(
        type(n) is int and type(sku) is str and type(q) is int and type(p) is int and type(a) is int
        for n, sku, q, p, a in items
    ):
        written = ",".join(f"[{n},{_text(sku)},{q},{p},{a}]" for n, sku, q, p, a in items)
        due = f'"{due_date.isoformat()}"' if due_date else "null"
        reverses = _text(reverses_number) if reverses_number is not None else "null"
        return sha256_text(
            f'{{"currency":{_text(currency)},"customer":{_text(customer_code)},'
            f'"document_date":"{document_date.isoformat()}","due_date":{due},"kind":{_text(kind)},'
            f'"lines":[{written}],"number":{_text(number)},"reverses":{reverses}}}'
        )
    return sha256_text(canonical_json(_body(number=number, kind=kind, document_date=document_date,
                                            customer_code=customer_code, currency=currency,
                                            reverses_number=reverses_number, due_date=due_date, items=items)))


def _body(*, number: Any, kind: Any, document_date: date, customer_code: Any, currency: Any, reverses_number: Any,
          due_date: date | None, items: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The fingerprinted content, as ``canonical_json`` reads it."""
    return {
        "number": number,
        "kind": kind,
        "document_date": document_date.isoformat(),
        "customer": customer_code,
        "currency": currency,
        "reverses": reverses_number,
        "due_date": due_date.isoformat() if due_date else None,
        "lines": [list(item) for item in items],
    }
