"""Benchmark: discount quote latency as a caller gets it, database reads included.

    .venv/bin/python bench/quote.py [--rules 50] [--lines 20] [--quotes 500] [--customers 1500]

Loads the demo master data (customers with grades, the product catalogue, loyalty members; no
sales needed) into a scratch SQLite database (or the empty database ``DATABASE_URL`` names),
publishes ``--rules`` discount rules of every kind (grade ladders, percent and amount off, scopes
by category, brand and SKU, windows, exclusive and additive with caps, limits and budgets), and
leaves the database as the commands leave it (no ``ANALYZE`` of its own). Then it times
``--quotes`` quotes of ``--lines`` random lines for random customers, twice:

- the service call (``quote_prepare``, what the API, the page and the CLI call: every read of the
  customer, products, rules in force with their uses, loyalty tier and rebate credit);
- the whole API request (``POST /api/quotes`` with a token, through Django's WSGI handler as the
  production server calls it: middleware, authentication, JSON in and out), as a point-of-sale
  system calls it, minus the network.

It then records 50 invoices (locks, usage rows). Prints p50, p95 and p99 in milliseconds
(goal: p99 under 20 ms).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from datetime import date

from scratch import django_on_scratch_database  # the script's own folder is on sys.path

GOAL_MS = 20


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
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished
    from django.db import connection

    from fanli.catalog.models import Brand, Category, Product
    from fanli.common.heap import settle_while_warming
    from fanli.common.services import api_token_create
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

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    admin = get_user_model().objects.get(username="admin")
    authorization = f"Bearer {api_token_create(user=admin, name='bench')}"
    application = WSGIHandler()  # what gunicorn calls; Django's test client would add its own signal handling
    day = date(2026, 11, 20)

    def service(who: str, lines: list[LineRequest]) -> bool:
        return bool(quote_prepare(actor=admin, customer_code=who, day=day, lines=lines).discount_minor)

    def api(who: str, lines: list[LineRequest]) -> bool:
        body = {"customer": who, "date": day.isoformat(),
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in lines]}
        payload = json.dumps(body).encode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/quotes", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(payload),
                   "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(payload)),
                   "HTTP_AUTHORIZATION": authorization, "wsgi.errors": sys.stderr}
        status: list[str] = []
        response = application(environ, lambda code, headers, *_: status.append(code))
        content = b"".join(response)
        response.close()
        assert status[0].startswith("200"), content[:500]
        return bool(json.loads(content)["discount_minor"])

    settle_while_warming(request_finished)  # as the server does once started (fanli/wsgi.py, fanli/common/heap.py)
    figures: dict[str, float] = {}
    for label, call in (("service call", service), ("API request", api)):
        for _ in range(20):  # warm-up: parsed rules remembered, connections open
            call(*order())
        timings, cpu, discounted = [], [], 0
        for _ in range(arguments.quotes):
            who, lines = order()
            started, started_cpu = time.perf_counter(), time.process_time()
            discounted += call(who, lines)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        p50, p95, p99 = _percentiles(timings)
        key = "quote" if call is service else "api"
        figures |= {f"{key}_p50_ms": p50, f"{key}_p95_ms": p95, f"{key}_p99_ms": p99}
        print(f"{arguments.quotes} quotes of {arguments.lines} lines, {label} ({discounted} with a discount): "
              f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms "
              f"({'under' if p99 < GOAL_MS else 'OVER'} the {GOAL_MS} ms goal)")
        # the process's own CPU time (the database is in process on SQLite): what other work on the machine
        # adds to the elapsed time shows as the difference
        print("    CPU time of this process: p50 {:.2f} ms, p95 {:.2f} ms, p99 {:.2f} ms".format(*_percentiles(cpu)))
    records = []
    for number in range(50):
        who, lines = order()
        started = time.perf_counter()
        invoice_discounts_record(invoice_number=f"BENCH-{number}", customer_code=who, day=day, lines=lines, actor=admin)
        records.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = _percentiles(records)
    figures |= {"record_p50_ms": p50, "record_p95_ms": p95, "record_p99_ms": p99}
    print(f"50 invoices recorded: p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms")
    scratch.cleanup()
    return figures


def _percentiles(timings: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return statistics.median(timings), cuts[94], cuts[98]


if __name__ == "__main__":
    main()
