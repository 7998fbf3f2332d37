"""The period drives a settlement's reads of the sales lines, on SQLite and PostgreSQL alike,
on a database exactly as an import leaves it: the import refreshes the planner statistics
itself, and every aggregation a settlement runs is planned from the ``basis_date`` index."""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta

import pytest
from django.db import connection

from fanli.common.dbstats import analysed_rows, statistics_stale
from fanli.imports.services import import_file
from fanli.rebates.services import policy_apply, settlement_run
from fanli.sales.models import SalesLine
from tests.builders import catalog, customer
from tests.sales.helpers import SALES_HEADER, csv_bytes, sales_row

pytestmark = pytest.mark.django_db

POLICIES = [
    """
code: acme-tiers
name: Acme quarterly tiers
valid_from: 2025-01-01
settlement: {period: quarter, due_days: 30}
scope: {include: {brands: [acme]}}
campaigns: [{name: spring, from: 2026-02-01, until: 2026-02-14, extra_rate_percent: 1}]
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2}]
""",
    """
code: growth
name: Growth on last year
valid_from: 2025-01-01
settlement: {period: quarter, due_days: 30}
metric: growth
growth: {applies_to: whole, no_prior_year: zero_baseline}
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 10, rate_percent: 2}]
""",
    """
code: orders-paid
name: Orders, paid basis
valid_from: 2025-01-01
settlement: {period: quarter, due_days: 30}
metric: orders
basis_source: paid
calculation: {type: target_bonus, target: 5, bonus: "100.00"}
""",
]

LINES = 12_000  # six quarters of lines, so one quarter is a small part of the table


def _sales_csv(customers: list[str], skus: list[str], lines: int) -> bytes:
    rng = random.Random(7)
    rows = []
    day, number = date(2025, 1, 1), 0
    per_day = lines // ((date(2026, 6, 30) - day).days + 1) + 1
    while len(rows) < lines:
        for _ in range(per_day // 3 + 1):
            number += 1
            who = rng.choice(customers)
            for line in range(1, 4):
                quantity = rng.randint(1, 9)
                rows.append(sales_row(f"IN-{number:06d}", document_date=day.isoformat(), customer=who, line=line,
                                      sku=rng.choice(skus), quantity=str(quantity), unit_price="100.00",
                                      net_amount=f"{quantity * 100}.00", paid=""))
        day += timedelta(days=1)
    return csv_bytes(SALES_HEADER, rows[:lines - lines % 3])


def _index_leads_with_basis_date(name: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(name)})")
            columns = [row[2] for row in sorted(cursor.fetchall())]
        else:
            cursor.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                           "AND a.attnum = i.indkey[0] WHERE i.indexrelid = to_regclass(%s)", [name])
            columns = [row[0] for row in cursor.fetchall()]
    return bool(columns) and columns[0] == "basis_date"


def _sales_line_access(sql: str, params: list) -> list[tuple[str, str]]:
    """How the plan reads ``sales_salesline``: (access, index name or "") per read."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            reads = []
            for row in cursor.fetchall():
                match = re.match(r"(SCAN|SEARCH) l\b(?: USING (?:COVERING )?INDEX (\w+) \((.*)\))?", row[3])
                if match:
                    access = "index on basis_date range" if match.group(2) and re.fullmatch(
                        r"basis_date>\? AND basis_date<\?", match.group(3)) else match.group(0)
                    reads.append((access, match.group(2) or ""))
            return reads
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    reads = []

    def walk(node: dict) -> None:
        kind = node["Node Type"]
        if node.get("Relation Name") == "sales_salesline" or (
                kind == "Bitmap Index Scan" and str(node.get("Index Name", "")).startswith("sales_")):
            if kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
                condition = node.get("Index Cond", "")
                ranged = "basis_date >=" in condition and "basis_date <=" in condition
                reads.append(("index on basis_date range" if ranged else f"{kind} {condition}", node["Index Name"]))
            elif kind != "Bitmap Heap Scan":
                reads.append((kind, ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return reads


# The import commits before the settlement reads, as with the CLI: an index a large load rebuilds
# inside its transaction may be unusable to that same transaction on PostgreSQL (pg_index.indcheckxmin
# when the table holds broken HOT chains), never to a later one.
@pytest.mark.django_db(transaction=True)
def test_after_an_import_every_aggregation_of_a_settlement_is_driven_by_the_basis_date_index():
    products = catalog()
    customers = [customer(f"C{n:03d}").code for n in range(40)]
    for text in POLICIES:
        policy_apply(text=text, actor=None)
    before = analysed_rows(SalesLine)  # earlier committed tests may have left statistics of a few rows

    batch = import_file(kind="sales", content=_sales_csv(customers, list(products), LINES), filename="s.csv",
                        actor=None)  # committed; its statistics refresh ran after the commit
    assert (batch.status, batch.rows_created) == ("done", LINES)
    analysed = analysed_rows(SalesLine)  # the import refreshed the statistics itself
    # SQLite estimates the count from its bounded sample (PRAGMA analysis_limit): roughly, not exactly
    assert analysed is not None and analysed != before and LINES // 4 <= analysed <= LINES * 2

    statements: list[tuple[str, list]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "sales_salesline" in sql and sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        run = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 7, 1))
    assert run.summary["statements"] > 0

    # this quarter's pass, last year's (growth), the paid share, the distinct orders
    assert len(statements) == 4
    for sql, params in statements:
        reads = _sales_line_access(sql, params)
        assert reads, sql
        for access, index in reads:
            assert access == "index on basis_date range", (access, sql[:200])
            assert _index_leads_with_basis_date(index), index


def test_a_small_import_leaves_the_statistics_as_they_are(django_capture_on_commit_callbacks):
    products = catalog()
    customers = [customer(f"C{n:03d}").code for n in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        import_file(kind="sales", content=_sales_csv(customers, list(products), 3000), filename="big.csv",
                    actor=None)
    before = analysed_rows(SalesLine)
    assert before is not None
    assert not statistics_stale(SalesLine, rows_written=before // 20)
    assert statistics_stale(SalesLine, rows_written=before // 10 + 1)
    small = csv_bytes(SALES_HEADER, [sales_row("LATE-1", document_date="2026-06-30", customer=customers[0],
                                               sku="TEA-1")])
    executed: list[str] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture), django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_file(kind="sales", content=small, filename="small.csv", actor=None)
    assert len(callbacks) == 1  # the refresh was asked for, found nothing stale and analysed nothing
    # (the import's own temporary stage tables are analysed on PostgreSQL as they are filled)
    analysed_tables = [sql for sql in executed if re.match(r"\s*ANALYZE\b", sql, re.IGNORECASE)
                       and "fanli_import_" not in sql]
    assert analysed_tables == []
    assert analysed_rows(SalesLine) == before
