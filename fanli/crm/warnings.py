"""Warning rules (预警): each finds what needs a look, with a reason a person can read.

Each rule is one grouped query (or one query of plain rows per customer, never per sales line)
and answers candidates with a stable key, so running the rules every night warns once per
situation. ``fanli.crm.services.warnings_raise`` stores the new ones and tells their owners.

- **Overdue receivable**: invoices past their due date and not fully paid.
- **Churn risk**: no invoice for more than three times the customer's usual interval between
  invoices (the median over two years), and at least 30 days.
- **Payout due**: rebate statements not paid whose due date is within 7 days.
- **Payout overdue**: rebate statements past their due date and not paid.
- **Points expiring**: loyalty points whose last day is within 30 days.
- **Discount budget**: a discount rule that has used 90 % of its budget.
- **Follow-up due**: a follow-up task due today or earlier and not done (the owner's reminder).
- **Sales behind target**: net sales since a target's start below 90 % of the part of the target
  due by today (pro rata by days), judged from the 14th day on.
- **Near the next tier**: a customer within 10 % of the next tier's threshold before the period
  ends (a sales opportunity).
- **Rebate budget**: a policy whose cost for the current period, projected at the run rate, is
  over the budget its document sets.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Min, Sum

from fanli.common.money import format_minor, major_to_minor_exact

CHURN_FACTOR, CHURN_MIN_DAYS, CHURN_MIN_INVOICES = 3, 30, 3
POINTS_DAYS = 30
BUDGET_SHARE = 90  # percent
PACE_SHARE, PACE_MIN_DAYS = 90, 14  # percent of the pro-rata target; days into the target before judging
PAYOUT_DUE_DAYS = 7
NEAR_TIER_SHARE = 10  # percent of the next tier's threshold still to go


@dataclass(frozen=True)
class Candidate:
    kind: str
    key: str
    customer_id: int | None
    reason: str
    amount_minor: int = 0
    owner_id: int | None = None  # for warnings about no customer: who wrote the policy or rule


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


def payouts_due(today: date) -> list[Candidate]:
    """Rebate statements not yet paid whose due date falls within ``PAYOUT_DUE_DAYS``."""
    from fanli.rebates.models import Statement
    from fanli.rebates.selectors import UNPAID

    rows = (Statement.objects.filter(state__in=UNPAID, due_date__gte=today,
                                     due_date__lte=today + timedelta(days=PAYOUT_DUE_DAYS), amount_minor__gt=0)
            .values("customer_id", "customer__code")
            .annotate(count=Count("id"), owed=Sum("amount_minor"), first_due=Min("due_date"), first=Min("id")))
    return [Candidate("payout_due", f"{row['customer__code']}:{row['first']}:{row['first_due']}", row["customer_id"], (
        f"{row['count']} rebate statement(s), {format_minor(row['owed'])}, fall due from {row['first_due']}: "
        f"approve and pay them in time"), row["owed"]) for row in rows]


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
    from fanli.discounts.models import DiscountRuleVersion
    from fanli.discounts.selectors import rule_usage

    authors = {(code, number): author for code, number, author in DiscountRuleVersion.objects.values_list(
        "rule__code", "number", "created_by_id")}
    found = []
    for row in rule_usage():
        budget = row["budget_minor"]
        if budget and row["spent_minor"] * 100 >= budget * BUDGET_SHARE:
            found.append(Candidate("discount_budget", f"{row['rule']}:v{row['version']}", None, (
                f"discount rule {row['rule']} has used {format_minor(row['spent_minor'])} of its "
                f"{format_minor(budget)} budget"), row["spent_minor"], authors.get((row["rule"], row["version"]))))
    return found


def follow_ups_due(today: date) -> list[Candidate]:
    from .models import FollowUp

    return [Candidate("follow_up_due", f"{f.pk}", f.customer_id, (
        f"follow up with {f.customer.code} by {f.due_on}: {f.title}"))
        for f in FollowUp.objects.filter(done_at__isnull=True, due_on__lte=today).select_related("customer")]


def sales_behind_target(today: date) -> list[Candidate]:
    """Targets running today with net sales so far below ``PACE_SHARE`` % of the target's share due
    by today (pro rata by days), once ``PACE_MIN_DAYS`` days have passed."""
    from fanli.customers.models import SalesTarget
    from fanli.sales.models import SalesLine

    targets = list(SalesTarget.objects.filter(start__lte=today - timedelta(days=PACE_MIN_DAYS - 1), end__gte=today)
                   .select_related("customer"))
    if not targets:
        return []
    sold: dict[int, int] = {}
    starts: dict[date, list] = defaultdict(list)
    for target in targets:  # targets mostly share their periods: one grouped query per start date
        starts[target.start].append(target)
    for start, group in starts.items():
        by_customer = dict(SalesLine.objects.filter(customer_id__in={t.customer_id for t in group},
                                                    basis_date__gte=start, basis_date__lte=today)
                           .values("customer_id").annotate(net=Sum("net_amount_minor"))
                           .values_list("customer_id", "net"))
        for target in group:
            sold[target.pk] = by_customer.get(target.customer_id) or 0
    found = []
    for target in targets:
        days, elapsed = (target.end - target.start).days + 1, (today - target.start).days + 1
        actual = sold[target.pk]
        if actual * 100 * days < PACE_SHARE * target.amount_minor * elapsed:
            due = target.amount_minor * elapsed // days
            found.append(Candidate("sales_pace", f"{target.customer.code}:{target.start}:{target.end}",
                                   target.customer_id, (
                f"{format_minor(actual)} sold from {target.start} to {today}, {elapsed} of {days} days into a "
                f"{format_minor(target.amount_minor)} target: {format_minor(due - actual)} behind the "
                f"{format_minor(due)} due by now"), due - actual))
    return found


def current_positions(today: date) -> tuple[list[Any], list[Any]]:
    """Every published policy's current period and its results so far: computed once a run, for
    the near-tier and the budget rules both."""
    from fanli.rebates.selectors import compute_results, published_items

    items = published_items(today)
    return items, compute_results(items) if items else []


def near_next_tier(today: date, positions: tuple[list[Any], list[Any]] | None = None) -> list[Candidate]:
    """Customers within ``NEAR_TIER_SHARE`` % of their next tier's threshold, before the period ends."""
    from fanli.customers.models import Customer

    _items, results = positions or current_positions(today)
    if not results:
        return []
    near: list[Candidate] = []
    codes = dict(Customer.objects.values_list("id", "code"))
    for computed in results:
        result, item = computed.result, computed.item
        gap, threshold = result.gap_to_next, result.next_threshold
        if not result.eligible or gap is None or threshold is None or gap.is_infinite() or gap <= 0:
            continue
        if gap * 100 <= threshold * NEAR_TIER_SHARE and item.period.end > today:
            tier = 1 if result.tier_index is None else result.tier_index + 2
            code = codes.get(computed.customer_id, "?")
            more = {"amount": f"¥{gap:,.2f} more net sales", "quantity": f"{gap:,.0f} more units",
                    "orders": f"{gap:,.0f} more orders"}.get(str(result.metric), f"{gap:,.2f} more {result.metric}")
            near.append(Candidate("near_tier", f"{item.document.code}:{item.period.key}:{code}:{tier}",
                                  computed.customer_id, (
                f"{more} by {item.period.end} reach tier {tier} of {item.document.code} for {code}, "
                f"from {'¥' if str(result.metric) == 'amount' else ''}{threshold:,}: a sales opportunity")))
    return near


def rebate_budgets(today: date, positions: tuple[list[Any], list[Any]] | None = None) -> list[Candidate]:
    """Policies whose cost for the current period, projected at the run rate, is over their budget."""
    from fanli.rebates.selectors import compute_results

    items, results = positions or current_positions(today)
    budgeted = [item for item in items if item.document.budget is not None]
    over: list[Candidate] = []
    if budgeted:
        earned: dict[int, int] = defaultdict(int)
        projected: dict[int, int] = defaultdict(int)
        for computed in results:
            earned[computed.item.version.pk] += computed.amount_minor
        for computed in compute_results(budgeted, projected=True):
            projected[computed.item.version.pk] += computed.amount_minor
        for item in budgeted:
            budget = major_to_minor_exact(item.document.budget or Decimal(0))
            ahead = projected[item.version.pk]
            if ahead > budget:
                over.append(Candidate("rebate_budget", f"{item.document.code}:{item.period.key}:v{item.version.number}",
                                      None, (
                    f"policy {item.document.code} has earned {format_minor(earned[item.version.pk])} so far in "
                    f"{item.period.key}; at this pace it will cost {format_minor(ahead)} against a "
                    f"{format_minor(budget)} budget"), ahead - budget, item.version.created_by_id))
    return over


RULES = (overdue_receivables, churn_risks, payouts_due, payouts_overdue, points_expiring, discount_budgets, follow_ups_due,
         sales_behind_target, near_next_tier, rebate_budgets)
POSITION_RULES = (near_next_tier, rebate_budgets)  # they share one computation of the policies' periods


def candidates(today: date) -> list[Candidate]:
    positions = current_positions(today)
    return ([candidate for rule in RULES if rule not in POSITION_RULES for candidate in rule(today)]
            + near_next_tier(today, positions) + rebate_budgets(today, positions))
