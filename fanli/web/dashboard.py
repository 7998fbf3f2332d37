"""The back-office dashboard: figures to act on, and charts of trends and tiers.

The charts need sales by month and every customer's position in every policy, which takes
seconds over a large data set. They are computed into a *snapshot* in the background (at most
every ``SNAPSHOT_SECONDS``; stale ones keep being shown, with their time, until the new one is
ready), per customer, so each user's page only adds up the customers they may see. The page
itself therefore renders in milliseconds whatever the data size.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connections
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fanli.accounts.selectors import can, visible_customers
from fanli.common.periods import PeriodKind, period_containing
from fanli.crm.models import FollowUp
from fanli.customers.models import Customer
from fanli.ledger.models import Account, EntryKind, LedgerEntry
from fanli.ledger.selectors import account_balances
from fanli.rebates.models import Statement
from fanli.rebates.selectors import UNPAID, compute_results, published_items, statement_figures
from fanli.sales.models import SalesLine

from .views import staff_view
from .warnings import visible_warnings

log = logging.getLogger(__name__)
SNAPSHOT_KEY = "fanli:dashboard:snapshot"
REFRESH_KEY = "fanli:dashboard:refreshing"
SNAPSHOT_SECONDS = 15 * 60
MONTHS = 12
CLOSEST = 10


def snapshot_compute(today: date) -> dict[str, Any]:
    """Per customer: net sales and settled rebates by month, and each policy position today."""
    months = [period_containing(today, PeriodKind.MONTH)]
    while len(months) < MONTHS:
        months.insert(0, months[0].previous())
    start = months[0].start
    sales: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (SalesLine.objects.filter(basis_date__gte=start, basis_date__lte=today)
                .annotate(month=TruncMonth("basis_date")).values("customer_id", "month")
                .annotate(net=Sum("net_amount_minor"))):
        sales[row["customer_id"]][row["month"].strftime("%Y-%m")] = row["net"] or 0
    rebates: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    settled = LedgerEntry.objects.filter(kind=EntryKind.SETTLEMENT, effective_date__gte=start, effective_date__lte=today,
                                         customer_id__isnull=False)
    for sign, side in ((1, Q(credit_account=Account.REBATES_PAYABLE)), (-1, Q(debit_account=Account.REBATES_PAYABLE))):
        for entry in (settled.filter(side).annotate(month=TruncMonth("effective_date"))
                      .values("customer_id", "month").annotate(total=Sum("amount_minor"))):
            rebates[entry["customer_id"]][entry["month"].strftime("%Y-%m")] += sign * (entry["total"] or 0)
    positions = []
    for computed in compute_results(published_items(today)):
        result = computed.result
        if not result.eligible:
            continue
        gap, threshold = result.gap_to_next, result.next_threshold
        positions.append({
            "policy": computed.item.document.code, "customer": computed.customer_id,
            "tiers": len(getattr(computed.item.document.calculation, "tiers", []) or []),
            "tier": None if result.tier_index is None else result.tier_index + 1, "metric": result.metric,
            "gap": None if gap is None or gap.is_infinite() else str(gap.quantize(Decimal("0.01"), ROUND_HALF_UP)),
            "ratio": None if gap is None or threshold in (None, 0) or gap.is_infinite()
            else float(gap / threshold),  # ordering only, never money
            "earned_minor": computed.amount_minor,
        })
    return {"computed_at": timezone.now(), "months": [m.key for m in months],
            "sales": {c: dict(v) for c, v in sales.items()}, "rebates": {c: dict(v) for c, v in rebates.items()},
            "positions": positions}


def _refresh(today: date) -> None:
    try:
        cache.set(SNAPSHOT_KEY, snapshot_compute(today), None)
    except Exception:  # the page keeps the last snapshot; the log says why
        log.exception("dashboard snapshot failed")
    finally:
        cache.delete(REFRESH_KEY)


def _refresh_in_thread(today: date) -> None:
    close_old_connections()
    try:
        _refresh(today)
    finally:
        connections.close_all()


def snapshot(today: date, *, force: bool = False) -> dict[str, Any] | None:
    """The latest snapshot (possibly stale); starts a refresh when it is missing or old."""
    current = cache.get(SNAPSHOT_KEY)
    stale = current is None or force or (timezone.now() - current["computed_at"]).total_seconds() > SNAPSHOT_SECONDS
    if stale and cache.add(REFRESH_KEY, True, 600):  # one refresh at a time, across processes
        if getattr(settings, "FANLI_JOBS_INLINE", False):
            _refresh(today)
            current = cache.get(SNAPSHOT_KEY)
        else:
            threading.Thread(target=_refresh_in_thread, args=(today,), name="fanli-dashboard", daemon=True).start()
    return current


def charts(data: dict[str, Any], visible: set[int] | None) -> dict[str, Any]:
    """What one user's charts show: only the customers in ``visible`` (None: all)."""

    def mine(customer_id: Any) -> bool:
        return visible is None or int(customer_id) in visible

    months = data["months"]
    sales, rebates = Counter[str](), Counter[str]()
    for customer_id, by_month in data["sales"].items():
        if mine(customer_id):
            sales.update(by_month)
    for customer_id, by_month in data["rebates"].items():
        if mine(customer_id):
            rebates.update(by_month)
    positions = [p for p in data["positions"] if mine(p["customer"])]
    tiers: dict[str, Counter[str]] = defaultdict(Counter)
    for position in positions:
        tiers[position["policy"]][str(position["tier"] or 0)] += 1
    closest = sorted((p for p in positions if p["ratio"] is not None), key=lambda p: (p["ratio"], p["policy"]))[:CLOSEST]
    names = {pk: (code, name) for pk, code, name in
             Customer.objects.filter(pk__in={p["customer"] for p in closest}).values_list("id", "code", "name")}
    return {
        "trend": {"months": months, "sales": [_yuan(sales[m]) for m in months],
                  "rebates": [_yuan(rebates[m]) for m in months]},
        "tiers": {policy: dict(sorted(counts.items())) for policy, counts in sorted(tiers.items())},
        "closest": [{**p, "code": names.get(p["customer"], ("?", ""))[0], "name": names.get(p["customer"], ("?", ""))[1]}
                    for p in closest],
        "computed_at": data["computed_at"],
    }


def _yuan(minor: int) -> str:
    """Chart values as exact decimal text in yuan (the chart draws them; sums stay in fen)."""
    return str(Decimal(minor) / 100)


@staff_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    restricted = not can(request.user, "view_all_customers")
    customers = visible_customers(request.user) if restricted else None
    balances = account_balances(customer__in=customers) if customers is not None else account_balances()
    data = snapshot(today, force=request.GET.get("refresh") == "1" and request.method == "GET")
    visible = set(customers.values_list("id", flat=True)) if customers is not None else None
    # Overdue first (the earliest due dates), then what falls due next: the list never says
    # "nothing due" while statements are past their date.
    due = Statement.objects.filter(state__in=UNPAID).select_related("policy", "customer")
    if customers is not None:
        due = due.filter(customer__in=customers)
    context = {
        "figures": statement_figures(today, customers=customers),
        "accrued_minor": balances.get("accrued_rebates", 0), "payable_minor": balances.get("rebates_payable", 0),
        "credit_minor": balances.get("rebate_account", 0), "due_soon": due.order_by("due_date", "id")[:10], "today": today,
        "charts": charts(data, visible) if data else None, "restricted": restricted,
        "open_warnings": visible_warnings(request.user).filter(acknowledged_at__isnull=True).count(),
        "my_follow_ups": FollowUp.objects.filter(owner_id=request.user.pk, done_at__isnull=True,
                                                 due_on__lte=today).count(),
    }
    template = "web/office/_dashboard_charts.html" if request.htmx else "web/office/dashboard.html"  # type: ignore[attr-defined]
    return render(request, template, context)
