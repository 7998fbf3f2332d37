"""Benchmark: settlement cost as history grows, and a late line in the oldest quarter.

    .venv/bin/python bench/settlement_history.py [--lines 200000] [--customers 1500] [--quarters 8]
                                                 [--reuse DATABASE]

Loads the seeded demo data set without its activity (``--lines`` sales lines, the sample policies
and their enrolments, as ``fanli demo load --without-activity`` leaves it) into a scratch SQLite
database in a temporary directory (or the database ``DATABASE_URL`` names, which must be empty),
then times whole ``settlement_run`` calls. ``--reuse`` names a database kept between runs (a SQLite
file or a database URL, loaded once, each run measuring a copy), the same as ``bench/settlement.py``
takes:

- the SQL floor: one ``GROUP BY customer_id`` over the newest quarter's lines;
- settling ``--quarters`` quarters oldest first, each run also rechecking the earlier ones;
- the newest quarter again with nothing changed (it must write nothing);
- one invoice dated in the oldest quarter imported through ``import_file``, then the newest
  quarter again: it must issue the oldest quarter's adjustment;
- the newest quarter once more, nothing changed.

Each line prints the elapsed seconds, this process's CPU seconds (the whole work on SQLite; the
client's part on PostgreSQL), the statements written and how many policy periods the run
rechecked and left alone (docs/operations.md records the figures measured).
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import date

from scratch import database_prepare  # the script's own folder is on sys.path


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=1_500)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--today", default="2026-11-01", help="the demo data set's today")
    parser.add_argument("--reuse", metavar="DATABASE",
                        help="a SQLite file or database URL to load once and measure a copy of on every run")
    arguments = parser.parse_args(argv)
    results: dict[str, float] = {}

    def load() -> None:
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("demo", "load", "--without-activity", "--lines", str(arguments.lines), "--customers",
                     str(arguments.customers), "--today", arguments.today, stdout=io.StringIO())
        results["load"] = time.perf_counter() - started

    database = database_prepare(reuse=arguments.reuse, load=load)
    try:
        return _measure(arguments, results)
    finally:
        database.cleanup()


def _measure(arguments: argparse.Namespace, results: dict[str, float]) -> dict[str, float]:
    from django.db import connection

    from fanli.common.periods import PeriodKind, period_containing
    from fanli.customers.models import Customer
    from fanli.imports.services import import_file
    from fanli.rebates.models import PolicyVersion, Statement
    from fanli.rebates.services import settlement_run
    from fanli.sales.models import SalesLine

    today = date.fromisoformat(arguments.today)

    cpu: dict[str, float] = {}

    def timed(label: str, call):  # type: ignore[no-untyped-def]
        started, started_cpu = time.perf_counter(), time.process_time()
        value = call()
        results[label] = time.perf_counter() - started
        cpu[label] = time.process_time() - started_cpu
        return value

    loaded = f"demo loaded in {results['load']:.1f} s" if "load" in results else "database reused"
    print(f"{SalesLine.objects.count():,} lines, {Customer.objects.count():,} "
          f"customers, {PolicyVersion.objects.filter(status='published').count()} policies on {connection.vendor}; "
          f"{loaded}", flush=True)
    newest = period_containing(today, PeriodKind.QUARTER).previous()
    quarters = [newest]
    while len(quarters) < arguments.quarters:
        quarters.insert(0, quarters[0].previous())

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT customer_id, SUM(net_amount_minor) FROM sales_salesline "
                           "WHERE basis_date BETWEEN %s AND %s GROUP BY customer_id", [newest.start, newest.end])
            return len(cursor.fetchall())

    timed("floor", floor)
    print(f"{'SQL floor (one GROUP BY, ' + newest.key + ')':44} {results['floor']:8.3f} s", flush=True)

    def settle(label: str, key: str | None = None) -> object:
        run = timed(label, lambda: settlement_run(period_key=key or newest.key, actor=None, today=today))
        rechecked = run.summary.get("rechecked")
        skipped = run.summary.get("unchanged")
        counted = (f", {len(rechecked)} policy period(s) rechecked, {len(skipped)} unchanged"
                   if rechecked is not None and skipped is not None else "")
        print(f"{'settlement ' + label:44} {results[label]:8.3f} s  (cpu {cpu[label]:.3f} s)  "
              f"{run.summary['statements']:,} statements{counted}", flush=True)
        return run

    for quarter in quarters:
        settle(quarter.key, quarter.key)
    history = sum(results[q.key] for q in quarters)
    print(f"{f'{len(quarters)} quarters oldest first':44} {history:8.3f} s", flush=True)
    again = settle(f"{newest.key} again, nothing changed")
    assert again.summary["statements"] == 0, "a run with nothing changed must write nothing"

    oldest = quarters[0]
    statement = (Statement.objects.filter(period_key=oldest.key, policy__code="dist-q-tiers")
                 .order_by("-basis_minor").select_related("customer").first())
    assert statement is not None, f"no dist-q-tiers statement for {oldest.key}"
    line = (SalesLine.objects.filter(customer=statement.customer, basis_date__range=(oldest.start, oldest.end),
                                     is_return=False).select_related("product").first())
    assert line is not None
    content = ("document_number,kind,document_date,customer_code,line_number,sku,quantity,unit_price,net_amount\n"
               f"LATE-1,invoice,{oldest.start + (oldest.end - oldest.start) // 2},{statement.customer.code},1,"
               f"{line.product.sku},100,5000.00,500000.00\n").encode()
    batch = timed("import", lambda: import_file(kind="sales", content=content, filename="late.csv", actor=None))
    assert batch.status == "done", batch.errors
    print(f"{'one late invoice dated in ' + oldest.key:44} {results['import']:8.3f} s  (import_file)", flush=True)
    late = settle(f"{newest.key} after the late invoice")
    adjustments = Statement.objects.filter(run=late, period_key=oldest.key, customer=statement.customer).count()
    assert adjustments >= 1, f"the late invoice must adjust {oldest.key}"
    print(f"  {adjustments} adjustment(s) for {statement.customer.code} in {oldest.key}", flush=True)
    settle(f"{newest.key} once more, nothing changed")
    return results


if __name__ == "__main__":
    main()
