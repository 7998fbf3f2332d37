"""Writing many plain rows fast, for the two places that load sales at volume (imports, demo data).

``bulk_create`` builds one model object per row; at a million sales lines that is most of the
time. Here rows are tuples in the order of ``field_names``: PostgreSQL receives them through
``COPY``, other databases through ``executemany`` of one prepared ``INSERT``. Values must be
ready for the database (ids for foreign keys, dates adapted by the caller where needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def _columns(model: type[Model], field_names: Sequence[str]) -> str:
    columns = []
    for name in field_names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column
        columns.append(connection.ops.quote_name(field.column))
    return ", ".join(columns)


def insert_statement(model: type[Model], field_names: Sequence[str]) -> str:
    placeholders = ", ".join(["%s"] * len(field_names))
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({_columns(model, field_names)}) VALUES ({placeholders})"


def rows_insert(model: type[Model], field_names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``model``'s table: ``COPY`` on PostgreSQL, else ``executemany``."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(insert_statement(model, field_names), list(rows))
            return
        table = connection.ops.quote_name(model._meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({_columns(model, field_names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
