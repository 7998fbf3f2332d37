"""Benchmark: discount quote latency, in process, as a point-of-sale system would call it.

    .venv/bin/python bench/quote.py [--rules 50] [--lines 20] [--quotes 500] [--customers 1500]

Loads the demo master data (customers with grades, the product catalogue; no sales needed)
into a scratch SQLite database (or the empty database ``DATABASE_URL`` names), publishes
``--rules`` discount rules of every kind (grade ladders, percent and amount off, scopes by
category, brand and SKU, windows, exclusive and additive with caps, limits and budgets), then
times ``--quotes`` quotes of ``--lines`` random lines for random customers through the same
``quote_prepare`` the API and CLI call (database reads included), and records 50 invoices.

It prints the median and the 99th percentile in milliseconds (goal: p99 under 20 ms).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from datetime import date

from scratch import django_on_scratch_database  # the script's own folder is on sys.path


def _rules(count: int, rng: random.Random, categories: list[str], brands: list[str], skus: list[str]) -> list[str]:
    texts = []
    for index in range(count):
        kind = index % 5
        head = f"code: r{index:03d}\nname: rule {index}\nvalid_from: 2026-01-01\npriority: {rng.randint(1, 200)}\n"
        if kind == 0:
            body = "discount: {type: grade_ladder, grades: {normal: 2, vip: 5, svip: 8}, default_percent: 1}\n"
        elif kind == 1:
            body = (f"discount: {{type: percent, percent: {rng.randint(1, 10)}}}\n"
                    f"scope: {{include: {{categories: [{rng.choice(categories)}]}}}}\n"
                    f"windows: [{{name: w{index}, from: 2026-11-01, until: 2026-11-30, extra_percent: 2}}]\n")
        elif kind == 2:
            body = (f"discount: {{type: percent, percent: {rng.randint(1, 5)}}}\nstacking: additive\n"
                    f"additive_cap_percent: {rng.randint(8, 15)}\nscope: {{include: {{brands: [{rng.choice(brands)}]}}}}\n"
                    f"limits: {{budget: {rng.randint(50_000, 500_000)}, uses_per_customer: 20}}\n")
        elif kind == 3:
            picked = ", ".join(rng.sample(skus, 10))
            body = (f"discount: {{type: amount_per_unit, amount: {rng.randint(1, 20)}}}\n"
                    f"scope: {{include: {{skus: [{picked}]}}}}\nconditions: {{min_quantity: 2}}\n")
        else:
            body = (f"discount: {{type: percent, percent: {rng.randint(2, 12)}}}\n"
                    f"eligibility: {{kinds: [{rng.choice(['distributor', 'dealer', 'retailer'])}]}}\n"
                    f"conditions: {{min_order_amount: {rng.randint(1_000, 20_000)}}}\n")
        texts.append(head + body)
    return texts


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--quotes", type=int, default=500)
    parser.add_argument("--customers", type=int, default=1_500)
    arguments = parser.parse_args(argv)

    scratch = django_on_scratch_database()
    from django.db import connection

    from fanli.catalog.models import Brand, Category, Product
    from fanli.customers.models import Customer
    from fanli.demo.services import demo_load
    from fanli.discounts.selectors import LineRequest, quote_prepare
    from fanli.discounts.services import discount_rule_apply, invoice_discounts_record

    rng = random.Random(7)
    demo_load(customers=arguments.customers, lines=1_000, today=date(2026, 11, 1), publish_policies=False)
    categories = list(Category.objects.values_list("code", flat=True))
    brands = list(Brand.objects.values_list("code", flat=True))
    skus = list(Product.objects.values_list("sku", flat=True))
    customers = list(Customer.objects.values_list("code", flat=True))
    for text in _rules(arguments.rules, rng, categories, brands, skus):
        discount_rule_apply(text=text, actor=None)
    print(f"{arguments.rules} rules, {len(skus)} products, {len(customers):,} customers on {connection.vendor}")

    def order() -> tuple[str, list[LineRequest]]:
        return rng.choice(customers), [LineRequest(rng.choice(skus), str(rng.randint(1, 30)))
                                       for _ in range(arguments.lines)]

    day = date(2026, 11, 20)
    gc.collect()
    gc.freeze()  # as the server does once started (fanli/wsgi.py): start-up objects leave the collector's scans
    for _ in range(20):  # warm-up: parsed rules cached, connections open
        who, lines = order()
        quote_prepare(actor=None, customer_code=who, day=day, lines=lines)
    timings, discounted = [], 0
    for _ in range(arguments.quotes):
        who, lines = order()
        started = time.perf_counter()
        result = quote_prepare(actor=None, customer_code=who, day=day, lines=lines)
        timings.append((time.perf_counter() - started) * 1000)
        discounted += bool(result.discount_minor)
    records = []
    for number in range(50):
        who, lines = order()
        started = time.perf_counter()
        invoice_discounts_record(invoice_number=f"BENCH-{number}", customer_code=who, day=day, lines=lines, actor=None)
        records.append((time.perf_counter() - started) * 1000)
    figures = {
        "quote_median_ms": statistics.median(timings),
        "quote_p99_ms": statistics.quantiles(timings, n=100)[98],
        "record_median_ms": statistics.median(records),
        "record_p99_ms": statistics.quantiles(records, n=100)[98],
    }
    print(f"{arguments.quotes} quotes of {arguments.lines} lines ({discounted} with a discount): "
          f"median {figures['quote_median_ms']:.2f} ms, p99 {figures['quote_p99_ms']:.2f} ms "
          f"({'under' if figures['quote_p99_ms'] < 20 else 'OVER'} the 20 ms goal)")
    print(f"50 invoices recorded: median {figures['record_median_ms']:.2f} ms, p99 {figures['record_p99_ms']:.2f} ms")
    scratch.cleanup()
    return figures


if __name__ == "__main__":
    main()
