"""Planner statistics that the product keeps current itself.

Both databases choose a query plan from statistics about each table (SQLite's ``sqlite_stat1``,
PostgreSQL's ``pg_statistic``). Without them SQLite guesses, and can drive a period's
aggregation from the product index, reading every year of sales lines instead of one quarter.
So whoever writes many rows at once (an import, the demo load) calls ``statistics_refresh``
for the tables it wrote, after its transaction commits (``statistics_refresh_on_commit``).

A refresh is cheap and happens only when it matters: when a table has no statistics yet, or
when the rows written are at least a tenth of the rows the statistics were made from. SQLite
analyses a bounded sample (``PRAGMA analysis_limit``), so its cost does not grow with the table;
PostgreSQL's ``ANALYZE`` samples a fixed number of rows anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Model

log = logging.getLogger(__name__)

GROWTH_FRACTION = 0.1  # refresh once the rows written reach this share of the analysed rows
SQLITE_ANALYSIS_LIMIT = 2000  # rows SQLite examines per index when analysing


def _table(table: str | type[Model]) -> str:
    return table if isinstance(table, str) else table._meta.db_table


def analysed_rows(table: str | type[Model]) -> int | None:
    """The row count the table's statistics were made from; None when it has none."""
    name = _table(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # not what this transaction read before
            cursor.execute(
                "SELECT c.reltuples, s.last_analyze, s.last_autoanalyze FROM pg_class c "
                "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = to_regclass(%s)", [name])
            row = cursor.fetchone()
            if row is None or row[0] < 0 or (row[1] is None and row[2] is None):
                return None
            return int(row[0])
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [name])
            row = cursor.fetchone()
            return int(str(row[0]).split()[0]) if row and row[0] else None
    return None


def statistics_stale(table: str | type[Model], *, rows_written: int | None) -> bool:
    """True when ``table`` has no statistics, or ``rows_written`` (None: unknown) is at least
    ``GROWTH_FRACTION`` of the rows they were made from."""
    analysed = analysed_rows(table)
    if analysed is None or rows_written is None:
        return True
    return rows_written >= max(analysed, 1) * GROWTH_FRACTION


def statistics_refresh(tables: Iterable[str | type[Model]], *, rows_written: int | None = None) -> list[str]:
    """Analyse the ``tables`` whose statistics are stale; answer the names analysed (on PostgreSQL
    outside a transaction also vacuumed, which keeps index-only reads possible).

    ``rows_written`` is how many rows the caller just wrote into the tables (None: unknown,
    e.g. after a bulk load), so a small import leaves the statistics as they are.
    """
    stale = [name for name in dict.fromkeys(_table(t) for t in tables)
             if statistics_stale(name, rows_written=rows_written)]
    if not stale or connection.vendor not in ("sqlite", "postgresql"):
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        # PostgreSQL outside a transaction (after the import committed): VACUUM too, which marks the
        # new pages all-visible, so a period's aggregation reads the covering index alone at once
        # instead of after autovacuum happens to pass (the plan would otherwise depend on timing).
        verb = "VACUUM (ANALYZE)" if connection.vendor == "postgresql" and not connection.in_atomic_block \
            else "ANALYZE"
        for name in stale:
            cursor.execute(f"{verb} {quote(name)}")
    log.info("statistics refreshed: %s", ", ".join(stale))
    return stale


def statistics_refresh_on_commit(tables: Iterable[str | type[Model]], *, rows_written: int | None = None) -> None:
    """``statistics_refresh`` once the current transaction commits (at once outside one).

    After the commit, PostgreSQL's ``ANALYZE`` holds its table lock only for itself, and a
    failure to analyse never undoes the writes: it is logged and the old statistics stay.
    """
    names = [_table(t) for t in tables]

    def refresh() -> None:
        try:
            statistics_refresh(names, rows_written=rows_written)
        except Exception:  # statistics are an optimisation; the data is committed
            log.exception("could not refresh the statistics of %s", ", ".join(names))

    transaction.on_commit(refresh)
