"""Benchmark: a quarter's settlement against the plain-SQL floor, on a database as the CLI leaves it.

    .venv/bin/python bench/settlement.py [--lines 1000000] [--customers 1500] [--period 2026-Q1]
                                         [--today 2026-11-01] [--reuse DATABASE]

The database is the demo data set as ``fanli demo load --without-activity`` leaves it (customers,
catalog, ``--lines`` sales lines, the sample policies and their enrolments; the statistics the
product keeps itself, nothing more: this script never runs ``ANALYZE``). Without ``--reuse`` it is
loaded into a scratch SQLite file (or into the empty database ``DATABASE_URL`` names) and the
load's speed is reported. ``--reuse`` names a database kept between runs: a SQLite file path or a
database URL. When it is empty (or the file does not exist) it is loaded and kept; then every run
measures a copy of it (a file copy on SQLite, ``CREATE DATABASE .. TEMPLATE`` on PostgreSQL), so a
ten-million-line database is generated once and measured as often as needed.

Each figure is a whole step, in one run:

- the *floor*: one ``SELECT customer_id, SUM(..) .. GROUP BY customer_id`` over the period's
  lines, the least any settlement must read (run before and after the settlement; the faster
  counts, so the ratio errs against Fanli);
- ``fanli settle PERIOD --today TODAY --as-user finance``, through the command itself;
- the ratio of the two, for the run as a whole;
- the *writes*: the statements and ledger entries the settlement wrote, written again with the
  bulk layer and committed, no computing (the least a settlement that keeps its statements and
  explanations must write), and the ratio of the settlement to the GROUP BY plus these writes.
  With few lines and many statements the writes alone can exceed twice the GROUP BY; then no
  settlement that writes its statements can be within 3x of the GROUP BY, and this shows it;
- the *reads*: the statements the settlement ran against the sales lines (sorting products into
  the policies' scopes, campaign windows, last year's basis for growth), captured while it ran
  and run again alone, and the ratio of the settlement to these reads plus the writes: what is
  left is the engine, the explanations and the bookkeeping, in Python;
- the same command again with nothing changed (it must write nothing);
- the same rebate in DuckDB over a Parquet export of the lines, only when ``duckdb`` is installed
  (it is not a dependency).

Beside each elapsed time it prints the CPU time the step cost this process and, on PostgreSQL
running on the same machine, the server process serving it (read from /proc): on a shared machine
the elapsed times grow with the others' load, the CPU times much less. It ends with a Markdown
table row to paste into docs/operations.md.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scratch import database_prepare  # the script's own folder is on sys.path

TABLE_HEADER = (
    "| database | lines | load (`demo load --without-activity`) | floor: one `GROUP BY` | `fanli settle` "
    "| ratio | writes alone | ratio to `GROUP BY` + writes | its reads alone | ratio to reads + writes "
    "| again, nothing changed | DuckDB over Parquet |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _server_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL server process serving this connection, read
    from /proc when the server runs on this machine; 0 for SQLite (it runs in this process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _timed(label: str, call: Callable[[], Any], results: dict[str, float]) -> Any:
    """Run ``call``; record its elapsed time and, beside it, the CPU time it cost this process and
    the database server's process, which other work on a shared machine does not inflate."""
    cpu = time.process_time() + _server_cpu()
    started = time.perf_counter()
    value = call()
    results[label] = time.perf_counter() - started
    results[f"{label} (cpu)"] = time.process_time() + _server_cpu() - cpu
    print(f"{label:44} {results[label]:9.3f} s elapsed {results[f'{label} (cpu)']:9.3f} s CPU", flush=True)
    return value


class _Echo(io.StringIO):
    """Keeps what a command writes and shows it at once (a long load's progress)."""

    def write(self, text: str) -> int:
        print("  " + text.rstrip("\n"), flush=True)
        return super().write(text)


def _command(*arguments: str, echo: bool = False) -> str:
    from django.core.management import call_command

    output = _Echo() if echo else io.StringIO()
    call_command(*arguments, stdout=output)
    return output.getvalue()


def _floor(period: Any) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, SUM(net_amount_minor), SUM(quantity_milli) FROM sales_salesline "
            "WHERE basis_date BETWEEN %s AND %s GROUP BY customer_id", [period.start, period.end])
        return len(cursor.fetchall())


class _SalesReads:
    """Keeps the statements a settlement runs against the sales lines, to run them again alone:
    each statement run whole on the command's connection, and each read run in parts at once on
    connections of their own (``fanli.common.split_reads``, large tables on PostgreSQL)."""

    def __init__(self) -> None:
        self.statements: list[list[tuple[str, Any]]] = []  # one read each: its statement, or its parts

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not many and sql.lstrip().upper().startswith("SELECT") and "sales_salesline" in sql:
            self.statements.append([(sql, params)])
        return execute(sql, params, many, context)

    def parts(self, run_parts: Callable[..., Any]) -> Callable[..., Any]:
        def run(queries: Any) -> Any:
            self.statements.append(list(queries))
            return run_parts(queries)
        return run

    def seconds(self) -> float:
        """The same reads again, one after the other (the parts of each at once, as the
        settlement ran them), each result fetched whole."""
        from django.db import connection

        from fanli.common import split_reads

        started = time.perf_counter()
        with connection.cursor() as cursor:
            for queries in self.statements:
                if len(queries) > 1:
                    split_reads.run_parts(queries)
                    continue
                cursor.execute(*queries[0])
                cursor.fetchall()
        return time.perf_counter() - started


def _write_floor(first_new_statement: int) -> float:
    """Seconds to write again, with the bulk layer and no computing, the statements and ledger
    entries the settlement wrote (from ``first_new_statement`` on), and commit: the least any
    settlement that keeps its statements and their explanations must write. The copies get new
    ids, sequence numbers and keys (the originals stay), and are removed afterwards, untimed."""
    from django.db import connection, transaction

    from fanli.common.bulk import table_rows_insert

    shift = 1_000_000_000
    text = "::text" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM rebates_statement LIMIT 0")
        statement_columns = [c[0] for c in cursor.description]
        cursor.execute(f"SELECT {', '.join(c + text if c == 'explanation' else c for c in statement_columns)} "
                       "FROM rebates_statement WHERE id >= %s", [first_new_statement])
        statements = [
            tuple(v + shift if c == "id" else v + 1000 if c == "sequence" else v for c, v in zip(statement_columns, row, strict=True))
            for row in cursor.fetchall()]
        cursor.execute("SELECT * FROM ledger_ledgerentry LIMIT 0")
        entry_columns = [c[0] for c in cursor.description if c[0] != "id"]
        cursor.execute(f"SELECT {', '.join(entry_columns)} FROM ledger_ledgerentry WHERE statement_id >= %s",
                       [first_new_statement])
        entries = [
            tuple(v + shift if c == "statement_id" else f"{v}:floor" if c == "idempotency_key" else v
                  for c, v in zip(entry_columns, row, strict=True))
            for row in cursor.fetchall()]
    os.sync()
    started = time.perf_counter()
    with transaction.atomic():
        table_rows_insert("rebates_statement", statement_columns, statements)
        table_rows_insert("ledger_ledgerentry", entry_columns, entries)
    seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_ledgerentry WHERE statement_id >= %s", [shift])
        cursor.execute("DELETE FROM rebates_statement WHERE id >= %s", [shift])
    return seconds


def _duckdb_floor(period: Any, directory: str) -> float | None:
    """The dist-q-tiers rebate (retroactive tiers on each distributor's quarter) in DuckDB over
    a Parquet file of the lines; None when duckdb is not installed."""
    try:
        import duckdb  # type: ignore[import-not-found]
    except ImportError:
        return None
    from django.db import connection

    parquet = os.path.join(directory, "lines.parquet")
    database = duckdb.connect()
    with connection.cursor() as cursor:
        cursor.execute("SELECT l.customer_id, l.basis_date, l.net_amount_minor, c.kind FROM sales_salesline l "
                       "JOIN customers_customer c ON c.id = l.customer_id")
        rows = cursor.fetchall()
    database.execute("CREATE TABLE lines (customer_id INTEGER, basis_date DATE, net_amount_minor BIGINT, kind TEXT)")
    database.executemany("INSERT INTO lines VALUES (?, ?, ?, ?)", rows)
    database.execute(f"COPY lines TO '{parquet}' (FORMAT PARQUET)")
    database.close()
    database = duckdb.connect()
    started = time.perf_counter()
    database.execute(
        f"SELECT customer_id, basis, basis * CASE WHEN basis >= 30000000 THEN 3 WHEN basis >= 10000000 THEN 2 "
        f"ELSE 1 END / 100 FROM (SELECT customer_id, SUM(net_amount_minor) AS basis FROM '{parquet}' "
        f"WHERE kind = 'distributor' AND basis_date BETWEEN DATE '{period.start}' AND DATE '{period.end}' "
        f"GROUP BY customer_id)").fetchall()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1_500)
    parser.add_argument("--period", default="2026-Q1")
    parser.add_argument("--today", default="2026-11-01", help="the demo data set's today, and the settlement's")
    parser.add_argument("--reuse", metavar="DATABASE",
                        help="a SQLite file or database URL to load once and measure a copy of on every run")
    arguments = parser.parse_args(argv)

    results: dict[str, float] = {}

    def load() -> None:
        _timed("load: fanli demo load --without-activity", lambda: _command(
            "demo", "load", "--without-activity", "--lines", str(arguments.lines), "--customers",
            str(arguments.customers), "--today", arguments.today, echo=True), results)

    database = database_prepare(reuse=arguments.reuse, load=load)
    try:
        return _measure(arguments, results)
    finally:
        database.cleanup()


def _measure(arguments: argparse.Namespace, results: dict[str, float]) -> dict[str, float]:
    from django.db import connection

    from fanli.common import split_reads
    from fanli.common.periods import parse_period
    from fanli.rebates.models import Statement
    from fanli.sales.models import SalesLine

    period = parse_period(arguments.period)
    lines = SalesLine.objects.count()
    print(f"{lines:,} sales lines on {connection.vendor}; settling {period.key} as of {arguments.today}")
    if "load: fanli demo load --without-activity" in results:
        results["load_lines_per_second"] = lines / results["load: fanli demo load --without-activity"]
        print(f"  load: {results['load_lines_per_second']:,.0f} lines/s")
    statements_before = Statement.objects.count()
    first_new_statement = (Statement.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    # A load or a file copy just before leaves gigabytes of the database in the page cache unwritten;
    # the settlement's commit would pay for writing them out (SQLite syncs the file at a WAL
    # checkpoint). A database the CLI left a while ago has been written out: so is this one.
    os.sync()

    _timed("floor: one GROUP BY customer (before)", lambda: _floor(period), results)
    settle = ("settle", period.key, "--today", arguments.today, "--as-user", "finance")
    reads = _SalesReads()
    run_parts = split_reads.run_parts
    split_reads.run_parts = reads.parts(run_parts)  # type: ignore[assignment]
    try:
        with connection.execute_wrapper(reads):
            output = _timed(f"fanli settle {period.key}", lambda: _command(*settle), results)
    finally:
        split_reads.run_parts = run_parts  # type: ignore[assignment]
    print("  " + output.splitlines()[0])
    _timed("floor: one GROUP BY customer (after)", lambda: _floor(period), results)
    written = Statement.objects.count() - statements_before
    again = _timed(f"fanli settle {period.key} again", lambda: _command(*settle), results)
    if Statement.objects.count() != statements_before + written or "nothing new to settle" not in again:
        raise SystemExit("the second settlement with nothing changed wrote something")
    floor = min(results["floor: one GROUP BY customer (before)"], results["floor: one GROUP BY customer (after)"])
    results["floor"] = floor
    results["ratio"] = results[f"fanli settle {period.key}"] / max(floor, 1e-6)
    print(f"settlement / floor, for the whole run: {results['ratio']:.1f}x ({written:,} statements)")
    results["writes"] = _write_floor(first_new_statement)
    results["floor_with_writes"] = floor + results["writes"]
    results["ratio_with_writes"] = results[f"fanli settle {period.key}"] / results["floor_with_writes"]
    print(f"floor: the same statements and ledger entries written again, no computing: {results['writes']:.3f} s")
    print(f"settlement / (GROUP BY + those writes): {results['ratio_with_writes']:.1f}x")
    results["reads"] = min(reads.seconds(), reads.seconds())
    results["floor_reads_writes"] = results["reads"] + results["writes"]
    results["ratio_reads_writes"] = results[f"fanli settle {period.key}"] / results["floor_reads_writes"]
    print(f"floor: the settlement's reads of the sales lines ({len(reads.statements)} read(s), "
          f"{sum(map(len, reads.statements))} statement(s)) run again alone "
          f"(scope classes, campaign windows, prior year): {results['reads']:.3f} s; settlement / (those reads + "
          f"the writes): {results['ratio_reads_writes']:.1f}x")
    print(f"3x the GROUP BY: {3 * floor:.3f} s; the GROUP BY and the writes alone: {results['floor_with_writes']:.3f} s"
          + (" (3x the GROUP BY is out of reach for any settlement that writes these statements)"
             if results["floor_with_writes"] > 3 * floor else "")
          + f"; the settlement's own reads and the writes alone: {results['floor_reads_writes']:.3f} s")
    with tempfile.TemporaryDirectory(prefix="fanli-duckdb-") as directory:
        duck = _duckdb_floor(period, directory)
    if duck is None:
        print("DuckDB over Parquet: duckdb is not installed, skipped")
    else:
        results["duckdb"] = duck
        print(f"DuckDB over Parquet, dist-q-tiers' rebate: {duck:.3f} s")

    load = results.get("load: fanli demo load --without-activity")
    settle_key = f"fanli settle {period.key}"
    floor_cpu = min(results["floor: one GROUP BY customer (before) (cpu)"],
                    results["floor: one GROUP BY customer (after) (cpu)"])
    results["ratio_cpu"] = results[f"{settle_key} (cpu)"] / max(floor_cpu, 1e-6)
    print(f"settlement / floor in CPU time: {results['ratio_cpu']:.1f}x")

    def both(key: str, seconds: float | None = None) -> str:
        elapsed = results[key] if seconds is None else seconds
        cpu = results[f"{key} (cpu)"] if seconds is None else floor_cpu
        return f"{elapsed:.2f} s ({cpu:.2f} s CPU)"

    print("\n" + TABLE_HEADER)
    print(f"| {'SQLite' if connection.vendor == 'sqlite' else 'PostgreSQL'} | {lines:,} "
          f"| {f'{load:.0f} s, {lines / load:,.0f} lines/s' if load else 'reused'} | {both('floor', floor)} "
          f"| {both(settle_key)}, {written:,} statements | {results['ratio']:.1f}x ({results['ratio_cpu']:.1f}x CPU) "
          f"| {results['writes']:.2f} s | {results['ratio_with_writes']:.1f}x "
          f"| {results['reads']:.2f} s | {results['ratio_reads_writes']:.1f}x "
          f"| {both(f'{settle_key} again')} "
          f"| {f'{duck:.2f} s' if duck is not None else 'not installed'} |")
    return results


if __name__ == "__main__":
    main()
