"""Benchmark: validate and insert a large sales CSV.

    .venv/bin/python bench/import_sales.py [--lines 1000000] [--lines-per-document 4]

Creates a scratch SQLite database in a temporary directory (unless ``DATABASE_URL`` is set),
generates customers, products and a sales CSV file of ``--lines`` lines (invoices with a few
returns, written a document at a time), imports it from the file with ``import_file`` and prints
lines per second and the process's peak resident memory (``ru_maxrss``, read before and after
the import). It then imports the same file again, which must change nothing, and prints that
time too. In the same run it measures the *floor*: the file read with Python's ``csv`` module and
its lines written as plain rows into a bare table of the same columns, with ``executemany`` on
SQLite and ``COPY`` on PostgreSQL (no checks, no indexes: the least a load can cost).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

from scratch import django_on_scratch_database  # the script's own folder is on sys.path

CUSTOMERS = 2_000
PRODUCTS = 5_000


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (Linux reports kilobytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def generate_csv(path: Path, *, lines: int, lines_per_document: int) -> None:
    """A sales file of ``lines`` lines, written a document at a time; every 20th document returns
    one unit of each line of the invoice before it."""
    with path.open("w", encoding="utf-8", newline="") as buffer:
        _csv_write(buffer, lines=lines, lines_per_document=lines_per_document)


def _csv_write(buffer, *, lines: int, lines_per_document: int) -> None:  # type: ignore[no-untyped-def]
    buffer.write(
        "document_number,kind,document_date,customer_code,currency,reverses,due_date,paid_amount,"
        "line_number,sku,quantity,unit_price,net_amount\n"
    )
    written = 0
    document = 0
    while written < lines:
        document += 1
        customer = f"C{document % CUSTOMERS:05d}"
        day = 1 + document % 28
        month = 1 + document % 12
        is_return = document % 20 == 0
        number = f"RET-{document:08d}" if is_return else f"INV-{document:08d}"
        kind = "return" if is_return else "invoice"
        reverses = f"INV-{document - 1:08d}" if is_return else ""
        if is_return:
            customer = f"C{(document - 1) % CUSTOMERS:05d}"
        # A return takes back one unit of each line of the invoice before it: same SKU and price.
        source = document - 1 if is_return else document
        count = min(lines_per_document, lines - written)
        for line_number in range(1, count + 1):
            sku = f"SKU-{(source * 7 + line_number) % PRODUCTS:05d}"
            quantity = 1 if is_return else 1 + (document + line_number) % 9
            unit_price_minor = 500 + (source * 13 + line_number) % 20_000
            net_minor = quantity * unit_price_minor * 95 // 100
            buffer.write(
                f"{number},{kind},2025-{month:02d}-{day:02d},{customer},CNY,{reverses},,,{line_number},{sku},"
                f"{quantity},{unit_price_minor // 100}.{unit_price_minor % 100:02d},"
                f"{net_minor // 100}.{net_minor % 100:02d}\n"
            )
        written += count


def floor_lines_per_second(path: Path) -> float:
    """The file's lines read with ``csv`` and written as plain rows into a bare table."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_floor (number VARCHAR(64), line_number INTEGER, sku VARCHAR(64), "
                       "basis_date DATE, quantity_milli BIGINT, unit_price_minor BIGINT, net_amount_minor BIGINT)")
        with path.open(encoding="utf-8", newline="") as source:
            reader = csv.reader(source)
            next(reader)
            rows = ((r[0], int(r[8]), r[9], r[2], int(r[10]) * 1000, _minor(r[11]), _minor(r[12])) for r in reader)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bench_floor FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                while True:
                    chunk = [row for _, row in zip(range(50_000), rows, strict=False)]
                    if not chunk:
                        break
                    cursor.executemany("INSERT INTO bench_floor VALUES (%s, %s, %s, %s, %s, %s, %s)", chunk)
        cursor.execute("SELECT COUNT(*) FROM bench_floor")
        count = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_floor")
    return count / (time.perf_counter() - started)


def _minor(text: str) -> int:
    yuan, _, fen = text.partition(".")
    return int(yuan) * 100 + int(fen or 0)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--lines-per-document", type=int, default=4)
    arguments = parser.parse_args(argv)

    scratch = django_on_scratch_database()
    from datetime import date

    from django.db import connection

    from fanli.catalog.models import Category, Product
    from fanli.customers.models import Customer
    from fanli.imports.services import import_file
    from fanli.sales.models import SalesLine

    Customer.objects.bulk_create(
        [Customer(code=f"C{number:05d}", name=f"Customer {number}", kind="dealer", start_date=date(2020, 1, 1))
         for number in range(CUSTOMERS)],
        ignore_conflicts=True,
    )
    category, _ = Category.objects.get_or_create(code="BENCH", defaults={"name": "Bench"})
    Product.objects.bulk_create(
        [Product(sku=f"SKU-{number:05d}", name=f"Product {number}", category=category) for number in range(PRODUCTS)],
        ignore_conflicts=True,
    )
    path = Path(scratch.name) / "bench.csv"
    generate_csv(path, lines=arguments.lines, lines_per_document=arguments.lines_per_document)
    lines_before = SalesLine.objects.count()
    rss_before = peak_rss_mb()

    started = time.perf_counter()
    batch = import_file(kind="sales", path=path, filename="bench.csv", actor=None)
    first_seconds = time.perf_counter() - started
    rss_after = peak_rss_mb()
    started = time.perf_counter()
    again = import_file(kind="sales", path=path, filename="bench.csv", actor=None)
    second_seconds = time.perf_counter() - started

    if batch.status != "done" or batch.rows_created != arguments.lines:
        raise SystemExit(f"import failed: {batch.status}, {batch.rows_created} created, errors {batch.errors[:5]}")
    if again.rows_unchanged != arguments.lines or SalesLine.objects.count() != lines_before + arguments.lines:
        raise SystemExit("re-import changed something")
    floor = floor_lines_per_second(path)
    result = {
        "lines": float(arguments.lines),
        "seconds": first_seconds,
        "lines_per_second": arguments.lines / first_seconds,
        "reimport_lines_per_second": arguments.lines / second_seconds,
        "peak_rss_mb": rss_after,
        "floor_lines_per_second": floor,
    }
    print(
        f"{arguments.lines:,} lines imported in {first_seconds:.2f}s: {result['lines_per_second']:,.0f} lines/s "
        f"(re-import, all unchanged: {result['reimport_lines_per_second']:,.0f} lines/s) "
        f"on {connection.vendor}"
    )
    print(f"peak RSS: {rss_after:,.0f} MB after the import ({rss_before:,.0f} MB before it; file "
          f"{os.path.getsize(path) / 1e6:,.0f} MB)")
    floor_kind = "COPY" if connection.vendor == "postgresql" else "executemany"
    print(f"floor: csv read + plain {floor_kind} into a bare table: {floor:,.0f} lines/s "
          f"(import at {result['lines_per_second'] / floor:.0%} of it)")
    print(f"\n| `fanli import sales`, {'PostgreSQL' if connection.vendor == 'postgresql' else 'SQLite'}, "
          f"{arguments.lines:,} lines | {result['lines_per_second']:,.0f} lines/s, peak RSS {rss_after:,.0f} MB "
          f"| plain {floor_kind}: {floor:,.0f} lines/s |")
    scratch.cleanup()
    return result


if __name__ == "__main__":
    main()
