"""Benchmark: settlement, accrual and progress against the SQL floor.

    .venv/bin/python bench/settlement.py [--lines 1000000] [--customers 1500] [--period 2026-Q1]

Loads the seeded demo data set (``--lines`` sales lines, its sample policies) into a scratch
SQLite database in a temporary directory (or the database ``DATABASE_URL`` names, which must
be empty), then times:

- the *SQL floor*: one ``SELECT customer_id, SUM(..) .. GROUP BY customer_id`` over the
  period's lines — the least any settlement must read;
- a settlement run of ``--period`` for every policy settling on it (true-ups included);
- the same settlement again (it must write nothing);
- a month-end accrual run and one customer's progress.

It prints each figure and the ratio of the settlement to the floor per policy period computed
(docs/operations.md records the figures measured).
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from scratch import django_on_scratch_database  # the script's own folder is on sys.path


def _timed(label: str, call, results: dict[str, float]):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = call()
    results[label] = time.perf_counter() - started
    print(f"{label:38} {results[label]:8.3f} s", flush=True)
    return value


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1_500)
    parser.add_argument("--period", default="2026-Q1")
    parser.add_argument("--today", default="2026-11-01", help="the demo data set's today")
    arguments = parser.parse_args(argv)

    scratch = django_on_scratch_database()
    from django.db import connection

    from fanli.common.periods import parse_period
    from fanli.customers.models import Customer
    from fanli.demo.services import demo_load
    from fanli.rebates.models import Statement
    from fanli.rebates.selectors import customer_progress
    from fanli.rebates.services import accrual_run, settlement_run

    today = date.fromisoformat(arguments.today)
    results: dict[str, float] = {}
    summary = _timed("load demo data", lambda: demo_load(customers=arguments.customers, lines=arguments.lines,
                                                          today=today), results)
    print(f"  {summary.lines:,} lines, {summary.customers:,} customers, {len(summary.policies)} policies "
          f"on {connection.vendor}")
    period = parse_period(arguments.period)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT customer_id, SUM(net_amount_minor), SUM(quantity_milli) FROM sales_salesline "
                "WHERE basis_date BETWEEN %s AND %s GROUP BY customer_id", [period.start, period.end])
            return len(cursor.fetchall())

    _timed("SQL floor (one GROUP BY)", floor, results)
    run = _timed(f"settlement {period.key}", lambda: settlement_run(period_key=period.key, actor=None, today=today),
                 results)
    computed = max(1, len(run.summary["periods"]))
    print(f"  {run.summary['statements']:,} statements for {computed} policy period(s): "
          f"{', '.join(run.summary['periods'])}")
    again = _timed(f"settlement {period.key} again", lambda: settlement_run(period_key=period.key, actor=None,
                                                                            today=today), results)
    assert again.summary["statements"] == 0, "a second settlement must write nothing"
    month = f"{period.end.year}-{period.end.month:02d}"
    _timed(f"accrual {month}", lambda: accrual_run(month_key=month, actor=None, today=today), results)
    biggest = Statement.objects.order_by("-basis_minor").values_list("customer_id", flat=True).first()
    if biggest:
        who = Customer.objects.get(pk=biggest)
        _timed(f"progress of {who.code}", lambda: customer_progress(who, period.end), results)
    ratio = results[f"settlement {period.key}"] / max(results["SQL floor (one GROUP BY)"], 1e-6) / computed
    print(f"settlement / floor per policy period: {ratio:.2f}")
    results["ratio_per_policy_period"] = ratio
    scratch.cleanup()
    return results


if __name__ == "__main__":
    main()
