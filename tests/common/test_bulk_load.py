"""A large load builds the sales tables' foreign keys and plain indexes once, at its end."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from fanli.common.bulk import keys_and_indexes_built_at_end, rows_insert
from fanli.sales.models import SalesDocument, SalesLine
from tests.builders import catalog, customer

DOCUMENT_FIELDS = ("id", "number", "kind", "document_date", "basis_date", "customer", "currency", "total_minor",
                   "paid_minor", "content_sha256", "recorded_at")
LINE_FIELDS = ("document", "line_number", "product", "quantity_milli", "unit_price_minor", "net_amount_minor",
               "customer", "basis_date", "is_return")


def _schema() -> tuple[set, set]:
    """(foreign keys, indexes) of the sales tables as the database describes them."""
    with connection.cursor() as cursor:
        keys, indexes = set(), set()
        for table in ("sales_salesdocument", "sales_salesline"):
            constraints = connection.introspection.get_constraints(cursor, table)
            keys |= {(table, name, tuple(c["columns"])) for name, c in constraints.items() if c["foreign_key"]}
            indexes |= {(table, name, tuple(c["columns"]), c["unique"]) for name, c in constraints.items()
                        if c["index"] or c["unique"]}
    return keys, indexes


def _rows(customer_id: int, product_id: int, document_id: int = 1) -> tuple[list, list]:
    day = date(2026, 1, 5)
    adapt = (lambda value: value) if connection.vendor == "postgresql" else connection.ops.adapt_datefield_value
    now = "2026-01-05 00:00:00+00:00"
    documents = [(document_id, f"INV-{document_id}", "invoice", adapt(day), adapt(day), customer_id, "CNY", 1000, 0,
                  "0" * 64, now)]
    lines = [(document_id, 1, product_id, 1000, 1000, 1000, customer_id, adapt(day), False)]
    return documents, lines


def test_after_the_load_the_keys_and_indexes_are_back_as_they_were(db):
    who, products = customer("C1"), catalog()
    before = _schema()

    with transaction.atomic(), keys_and_indexes_built_at_end(SalesDocument, SalesLine):
        documents, lines = _rows(who.pk, products["TEA-1"].pk)
        rows_insert(SalesDocument, DOCUMENT_FIELDS, documents)
        rows_insert(SalesLine, LINE_FIELDS, lines)

    assert _schema() == before
    assert SalesLine.objects.get().document.number == "INV-1"


@pytest.mark.django_db(transaction=True)
def test_a_line_pointing_at_no_document_is_refused_when_the_keys_are_built_and_nothing_stays():
    who, products = customer("C1"), catalog()

    with pytest.raises(IntegrityError), transaction.atomic(), keys_and_indexes_built_at_end(SalesDocument, SalesLine):
        documents, lines = _rows(who.pk, products["TEA-1"].pk)
        rows_insert(SalesDocument, DOCUMENT_FIELDS, documents)
        rows_insert(SalesLine, LINE_FIELDS, [(99, *lines[0][1:])])  # document 99 does not exist

    assert not SalesDocument.objects.exists() and not SalesLine.objects.exists()
    keys, _ = _schema()
    assert ("sales_salesline", ("document_id",)) in {(table, columns) for table, _name, columns in keys}


def test_a_duplicate_document_number_is_refused_during_the_load(db):
    who, products = customer("C1"), catalog()

    with pytest.raises(IntegrityError), transaction.atomic(), keys_and_indexes_built_at_end(SalesDocument, SalesLine):
        documents, _ = _rows(who.pk, products["TEA-1"].pk)
        rows_insert(SalesDocument, DOCUMENT_FIELDS, documents)
        rows_insert(SalesDocument, DOCUMENT_FIELDS, [(2, *documents[0][1:])])  # the same number again


def test_copy_text_escapes_what_copy_would_read_as_a_separator_and_writes_null():
    from fanli.common.bulk import copy_text

    assert copy_text("INV\\7\tA\nB\rC 发票") == "INV\\\\7\\tA\\nB\\rC 发票"
    assert copy_text(None) == "\\N"
    assert copy_text("") == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY's text format is PostgreSQL's")
def test_text_copied_rows_read_back_exactly(db):
    from fanli.common.bulk import copy_text

    word = copy_text("a\\b\tc")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE copied (word varchar(40), day date, amount bigint)")
        with cursor.cursor.copy("COPY copied (word, day, amount) FROM STDIN") as copy:  # as the sales import sends
            copy.write(word + "\t2026-01-05\t-7\n" + copy_text(None) + "\t\\N\t0\n")
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, day, amount FROM copied ORDER BY amount")
        assert cursor.fetchall() == [("a\\b\tc", date(2026, 1, 5), -7), (None, None, 0)]
