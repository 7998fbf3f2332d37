"""One large aggregation read in parts that run at once, on PostgreSQL.

PostgreSQL plans a query in parallel only when its estimates say so. A settlement's read of the
sales lines sorts every line's product into the policies' scope classes with a ``CASE``, which
has no statistics: the planner counts hundreds of thousands of groups where there are a few
thousand, and aggregates on one core. Here the read is cut by the caller into parts (date
ranges of the period) that each run on a connection of their own, at the same time, and the
caller adds the parts up.

The parts read one consistent state of the database: inside a transaction its snapshot is
exported (``pg_export_snapshot``) and every part's connection reads through it
(``SET TRANSACTION SNAPSHOT``), as ``pg_dump --jobs`` does. A snapshot shows what was committed
when it was taken, never the exporting transaction's own uncommitted writes, so parts are only
used where the caller's transaction is the outermost one (it has written nothing the read
depends on before it reads: a settlement writes its run and locks, never sales); inside a
transaction opened by someone else (a test's, or an import that settles in the same
transaction) the read stays whole on the caller's connection.

``FANLI_READ_PARTS`` (default 2, one per CPU of a two-core server) sets how many parts;
``FANLI_READ_PARTS_FROM_LINES`` (default 2,000,000) the size of the sales table, as PostgreSQL's
own statistics count it, from which a read is cut. Below it, opening the connections would cost
more than the parts save.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections


def parts_for(table: str) -> int:
    """How many parts a read of ``table`` should be cut into here: 1 (read it whole) unless on
    PostgreSQL, in the outermost transaction or none, with the table at least as large as the
    threshold."""
    parts = int(getattr(settings, "FANLI_READ_PARTS", 2))
    if parts < 2 or connection.vendor != "postgresql" or len(connection.atomic_blocks) > 1:
        return 1
    threshold = int(getattr(settings, "FANLI_READ_PARTS_FROM_LINES", 2_000_000))
    if threshold > 0:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
        if row is None or row[0] < threshold:
            return 1
    return parts


def run_parts(queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run each (sql, params) on a connection of its own, all at once; answer their rows in
    order. Inside a transaction every part reads the caller's snapshot."""
    snapshot = None
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]

    def read(query: tuple[str, Sequence[Any]]) -> list[tuple[Any, ...]]:
        helper = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with helper.cursor() as cursor:
                if snapshot is not None:
                    cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                cursor.execute(*query)
                rows = cursor.fetchall()
                if snapshot is not None:
                    cursor.execute("COMMIT")
                return rows
        finally:
            helper.close()

    with ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="fanli-read") as pool:
        return list(pool.map(read, queries))
