"""Reads for customer management: the contact calendar, follow-ups, complaint and survey figures."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncQuarter

from fanli.common.periods import PeriodKind, period_containing
from fanli.customers.models import Customer

from .models import Complaint, FollowUp, Interaction, SurveyResponse, Warning


def contact_calendar(customers: QuerySet[Customer], year: int, month: int) -> dict[str, Any]:
    """Customers as rows and the month's days as columns (客户接触日历); each cell holds the
    contacts of that day as channel letters (T, E, M, V, S) with their summaries. Only customers
    with a contact in the month get a row; one query for the whole month."""
    days = calendar.monthrange(year, month)[1]
    first, last = date(year, month, 1), date(year, month, days)
    cells: dict[int, dict[int, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    names: dict[int, tuple[str, str]] = {}
    for customer_id, code, name, day, channel, summary in (
            Interaction.objects.filter(customer__in=customers, happened_on__gte=first, happened_on__lte=last)
            .order_by("customer__code", "happened_on", "id")
            .values_list("customer_id", "customer__code", "customer__name", "happened_on", "channel", "summary")):
        cells[customer_id][day.day].append({"channel": channel, "summary": summary})
        names[customer_id] = (code, name)
        counts[channel] += 1
    columns = [{"day": day, "weekend": date(year, month, day).weekday() >= 5} for day in range(1, days + 1)]
    rows = [CalendarRow(names[cid][0], names[cid][1], cells[cid], columns)
            for cid in sorted(names, key=lambda cid: names[cid][0])]
    return {"year": year, "month": month, "days": columns, "rows": rows, "counts": dict(counts),
            "first": first, "last": last}


class CalendarRow:
    """One customer's month. Its day cells are built when asked for, so a page of 100 rows out of
    a thousand builds 100 rows of cells."""

    __slots__ = ("_by_day", "_columns", "code", "name", "total")

    def __init__(self, code: str, name: str, by_day: dict[int, list[dict[str, str]]],
                 columns: list[dict[str, Any]]) -> None:
        self.code, self.name, self._by_day, self._columns = code, name, by_day, columns
        self.total = sum(len(contacts) for contacts in by_day.values())

    @property
    def cells(self) -> list[dict[str, Any]]:
        return [{**column, "contacts": self._by_day.get(column["day"], [])} for column in self._columns]

    def by_day(self) -> dict[int, list[dict[str, str]]]:
        return dict(self._by_day)


def follow_ups_open(customers: QuerySet[Customer], *, owner: Any = None) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(customer__in=customers, done_at__isnull=True).select_related("customer", "owner")
    return qs.filter(owner=owner) if owner is not None else qs


def complaint_figures(complaints: QuerySet[Complaint]) -> list[dict[str, Any]]:
    """Per category: how many, how many still open, and the average days to resolve the resolved ones."""
    rows = (complaints.values("category")
            .annotate(total=Count("id"), open=Count("id", filter=~Q(status=Complaint.Status.RESOLVED)))
            .order_by("category"))
    durations: dict[str, list[int]] = defaultdict(list)
    for category, opened, resolved in complaints.filter(resolved_on__isnull=False).values_list(
            "category", "opened_on", "resolved_on"):
        if resolved is not None:
            durations[category].append((resolved - opened).days)
    labels = dict(Complaint.Category.choices)
    return [{**row, "label": str(labels.get(row["category"], row["category"])),
             "avg_days": (round(sum(durations[row["category"]]) / len(durations[row["category"]]), 1)
                          if durations[row["category"]] else None)} for row in rows]


def survey_trend(responses: QuerySet[SurveyResponse], *, until: date, quarters: int = 8) -> list[dict[str, Any]]:
    """Average satisfaction score and number of answers per quarter, oldest first."""
    periods = [period_containing(until, PeriodKind.QUARTER)]
    while len(periods) < quarters:
        periods.insert(0, periods[0].previous())
    grouped = {period_containing(row["quarter"], PeriodKind.QUARTER).key: row for row in (
        responses.filter(answered_on__gte=periods[0].start, answered_on__lte=periods[-1].end)
        .annotate(quarter=TruncQuarter("answered_on")).values("quarter")
        .annotate(average=Avg("score"), answers=Count("id")).order_by())}
    return [{"quarter": period.key, "answers": grouped[period.key]["answers"] if period.key in grouped else 0,
             "average": round(float(grouped[period.key]["average"]), 2) if period.key in grouped else None}
            for period in periods]


def customer_contacts(customer: Customer, *, today: date) -> dict[str, Any]:
    """What the customer page shows about contacts, follow-ups, complaints and satisfaction."""
    responses = SurveyResponse.objects.filter(customer=customer)
    return {
        "interactions": Interaction.objects.filter(customer=customer).select_related("recorded_by")[:20],
        "follow_ups": FollowUp.objects.filter(customer=customer, done_at__isnull=True).select_related("owner"),
        "complaints": Complaint.objects.filter(customer=customer)[:20],
        "surveys": responses[:10],
        "satisfaction": responses.aggregate(average=Avg("score"), answers=Count("id")),
        "trend": survey_trend(responses, until=today, quarters=4),
    }


def visible_warnings(user: Any) -> QuerySet[Warning]:
    """Warnings about customers the user may see, their own, and warnings about no customer for
    those who see all customers."""
    from fanli.accounts.selectors import can, visible_customers

    scope = Q(customer__in=visible_customers(user)) | Q(owner_id=getattr(user, "pk", None))
    if can(user, "view_all_customers"):
        scope |= Q(customer__isnull=True)
    return Warning.objects.filter(scope)


SURVEY_EVERY_DAYS = 30  # the portal asks a customer again a month after its last answer


def survey_answered_lately(customer: Customer, today: date) -> SurveyResponse | None:
    """The customer's answer of the last month, if any (the portal then thanks instead of asking)."""
    return (SurveyResponse.objects.filter(customer=customer, answered_on__gt=today - timedelta(days=SURVEY_EVERY_DAYS))
            .order_by("-answered_on").first())
