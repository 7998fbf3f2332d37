"""Revision counters: what changed since a computation last looked.

Settlement must not recompute years of settled periods to find the one late invoice, yet it must
never miss it. So every service that writes a fact a rebate computation reads raises a counter
for that kind of fact, in the same transaction as the write; a computation reads the counters
*before* it reads the data, and stores what it saw. A later run compares: equal counters mean
nothing it read has changed since; a concurrent write can only make a counter look newer than
the data that was read (an unneeded recheck), never older (a missed one).

Keys (``Revision.key``):

- ``sales:YYYY-MM``: sales lines whose basis date (the period deciding date; a return's is its
  invoice's) falls in that month were added, changed or removed;
- ``paid:YYYY-MM``: the paid amount of documents with that basis month changed (paid-basis
  policies only);
- ``customer:<fact>``: that eligibility fact of some customer changed (``status``, ``kind``,
  ``grade``, ``region``, ``tags``, ``start_date``, ``parent``, ``relationship``, ``abc``,
  ``lifecycle``); creating a customer changes none, as a customer without sales counts nowhere;
- ``catalog:category`` (a product's category, or a category's parent) and ``catalog:brand``
  (a product's brand);
- ``enrolments:<policy id>``: an enrolment of that policy was created, changed or removed.

A bump is one statement however many keys it raises (an upsert), so a bulk import of a million
lines raises each month it touched once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection

from .models import Revision

CUSTOMER_FACTS = ("status", "kind", "grade", "region", "tags", "start_date", "parent", "relationship", "abc",
                  "lifecycle")
CATALOG_FACTS = ("category", "brand")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def sales_key(day: date) -> str:
    return f"sales:{month_of(day)}"


def paid_key(day: date) -> str:
    return f"paid:{month_of(day)}"


def customer_key(fact: str) -> str:
    assert fact in CUSTOMER_FACTS, fact
    return f"customer:{fact}"


def catalog_key(fact: str) -> str:
    assert fact in CATALOG_FACTS, fact
    return f"catalog:{fact}"


def enrolments_key(policy_id: int) -> str:
    return f"enrolments:{policy_id}"


def months_between(start: date, end: date) -> list[str]:
    """Every month ``YYYY-MM`` from the one holding ``start`` to the one holding ``end``."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def revisions_bump(keys: Iterable[str]) -> None:
    """Raise each counter by one, creating it at 1; call inside the transaction of the write.

    Keys are raised in sorted order, so two writers raising overlapping keys never deadlock."""
    ordered = sorted(set(keys))
    if not ordered:
        return
    table = connection.ops.quote_name(Revision._meta.db_table)
    values = ", ".join(["(%s, 1)"] * len(ordered))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({connection.ops.quote_name('key')}, value) VALUES {values} "
            f"ON CONFLICT ({connection.ops.quote_name('key')}) DO UPDATE SET value = {table}.value + 1",
            ordered,
        )


def revisions_bump_sales(days: Iterable[date], *, paid: bool = False) -> None:
    """Raise the sales (or, with ``paid``, the payments) counter of each month among ``days``."""
    key = paid_key if paid else sales_key
    revisions_bump({key(day) for day in days if day is not None})


def revisions_bump_sales_between(start: date, end: date) -> None:
    """Raise the sales counter of every month from ``start`` to ``end`` (a bulk load)."""
    revisions_bump(f"sales:{month}" for month in months_between(start, end))


def revisions_read(keys: Iterable[str]) -> dict[str, int]:
    """The counters' current values; a key never raised reads 0."""
    wanted = set(keys)
    found = dict(Revision.objects.filter(key__in=wanted).values_list("key", "value")) if wanted else {}
    return {key: found.get(key, 0) for key in wanted}
