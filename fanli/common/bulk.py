"""Writing many plain rows fast, for the two places that load sales at volume (imports, demo data).

``bulk_create`` builds one model object per row; at a million sales lines that is most of the
time. Here rows are tuples in the order of ``field_names``: PostgreSQL receives them through
``COPY``, other databases through ``executemany`` of one prepared ``INSERT``. Values must be
ready for the database (ids for foreign keys, dates adapted by the caller where needed).
Database errors come out as Django's (``IntegrityError`` for a unique violation) either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
        # The raw psycopg cursor bypasses Django's error translation: without this a unique
        # violation would surface as psycopg's error, not as django.db.IntegrityError.
        statement = f"COPY {table} ({_columns(model, field_names)}) FROM STDIN"
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def update_by_key(
    model: type[Model],
    key_field: str,
    changes: Sequence[Any],
    *,
    key_of: Callable[[Any], str],
    apply: Callable[[Any, Any], None],
    fields: Sequence[str],
    chunk_size: int = 2000,
) -> None:
    """Load the stored rows for ``changes`` by key, let ``apply(row, change)`` set their new
    values, and write them back with ``bulk_update``, a chunk at a time."""
    for start in range(0, len(changes), chunk_size):
        chunk = changes[start:start + chunk_size]
        stored = {getattr(row, key_field): row
                  for row in model._default_manager.filter(**{f"{key_field}__in": [key_of(c) for c in chunk]})}
        for change in chunk:
            apply(stored[key_of(change)], change)
        model._default_manager.bulk_update(list(stored.values()), list(fields))
