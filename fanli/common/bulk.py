"""Writing many plain rows fast: sales at volume (imports, demo data), and the statements and
ledger entries a settlement writes.

``bulk_create`` builds one model object per row and prepares every value through its field;
at a million sales lines, or a thousand statements with their explanations, that is most of
the time. Here rows are tuples in the order of ``field_names``: PostgreSQL receives them through
``COPY``, other databases through ``executemany`` of one prepared ``INSERT``. Values must be
ready for the database (ids for foreign keys, dates adapted by the caller where needed, JSON as
its text). Database errors come out as Django's (``IntegrityError`` for a unique violation)
either way.

Rows that others must point at get their ids first from ``ids_reserve``, then are written with
them, so no read-back is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
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
    columns = []
    for name in field_names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column
        columns.append(field.column)
    table_rows_insert(model._meta.db_table, columns, rows)


def table_rows_insert(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into the table named ``table`` (a model's, or a temporary one) by column
    names: ``COPY`` on PostgreSQL, else ``executemany`` of one prepared ``INSERT``."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})",
                               rows if isinstance(rows, list) else list(rows))
            return
        # The raw psycopg cursor bypasses Django's error translation: without this a unique
        # violation would surface as psycopg's error, not as django.db.IntegrityError.
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# COPY's text format (PostgreSQL): a text value escaped, NULL as \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str | None) -> str:
    """``value`` as one field of COPY's text format."""
    return "\\N" if value is None else value.translate(_COPY_ESCAPES)


@contextmanager
def keys_and_indexes_built_at_end(*models: type[Model]) -> Iterator[None]:
    """For a large load into ``models``' tables inside the caller's transaction: on PostgreSQL
    their foreign keys and plain indexes are dropped for the block and built again at its end.

    A foreign key left in place queues one check per row until the commit (tens of millions at
    ten million sales lines, held in the server's memory); adding the key back checks every row
    with one join. An index built once from all the rows costs less than one kept up row by row.
    Unique and primary-key indexes stay, so duplicates are still refused as they arrive. The
    tables are locked for the rest of the transaction, and a failure anywhere rolls the drops
    back with everything else. Other databases are left as they are.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("keys_and_indexes_built_at_end needs a transaction")
    if connection.vendor == "sqlite":
        with _sqlite_indexes_built_at_end(models):
            yield
        return
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    keys: list[tuple[str, str, str]] = []
    indexes: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname", [table])
            keys.extend((table, name, definition) for name, definition in cursor.fetchall())
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname", [table])
            indexes.extend(cursor.fetchall())
        # A table with checks still queued cannot be altered: run them now, then defer again
        # (Django declares its foreign keys DEFERRABLE INITIALLY DEFERRED).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


@contextmanager
def _sqlite_indexes_built_at_end(models: Sequence[type[Model]]) -> Iterator[None]:
    indexes: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(f"PRAGMA index_list({connection.ops.quote_name(table)})")
            plain = [row[1] for row in cursor.fetchall() if not row[2] and row[3] == "c"]  # name, unique, origin
            for name in plain:
                cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
                indexes.append((name, cursor.fetchone()[0]))
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)


def ids_reserve(model: type[Model], count: int) -> list[int]:
    """``count`` new primary keys for ``model``'s table, ascending, to insert rows with.

    PostgreSQL draws them from the table's sequence, so concurrent writers never collide.
    SQLite has one writer at a time: inside a transaction (which Fanli opens ``IMMEDIATE``,
    holding the write lock) the ids after the highest ever used are free until it commits.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None and pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the sequence's name found once: looked up for every id, it costs ten times the ids
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
            return sorted(int(row[0]) for row in cursor.fetchall())
        if not connection.in_atomic_block:
            raise RuntimeError("ids_reserve needs a transaction on this database")
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(pk.column)}) FROM {quoted}")
        highest = cursor.fetchone()[0] or 0
        if connection.vendor == "sqlite":  # AUTOINCREMENT never reuses an id, even of a deleted row
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


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
