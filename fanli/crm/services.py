"""Writes for warnings: raise the new ones and tell their owners; acknowledge."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from fanli.common.exceptions import NotFound
from fanli.common.services import audit_record
from fanli.customers.models import Customer

from .models import Warning
from .warnings import candidates


def warnings_raise(*, today: date, actor: Any = None) -> list[Warning]:
    """Store the warnings that are new (a situation warns once), owned by the customer's sales
    rep, and e-mail each owner the list of their new ones. Answers the new warnings."""
    found = candidates(today)
    existing = set(Warning.objects.values_list("kind", "key"))
    owners = dict(Customer.objects.filter(pk__in={c.customer_id for c in found if c.customer_id})
                  .values_list("id", "owner_id"))
    new = [Warning(kind=c.kind, key=c.key, customer_id=c.customer_id,
                   owner_id=owners.get(c.customer_id) if c.customer_id else None,
                   reason=c.reason[:400], amount_minor=c.amount_minor, raised_on=today)
           for c in found if (c.kind, c.key) not in existing]
    with transaction.atomic():
        Warning.objects.bulk_create(new, ignore_conflicts=True)
        stored = list(Warning.objects.filter(raised_on=today, notified_at__isnull=True)
                      .select_related("owner", "customer"))
        audit_record(actor=actor, action="warnings.raise", object_type="warnings", object_id=today.isoformat(),
                     data={"new": len(new)})
    _notify(stored)
    return stored


def _notify(warnings: list[Warning]) -> None:
    by_owner: dict[Any, list[Warning]] = defaultdict(list)
    for warning in warnings:
        if warning.owner is not None and warning.owner.email:
            by_owner[warning.owner].append(warning)
    for owner, theirs in by_owner.items():
        lines = [f"- {w.customer.code if w.customer else ''} {w.get_kind_display()}: {w.reason}" for w in theirs]
        send_mail(subject=f"Fanli: {len(theirs)} new warning(s)", message="\n".join(lines),
                  from_email=None, recipient_list=[owner.email])
        Warning.objects.filter(pk__in=[w.pk for w in theirs]).update(notified_at=timezone.now())


def warning_acknowledge(*, warning_id: int, actor: Any) -> Warning:
    with transaction.atomic():
        warning = Warning.objects.select_for_update().filter(pk=warning_id).first()
        if warning is None:
            raise NotFound(f"no warning {warning_id}")
        if warning.acknowledged_at is None:
            Warning.objects.filter(pk=warning.pk).update(acknowledged_by=actor, acknowledged_at=timezone.now())
            audit_record(actor=actor, action="warning.acknowledge", object_type="warning", object_id=warning.pk,
                         data={"kind": warning.kind, "key": warning.key})
        warning.refresh_from_db()
        return warning
