"""Writes about customers: segments recomputed on demand (and nightly)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.db import transaction

from fanli.common.services import audit_record

from .models import CustomerSegment
from .segments import segments
from .selectors import segment_figures


def segments_recompute(*, today: date, actor: Any = None) -> dict[str, Any]:
    """Compute every customer's ABC class, RFM scores and lifecycle stage and store them."""
    computed = segments(segment_figures(today), today=today)
    with transaction.atomic():
        CustomerSegment.objects.all().delete()
        CustomerSegment.objects.bulk_create([
            CustomerSegment(customer_id=s.customer_id, computed_on=today, abc=s.abc, recency=s.recency,
                            frequency=s.frequency, monetary=s.monetary, lifecycle=s.lifecycle)
            for s in computed
        ], batch_size=2_000)
        summary = {"customers": len(computed), "abc": dict(Counter(s.abc for s in computed)),
                   "lifecycle": dict(Counter(s.lifecycle for s in computed))}
        audit_record(actor=actor, action="segments.recompute", object_type="customers", object_id=today.isoformat(),
                     data=summary)
    return summary
