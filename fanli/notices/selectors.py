"""Reads of notices: what waits to be sent, a customer's inbox, the delivery log."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import Delivery, Notice
from .services import due_now


def deliveries_due(now: datetime | None = None) -> bool:
    return Delivery.objects.filter(due_now(now or timezone.now())).exists()


def inbox(customer_ids: Collection[int]) -> QuerySet[Notice]:
    """The notices of these customers (a group head sees its companies'), newest first."""
    return Notice.objects.filter(customer_id__in=list(customer_ids)).select_related("customer")


def deliveries(*, state: str = "", customer_ids: Collection[int] | None = None, kind: str = "") -> QuerySet[Delivery]:
    """What was sent (or is waiting, or failed) to whom, newest first."""
    found = Delivery.objects.select_related("notice__customer")
    if state:
        found = found.filter(state=state)
    if kind:
        found = found.filter(notice__kind=kind)
    if customer_ids is not None:
        found = found.filter(notice__customer_id__in=list(customer_ids))
    return found
