"""Benchmark: ``fanli import sales FILE`` on a large sales CSV, against the plain-insert floor.

    .venv/bin/python bench/import_sales.py [--lines 1000000] [--lines-per-document 4]

Creates a scratch SQLite database in a temporary directory (unless ``DATABASE_URL`` is set, then
that empty database is used), migrated by ``fanli migrate``, with customers and products. Writes a
sales CSV of ``--lines`` lines (invoices, every 20th document a return of one unit of each line of
the invoice before it) to a file, then in one run:

1. the floor: the same documents and lines written straight into the sales tables with the bulk
   layer (``executemany`` of one prepared ``INSERT`` on SQLite, ``COPY`` on PostgreSQL), no
   validation, in a transaction that is rolled back (on PostgreSQL the tables are then rewritten
   by ``VACUUM FULL``, so the import meets them as the CLI left them, not bloated by the floor);
2. ``fanli import sales FILE`` as a command of its own (every check, the database as the command
   leaves it); its lines per second and its peak resident memory;
3. the same command again, which must change nothing.

A file of more than 2,000,000 lines needs ``FANLI_IMPORT_MAX_ROWS``; the benchmark sets it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from scratch import django_on_scratch_database  # the script's own folder is on sys.path

CUSTOMERS = 2_000
PRODUCTS = 5_000
ROOT = Path(__file__).resolve().parent.parent


def documents(*, lines: int, lines_per_document: int) -> Iterator[tuple[int, str, str, str, str, list[tuple]]]:
    """``(document, number, kind, date, customer, reverses, lines)`` of the benchmark's file, where
    each line is ``(line_number, sku, quantity, unit_price_minor, net_minor)``. Every 20th document
    returns one unit of each line of the invoice before it."""
    written = 0
    document = 0
    while written < lines:
        document += 1
        is_return = document % 20 == 0
        source = document - 1 if is_return else document
        customer = f"C{source % CUSTOMERS:05d}"
        number = f"RET-{document:08d}" if is_return else f"INV-{document:08d}"
        reverses = f"INV-{document - 1:08d}" if is_return else ""
        document_date = f"2025-{1 + document % 12:02d}-{1 + document % 28:02d}"
        count = min(lines_per_document, lines - written)
        items = []
        for line_number in range(1, count + 1):
            sku = f"SKU-{(source * 7 + line_number) % PRODUCTS:05d}"
            quantity = 1 if is_return else 1 + (document + line_number) % 9
            unit_price_minor = 500 + (source * 13 + line_number) % 20_000
            items.append((line_number, sku, quantity, unit_price_minor, quantity * unit_price_minor * 95 // 100))
        yield document, number, "return" if is_return else "invoice", document_date, customer, reverses, items
        written += count


def write_csv(path: Path, *, lines: int, lines_per_document: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("document_number,kind,document_date,customer_code,currency,reverses,due_date,paid_amount,"
                  "line_number,sku,quantity,unit_price,net_amount\n")
        for _document, number, kind, document_date, customer, reverses, items in documents(
            lines=lines, lines_per_document=lines_per_document
        ):
            out.writelines(
                f"{number},{kind},{document_date},{customer},CNY,{reverses},,,{line_number},{sku},{quantity},"
                f"{unit_price_minor // 100}.{unit_price_minor % 100:02d},{net_minor // 100}.{net_minor % 100:02d}\n"
                for line_number, sku, quantity, unit_price_minor, net_minor in items
            )


def floor_seconds(*, lines: int, lines_per_document: int) -> tuple[float, float]:
    """The same rows written with the bulk layer and no checks, rolled back: the floor's elapsed
    and CPU seconds (of this process)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fanli.catalog.models import Product
    from fanli.common.bulk import rows_insert
    from fanli.customers.models import Customer
    from fanli.sales.models import SalesDocument, SalesLine

    customers = dict(Customer.objects.values_list("code", "id"))
    products = dict(Product.objects.values_list("sku", "id"))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    document_fields = ["number", "kind", "document_date", "basis_date", "customer", "currency", "reverses",
                       "total_minor", "paid_minor", "content_sha256", "recorded_at"]
    line_fields = ["document", "line_number", "product", "quantity_milli", "unit_price_minor", "net_amount_minor",
                   "customer", "basis_date", "is_return"]
    chunk = 10_000
    started = time.perf_counter()
    cpu_started = time.process_time()
    with transaction.atomic():
        first_id = (SalesDocument.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        document_rows: list[tuple] = []
        line_rows: list[tuple] = []
        for document, number, kind, document_date, customer, _reverses, items in documents(
            lines=lines, lines_per_document=lines_per_document
        ):
            sign = -1 if kind == "return" else 1
            document_id = first_id + document - 1
            document_rows.append((number, kind, document_date, document_date, customers[customer], "CNY", None,
                                  sign * sum(item[4] for item in items), 0, "", now))
            line_rows.extend(
                (document_id, line_number, products[sku], sign * quantity * 1000, unit_price_minor, sign * net_minor,
                 customers[customer], document_date, kind == "return")
                for line_number, sku, quantity, unit_price_minor, net_minor in items
            )
            if len(line_rows) >= chunk:
                rows_insert(SalesDocument, document_fields, document_rows)
                rows_insert(SalesLine, line_fields, line_rows)
                document_rows, line_rows = [], []
        rows_insert(SalesDocument, document_fields, document_rows)
        rows_insert(SalesLine, line_fields, line_rows)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        transaction.set_rollback(True)
    return seconds, cpu


# Runs the command and reports its own peak memory and CPU time. A process started from this one
# would count this process's memory at the fork in its peak (Linux keeps the larger of the two
# across exec); a small process in between starts the command from its own few megabytes.
_MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(f'{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def command(arguments: list[str], environment: dict[str, str]) -> tuple[float, float, float, str]:
    """Run ``fanli ARGUMENTS``; answer its elapsed seconds, CPU seconds, peak RSS (MB) and output."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", _MEASURED, sys.executable, "-m", "fanli.cli", *arguments],
                               cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"fanli {' '.join(arguments)} failed:\n{completed.stdout}\n{completed.stderr}")
    peak_kib, cpu = completed.stderr.strip().splitlines()[-1].split()
    return seconds, float(cpu), int(peak_kib) / 1024, completed.stdout


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--lines-per-document", type=int, default=4)
    arguments = parser.parse_args(argv)
    lines = arguments.lines
    if lines >= 2_000_000:
        os.environ["FANLI_IMPORT_MAX_ROWS"] = str(lines + 1)

    scratch = django_on_scratch_database()
    from datetime import date

    from django.db import connection

    from fanli.catalog.models import Category, Product
    from fanli.customers.models import Customer
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
    path = Path(scratch.name) / "sales.csv"
    write_csv(path, lines=lines, lines_per_document=arguments.lines_per_document)
    lines_before = SalesLine.objects.count()

    floor, floor_cpu = floor_seconds(lines=lines, lines_per_document=arguments.lines_per_document)
    if connection.vendor == "postgresql":
        # The floor's rolled-back rows stay in PostgreSQL's tables and indexes as dead rows and
        # bloat until a vacuum rewrites them. They are the benchmark's own leftovers, not the
        # product's: the tables go back to what the CLI left before the product is measured.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL sales_salesline, sales_salesdocument")
    connection.close()  # the command is the only writer while it runs
    environment = dict(os.environ)
    first_seconds, first_cpu, peak_mb, _output = command(["import", "sales", str(path)], environment)
    second_seconds, _second_cpu, second_peak_mb, output = command(["import", "sales", str(path)], environment)
    peak_mb = max(peak_mb, second_peak_mb)

    if SalesLine.objects.count() != lines_before + lines or f"{lines} unchanged" not in output:
        raise SystemExit(f"the import did not create every line once: {output}")
    result = {
        "lines": float(lines),
        "seconds": first_seconds,
        "lines_per_second": lines / first_seconds,
        "reimport_lines_per_second": lines / second_seconds,
        "floor_lines_per_second": lines / floor,
        "peak_rss_mb": peak_mb,
        "cpu_seconds": first_cpu,
    }
    floor_kind = "COPY" if connection.vendor == "postgresql" else "executemany"
    print(
        f"{lines:,} lines imported in {first_seconds:.2f}s: {result['lines_per_second']:,.0f} lines/s "
        f"(the command's own CPU time {first_cpu:.2f}s), "
        f"peak RSS {peak_mb:,.0f} MB (re-import, all unchanged: {result['reimport_lines_per_second']:,.0f} lines/s) "
        f"on {connection.vendor}; floor (plain {floor_kind} of the same rows, no checks): "
        f"{result['floor_lines_per_second']:,.0f} lines/s in {floor:.2f}s (CPU {floor_cpu:.2f}s); import / floor: "
        f"{result['lines_per_second'] / result['floor_lines_per_second']:.2f}"
    )
    scratch.cleanup()
    return result


if __name__ == "__main__":
    main()
