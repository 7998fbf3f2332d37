"""The document fingerprint is SHA-256 over one canonical JSON text, however it is computed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fanli.common.services import canonical_json, sha256_text
from fanli.sales.fingerprint import LineFacts, document_fingerprint

texts = st.text(min_size=0, max_size=12)  # any characters: quotes, backslashes, control characters, 汉字
whole = st.integers(min_value=-(10**15), max_value=10**15)
lines = st.lists(st.builds(LineFacts, st.integers(min_value=1, max_value=999), texts, whole, whole, whole),
                 max_size=6)


def _definition(*, number, kind, document_date, customer_code, currency, reverses_number, due_date, lines):
    """The definition, written out: canonical JSON of the content, lines sorted."""
    return sha256_text(canonical_json({
        "number": number, "kind": kind, "document_date": document_date.isoformat(), "customer": customer_code,
        "currency": currency, "reverses": reverses_number, "due_date": due_date.isoformat() if due_date else None,
        "lines": sorted([line.line_number, line.sku, line.quantity_milli, line.unit_price_minor,
                         line.net_amount_minor] for line in lines),
    }))


@settings(max_examples=300, deadline=None)
@given(number=texts, kind=texts, customer=texts, currency=texts, reverses=st.none() | texts,
       document_date=st.dates(), due_date=st.none() | st.dates(), lines=lines)
def test_the_fingerprint_is_the_sha256_of_the_canonical_json_of_the_content(
        number, kind, customer, currency, reverses, document_date, due_date, lines):
    arguments = {"number": number, "kind": kind, "document_date": document_date, "customer_code": customer,
                 "currency": currency, "reverses_number": reverses, "due_date": due_date, "lines": lines}

    assert document_fingerprint(**arguments) == _definition(**arguments)


def test_values_of_other_types_follow_the_same_definition():
    arguments = {"number": "INV-1", "kind": "invoice", "document_date": date(2026, 1, 5), "customer_code": "C1",
                 "currency": "CNY", "reverses_number": None, "due_date": None,
                 "lines": [LineFacts(2, "TEA-1", Decimal("1.5"), 100, True), LineFacts(1, "A\"B", 1, 2, 3)]}

    assert document_fingerprint(**arguments) == _definition(**arguments)


def test_a_known_document_keeps_its_fingerprint():
    fingerprint = document_fingerprint(
        number="INV-2025-000001", kind="invoice", document_date=date(2025, 1, 2), customer_code="C00001",
        currency="CNY", reverses_number=None, due_date=date(2025, 2, 1),
        lines=[LineFacts(1, "P-10001", 2000, 129900, 259800)])

    assert fingerprint == sha256_text(
        '{"currency":"CNY","customer":"C00001","document_date":"2025-01-02","due_date":"2025-02-01",'
        '"kind":"invoice","lines":[[1,"P-10001",2000,129900,259800]],"number":"INV-2025-000001","reverses":null}')
