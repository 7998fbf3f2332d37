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
from typing import Protocol

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
    """SHA-256 over the canonical JSON of everything that makes up the document's content."""
    body = {
        "number": number,
        "kind": kind,
        "document_date": document_date.isoformat(),
        "customer": customer_code,
        "currency": currency,
        "reverses": reverses_number,
        "due_date": due_date.isoformat() if due_date else None,
        "lines": sorted(
            [line.line_number, line.sku, line.quantity_milli, line.unit_price_minor, line.net_amount_minor]
            for line in lines
        ),
    }
    return sha256_text(canonical_json(body))
