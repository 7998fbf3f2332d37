"""Reads about customers: the figures segmentation and the score cards need, in grouped queries."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Max, Min, Q, Sum

from .models import Customer
from .scorecard import ScoreFacts
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


def score_facts(kinds: list[str], today: date) -> list[ScoreFacts]:
    """Per customer of ``kinds``: what every score-card source reads, in a few grouped queries."""
    from fanli.crm.models import Complaint, Interaction, SurveyResponse
    from fanli.sales.models import SalesDocument

    year_ago, two_years_ago = _months_before(today, 12), _months_before(today, 24)
    ids = list(Customer.objects.filter(kind__in=kinds, status="active").values_list("id", flat=True))
    docs = SalesDocument.objects.filter(customer_id__in=ids)
    sales = dict(docs.filter(basis_date__gt=year_ago, basis_date__lte=today).values("customer_id")
                 .annotate(t=Sum("total_minor")).values_list("customer_id", "t"))
    prior = dict(docs.filter(basis_date__gt=two_years_ago, basis_date__lte=year_ago).values("customer_id")
                 .annotate(t=Sum("total_minor")).values_list("customer_id", "t"))
    collected = {row[0]: row[1:] for row in docs.filter(kind="invoice", due_date__gt=year_ago, due_date__lte=today)
                 .values("customer_id").annotate(due=Sum("total_minor"), paid=Sum("paid_minor"))
                 .values_list("customer_id", "due", "paid")}
    surveys = dict(SurveyResponse.objects.filter(customer_id__in=ids, answered_on__gt=year_ago, answered_on__lte=today)
                   .values("customer_id").annotate(a=Avg("score")).values_list("customer_id", "a"))
    complaints = dict(Complaint.objects.filter(customer_id__in=ids, opened_on__gt=year_ago, opened_on__lte=today)
                      .values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
    contacts = dict(Interaction.objects.filter(customer_id__in=ids, happened_on__gt=today - timedelta(days=90),
                                               happened_on__lte=today)
                    .values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
    return [ScoreFacts(pk, sales.get(pk) or 0, prior.get(pk) or 0, (collected.get(pk) or (0, 0))[0] or 0,
                       (collected.get(pk) or (0, 0))[1] or 0,
                       None if surveys.get(pk) is None else Decimal(str(surveys[pk])),
                       complaints.get(pk, 0), contacts.get(pk, 0)) for pk in ids]
