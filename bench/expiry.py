"""Benchmark: a day's points expiry over many lots.

    .venv/bin/python bench/expiry.py [--lots 1000000] [--members 20000]

Fills a scratch SQLite database (or the empty database ``DATABASE_URL`` names) with ``--lots``
point lots spread over ``--members`` members and two years of expiry dates, with about half of
them past their last day and holding points, then times ``points_expire`` (the daily run), runs
it again (it must expire nothing) and checks that balances still equal the sum of movements.
Goal: under 10 s for 1,000,000 lots on SQLite.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

from scratch import django_on_scratch_database  # the script's own folder is on sys.path

PROGRAMME = """
code: club
name: club
valid_from: 2024-01-01
point_value: 0.01
tiers: [{code: basic, name: basic, from_spend: 0, earn_percent: 5}]
expiry: {rule: months_after_earning, months: 12}
"""


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    arguments = parser.parse_args(argv)
    scratch = django_on_scratch_database()
    from django.db import connection, transaction
    from django.db.models import Sum

    from fanli.common.bulk import rows_insert
    from fanli.customers.models import Customer
    from fanli.loyalty.models import Member, PointLot, PointMovement
    from fanli.loyalty.services import points_expire, programme_apply

    rng = random.Random(11)
    today = date(2026, 11, 1)
    started = time.perf_counter()
    programme, _ = programme_apply(text=PROGRAMME, actor=None)
    with transaction.atomic():
        Customer.objects.bulk_create([Customer(code=f"M{i:06d}", name=f"member {i}", kind="member",
                                               start_date=date(2024, 1, 1)) for i in range(arguments.members)],
                                     batch_size=5_000)
        customers = list(Customer.objects.values_list("id", flat=True))
        Member.objects.bulk_create([Member(programme=programme, customer_id=c, tier_code="basic", tier_since=today,
                                           joined_on=today) for c in customers], batch_size=5_000)
        members = list(Member.objects.values_list("id", flat=True))
        lots = []
        for number in range(arguments.lots):
            earned = today - timedelta(days=rng.randint(0, 730))
            points = rng.randint(1, 2_000)
            lots.append((members[number % len(members)], "purchase", f"L{number}", earned, earned + timedelta(days=365),
                         points, points if rng.random() < 0.8 else rng.randint(0, points), 0))
        rows_insert(PointLot, ["member", "source", "source_ref", "earned_on", "expires_on", "points", "remaining",
                               "net_minor"], lots)
        with connection.cursor() as cursor:  # one earning movement per lot, so lots and ledger agree
            cursor.execute("INSERT INTO loyalty_pointmovement (member_id, lot_id, kind, day, points, reference, "
                           "reason, created_at) SELECT member_id, id, 'earn', earned_on, remaining, source_ref, '', "
                           "CURRENT_TIMESTAMP FROM loyalty_pointlot")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    due = PointLot.objects.filter(expires_on__lt=today, remaining__gt=0).count()
    print(f"{arguments.lots:,} lots for {arguments.members:,} members on {connection.vendor}, {due:,} to expire "
          f"(set up in {time.perf_counter() - started:.0f} s)")
    started = time.perf_counter()
    expired = points_expire(day=today)
    seconds = time.perf_counter() - started
    print(f"expiry run: {expired:,} lots expired in {seconds:.2f} s "
          f"({'under' if seconds < 10 else 'OVER'} the 10 s goal)")
    started = time.perf_counter()
    assert points_expire(day=today) == 0, "a second run must expire nothing"
    print(f"expiry run again: nothing to do, {time.perf_counter() - started:.2f} s")
    lots_total = PointLot.objects.aggregate(total=Sum("remaining"))["total"]
    moves_total = PointMovement.objects.aggregate(total=Sum("points"))["total"]
    assert lots_total == moves_total, (lots_total, moves_total)
    print(f"balances check: lot remainders {lots_total:,} = movements {moves_total:,}")
    scratch.cleanup()
    return {"expiry_seconds": seconds, "expired": float(expired)}


if __name__ == "__main__":
    main()
