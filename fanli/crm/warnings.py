"""Warning rules (预警): each finds what needs a look, with a reason a person can read.

Each rule is one grouped query (or one query of plain rows per customer, never per sales line)
and answers candidates with a stable key, so running the rules every night warns once per
situation. ``fanli.crm.services.warnings_raise`` stores the new ones and tells their owners.

- **Overdue receivable**: invoices past their due date and not fully paid.
- **Churn risk**: no invoice for more than three times the customer's usual interval between
  invoices (the median over two years), and at least 30 days.
- **Payout overdue**: rebate statements past their due date and not paid.
- **Points expiring**: loyalty points whose last day is within 30 days.
- **Discount budget**: a discount rule that has used 90 % of its budget.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Min, Sum

from fanli.common.money import format_minor

CHURN_FACTOR, CHURN_MIN_DAYS, CHURN_MIN_INVOICES = 3, 30, 3
POINTS_DAYS = 30
BUDGET_SHARE = 90  # percent


@dataclass(frozen=True)
class Candidate:
    kind: str
    key: str
    customer_id: int | None
    reason: str
    amount_minor: int = 0


def overdue_receivables(today: date) -> list[Candidate]:
    from fanli.sales.models import SalesDocument

    rows = (SalesDocument.objects.filter(kind="invoice", due_date__lt=today, paid_minor__lt=F("total_minor"))
            .values("customer_id", "customer__code")
            .annotate(count=Count("id"), owed=Sum(F("total_minor") - F("paid_minor")), oldest=Min("due_date")))
    found = []
    for row in rows:
        first = (SalesDocument.objects.filter(customer_id=row["customer_id"], kind="invoice", due_date=row["oldest"],
                                              paid_minor__lt=F("total_minor")).order_by("number")
                 .values_list("number", flat=True).first())
        found.append(Candidate("overdue_receivable", f"{row['customer__code']}:{first}", row["customer_id"], (
            f"{row['count']} invoice(s) past due, {format_minor(row['owed'])} outstanding; the oldest, {first}, "
            f"was due on {row['oldest']}"), row["owed"]))
    return found


def churn_risks(today: date) -> list[Candidate]:
    from fanli.sales.models import SalesDocument

    dates: dict[int, list[date]] = defaultdict(list)
    codes: dict[int, str] = {}
    for customer_id, code, day in (SalesDocument.objects.filter(kind="invoice", document_date__gt=today - timedelta(days=730),
                                                                document_date__lte=today)
                                   .order_by("customer_id", "document_date")
                                   .values_list("customer_id", "customer__code", "document_date")):
        if not dates[customer_id] or dates[customer_id][-1] != day:
            dates[customer_id].append(day)
        codes[customer_id] = code
    found = []
    for customer_id, days in dates.items():
        if len(days) < CHURN_MIN_INVOICES:
            continue
        usual = statistics.median((b - a).days for a, b in itertools.pairwise(days))
        silent = (today - days[-1]).days
        if silent > max(CHURN_FACTOR * usual, CHURN_MIN_DAYS):
            found.append(Candidate("churn_risk", f"{codes[customer_id]}:{days[-1]}", customer_id, (
                f"no invoice for {silent} days since {days[-1]}; usually one every {usual:g} days")))
    return found


def payouts_overdue(today: date) -> list[Candidate]:
    from fanli.rebates.models import Statement
    from fanli.rebates.selectors import statements_overdue

    rows = (Statement.objects.filter(statements_overdue(today)).values("customer_id", "customer__code")
            .annotate(count=Count("id"), owed=Sum("amount_minor"), oldest=Min("due_date"), first=Min("id")))
    return [Candidate("payout_overdue", f"{row['customer__code']}:{row['first']}", row["customer_id"], (
        f"{row['count']} rebate statement(s) unpaid past their due date, {format_minor(row['owed'])}; the oldest "
        f"was due on {row['oldest']}"), row["owed"]) for row in rows]


def points_expiring(today: date) -> list[Candidate]:
    from fanli.loyalty.models import PointLot

    rows = (PointLot.objects.filter(remaining__gt=0, expires_on__gte=today,
                                    expires_on__lte=today + timedelta(days=POINTS_DAYS))
            .values("member_id", "member__customer_id", "member__customer__code", "member__programme__code")
            .annotate(points=Sum("remaining"), first=Min("expires_on")))
    return [Candidate("points_expiring", f"{row['member_id']}:{row['first']}", row["member__customer_id"], (
        f"{row['points']} points of {row['member__programme__code']} expire from {row['first']}; "
        f"remind {row['member__customer__code']} to use them")) for row in rows]


def discount_budgets(today: date) -> list[Candidate]:
    from fanli.discounts.selectors import rule_usage

    found = []
    for row in rule_usage():
        budget = row["budget_minor"]
        if budget and row["spent_minor"] * 100 >= budget * BUDGET_SHARE:
            found.append(Candidate("discount_budget", f"{row['rule']}:v{row['version']}", None, (
                f"discount rule {row['rule']} has used {format_minor(row['spent_minor'])} of its "
                f"{format_minor(budget)} budget"), row["spent_minor"]))
    return found


RULES = (overdue_receivables, churn_risks, payouts_overdue, points_expiring, discount_budgets)


def candidates(today: date) -> list[Candidate]:
    return [candidate for rule in RULES for candidate in rule(today)]
