"""Reads about customers: the figures segmentation needs, in one grouped query."""

from __future__ import annotations

import calendar
from datetime import date

from django.db.models import Count, Max, Min, Q, Sum

from .models import Customer
from .segments import CustomerFigures


def _months_before(day: date, months: int) -> date:
    index = day.month - 1 - months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def segment_figures(today: date) -> list[CustomerFigures]:
    """Per customer (all of them): net sales and invoices over 12 months, first and last invoice,
    and net sales of the last six months and of the six before, from the sales documents."""
    year_ago, half_ago = _months_before(today, 12), _months_before(today, 6)
    window = Q(documents__basis_date__gt=year_ago, documents__basis_date__lte=today)
    recent = Q(documents__basis_date__gt=half_ago, documents__basis_date__lte=today)
    before = Q(documents__basis_date__gt=year_ago, documents__basis_date__lte=half_ago)
    invoice = Q(documents__kind="invoice", documents__document_date__lte=today)
    rows = Customer.objects.annotate(
        sales=Sum("documents__total_minor", filter=window), invoices=Count("documents", filter=window & invoice),
        last=Max("documents__document_date", filter=invoice), first=Min("documents__document_date", filter=invoice),
        recent=Sum("documents__total_minor", filter=recent), before=Sum("documents__total_minor", filter=before),
    ).values_list("id", "sales", "invoices", "last", "first", "recent", "before")
    return [CustomerFigures(pk, sales or 0, invoices or 0, last, first, recent or 0, previous or 0)
            for pk, sales, invoices, last, first, recent, previous in rows]
