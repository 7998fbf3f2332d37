"""Benchmark: validate and insert a large sales CSV.

    .venv/bin/python bench/import_sales.py [--lines 1000000] [--lines-per-document 4]

Creates a scratch SQLite database in a temporary directory (unless ``DATABASE_URL`` is set),
generates customers, products and a sales CSV of ``--lines`` lines (invoices with a few
returns), imports it with ``fanli.sales.importing.import_file`` and prints lines per second.
It then imports the same file again, which must change nothing, and prints that time too.
"""

from __future__ import annotations

import argparse
import io
import time

from scratch import django_on_scratch_database  # the script's own folder is on sys.path

CUSTOMERS = 2_000
PRODUCTS = 5_000


def generate_csv(*, lines: int, lines_per_document: int) -> bytes:
    """A sales file of ``lines`` lines; every 20th document returns one unit of each line of the
    invoice before it."""
    buffer = io.StringIO()
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
    return buffer.getvalue().encode("utf-8")


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
    from fanli.sales.importing import import_file
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
    content = generate_csv(lines=arguments.lines, lines_per_document=arguments.lines_per_document)
    lines_before = SalesLine.objects.count()

    started = time.perf_counter()
    batch = import_file(kind="sales", content=content, filename="bench.csv", actor=None)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = import_file(kind="sales", content=content, filename="bench.csv", actor=None)
    second_seconds = time.perf_counter() - started

    if batch.status != "done" or batch.rows_created != arguments.lines:
        raise SystemExit(f"import failed: {batch.status}, {batch.rows_created} created, errors {batch.errors[:5]}")
    if again.rows_unchanged != arguments.lines or SalesLine.objects.count() != lines_before + arguments.lines:
        raise SystemExit("re-import changed something")
    result = {
        "lines": float(arguments.lines),
        "seconds": first_seconds,
        "lines_per_second": arguments.lines / first_seconds,
        "reimport_lines_per_second": arguments.lines / second_seconds,
    }
    print(
        f"{arguments.lines:,} lines imported in {first_seconds:.2f}s: {result['lines_per_second']:,.0f} lines/s "
        f"(re-import, all unchanged: {result['reimport_lines_per_second']:,.0f} lines/s) "
        f"on {connection.vendor}"
    )
    scratch.cleanup()
    return result


if __name__ == "__main__":
    main()
