"""Watching discounts for abuse: reads only, each alert with a reason a person can check.

- **Order splitting**: a customer with several discounted invoices on one day, each just above
  a rule's minimum order amount, as if one order had been cut in pieces to earn the discount
  several times.
- **Buy then return around a period end**: invoices in the last days of a quarter returned in
  the first days of the next, which inflates the quarter's volume (tier, rebate) and then undoes
  it.
- **Discount share far above peers**: a customer whose discounts are a much larger share of
  their purchases than the median of customers with the same grade.

Each check is one grouped query (or two), whatever the data size.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum

from fanli.common.money import format_minor, major_to_minor_exact
from fanli.common.periods import PeriodKind, period_containing
from fanli.customers.models import Customer
from fanli.sales.models import DocumentKind, SalesDocument

from .models import DiscountedInvoice, DiscountUsage
from .selectors import parsed_rule, published_rule_versions

SPLIT_MARGIN = Decimal("0.2")  # "just above" the minimum: at most 20 % above it
SPLIT_MIN_INVOICES = 2
RETURN_DAYS = 10  # days before a quarter's end (purchase) and after it (return)
RETURN_MIN_MINOR = 1_000_000  # ¥10,000.00 returned at least
PEER_FACTOR = Decimal(2)  # share at least twice the peers' median ...
PEER_MIN_POINTS = Decimal(5)  # ... and at least five percentage points above it
PEER_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Alert:
    kind: str  # order_splitting | buy_then_return | discount_share
    customer: str
    day: date
    reason: str
    amount_minor: int


def order_splitting(*, since: date, until: date) -> list[Alert]:
    thresholds = {}
    for version in published_rule_versions():
        minimum = parsed_rule(version).conditions.min_order_amount
        if minimum is not None:
            thresholds[version.rule_id] = (version.rule.code, major_to_minor_exact(minimum))
    if not thresholds:
        return []
    invoices = (DiscountUsage.objects.filter(rule_id__in=thresholds, invoice_date__gte=since, invoice_date__lte=until)
                .values("rule_id", "customer__code", "invoice_date", "invoice_number").distinct())
    gross = dict(DiscountedInvoice.objects.filter(number__in={row["invoice_number"] for row in invoices})
                 .values_list("number", "gross_minor"))
    groups: dict[tuple[int, str, date], list[int]] = defaultdict(list)
    for row in invoices:
        floor_minor = thresholds[row["rule_id"]][1]
        amount = gross.get(row["invoice_number"], 0)
        if floor_minor <= amount <= floor_minor * (1 + SPLIT_MARGIN):
            groups[(row["rule_id"], row["customer__code"], row["invoice_date"])].append(amount)
    alerts = []
    for (rule_id, customer, day), amounts in sorted(groups.items(), key=lambda item: (item[0][2], item[0][1])):
        if len(amounts) >= SPLIT_MIN_INVOICES:
            rule_code, floor_minor = thresholds[rule_id]
            alerts.append(Alert("order_splitting", customer, day, (
                f"{len(amounts)} invoices on {day}, each between {format_minor(floor_minor)} and "
                f"{format_minor(int(floor_minor * (1 + SPLIT_MARGIN)))} (rule {rule_code}'s minimum order is "
                f"{format_minor(floor_minor)}): together {format_minor(sum(amounts))}, one order cut in pieces?"),
                sum(amounts)))
    return alerts


def buy_then_return(*, since: date, until: date) -> list[Alert]:
    """Returns in the first days of a quarter of invoices from the last days of the one before."""
    returns = (SalesDocument.objects.filter(kind=DocumentKind.RETURN, reverses__isnull=False,
                                            document_date__gte=since, document_date__lte=until)
               .values("customer__code", "document_date", "reverses__document_date", "total_minor"))
    buckets: dict[tuple[str, date, str], int] = defaultdict(int)
    for row in returns:
        bought, returned = row["reverses__document_date"], row["document_date"]
        quarter = period_containing(bought, PeriodKind.QUARTER)
        if (quarter.end - bought).days < RETURN_DAYS and 0 < (returned - quarter.end).days <= RETURN_DAYS:
            buckets[(row["customer__code"], quarter.end, quarter.key)] += -row["total_minor"]
    alerts = []
    for (customer, end, quarter_key), amount in sorted(buckets.items()):
        if amount >= RETURN_MIN_MINOR:
            alerts.append(Alert("buy_then_return", customer, end, (
                f"{format_minor(amount)} bought in the last {RETURN_DAYS} days of {quarter_key} and returned "
                f"within {RETURN_DAYS} days after it: the quarter's volume (tier, rebate) looked larger than it was"),
                amount))
    return alerts


def discount_share(*, until: date) -> list[Alert]:
    since = until - timedelta(days=PEER_WINDOW_DAYS)
    rows = (DiscountedInvoice.objects.filter(invoice_date__gte=since, invoice_date__lte=until, gross_minor__gt=0)
            .values("customer_id").annotate(gross=Sum("gross_minor"), discount=Sum("discount_minor"),
                                            invoices=Count("id")))
    facts = {c.pk: (c.code, c.grade.code if c.grade else "-")
             for c in Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).select_related("grade")}
    shares: dict[str, list[tuple[str, Decimal, int]]] = defaultdict(list)
    for row in rows:
        code, grade = facts[row["customer_id"]]
        shares[grade].append((code, Decimal(row["discount"] or 0) * 100 / Decimal(row["gross"]), row["discount"] or 0))
    alerts = []
    for grade, members in sorted(shares.items()):
        if len(members) < 3:
            continue  # too few peers to compare with
        median = Decimal(statistics.median(share for _, share, _ in members))
        for code, share, discount in sorted(members):
            if share >= median * PEER_FACTOR and share - median >= PEER_MIN_POINTS:
                alerts.append(Alert("discount_share", code, until, (
                    f"discounts were {share:.1f}% of purchases over the last {PEER_WINDOW_DAYS} days; the median of "
                    f"the {len(members)} customers of grade {grade} is {median:.1f}%"), discount))
    return alerts


def discount_alerts(*, until: date, days: int = 120) -> list[Alert]:
    """Every alert over the ``days`` up to ``until`` (a quarter and its turn, by default)."""
    since = until - timedelta(days=days)
    return [*order_splitting(since=since, until=until), *buy_then_return(since=since, until=until),
            *discount_share(until=until)]
