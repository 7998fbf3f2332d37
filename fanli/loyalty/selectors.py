"""Reads for loyalty: balances, the points statement, liability."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from .document import parse_programme
from .models import Member, PointLot, PointMovement, Programme

_PARSED: dict[tuple[int, str], Any] = {}  # programme documents by (id, content hash): parsed once


def programme_document(programme: Programme) -> Any:
    """The programme's validated document, parsed once per content."""
    key = (programme.pk, programme.document_sha256)
    if key not in _PARSED:
        _PARSED[key] = parse_programme(programme.document)
    return _PARSED[key]


def member_balance(member: Member) -> int:
    """The sum of the member's lot remainders (debts count negative)."""
    return PointLot.objects.filter(member=member).aggregate(total=Sum("remaining"))["total"] or 0


def points_statement(member: Member) -> list[dict[str, Any]]:
    """Every movement with the running balance: nothing changes a balance without a line here."""
    running, rows = 0, []
    for movement in PointMovement.objects.filter(member=member).select_related("lot").order_by("day", "id"):
        running += movement.points
        rows.append({"day": movement.day, "kind": movement.kind, "points": movement.points, "balance": running,
                     "reference": movement.reference, "reason": movement.reason,
                     "expires_on": movement.lot.expires_on if movement.points > 0 else None})
    return rows


def liability(programme: Programme, *, today: date, soon_days: int = 30) -> dict[str, Any]:
    """Outstanding points valued in money, those expiring soon, and expected breakage: the share
    of points that expired unused among lots already past their last day, applied to what is
    outstanding."""
    document = parse_programme(programme.document)
    lots = PointLot.objects.filter(member__programme=programme)
    outstanding = lots.filter(expires_on__gte=today).aggregate(total=Sum("remaining"))["total"] or 0
    soon = lots.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=soon_days)).aggregate(
        total=Sum("remaining"))["total"] or 0
    past = lots.filter(expires_on__lt=today, points__gt=0).aggregate(total=Sum("points"))["total"] or 0
    expired = -(PointMovement.objects.filter(member__programme=programme, kind=PointMovement.Kind.EXPIRE)
                .aggregate(total=Sum("points"))["total"] or 0)
    rate = Decimal(expired) / Decimal(past) if past else Decimal(0)
    value = document.point_value * 100  # fen per point

    def money(points: int | Decimal) -> int:
        return int((Decimal(points) * value).to_integral_value())

    return {"outstanding_points": outstanding, "outstanding_minor": money(outstanding),
            "expiring_soon_points": soon, "expiring_soon_minor": money(soon),
            "breakage_rate": rate.quantize(Decimal("0.0001")), "expected_breakage_minor": money(outstanding * rate),
            "members": Member.objects.filter(programme=programme).count(),
            "owed_points": -(lots.filter(Q(remaining__lt=0)).aggregate(total=Sum("remaining"))["total"] or 0)}


def member_summaries(customer_id: int, *, today: date, soon_days: int = 30) -> list[dict[str, Any]]:
    """For each programme the customer belongs to: points, tier and its benefits, what is still
    needed for the next tier, and points expiring soon."""
    from .services import qualifying_spend  # reads only

    rows = []
    for member in Member.objects.filter(customer_id=customer_id).select_related("programme"):
        document = parse_programme(member.programme.document)
        tiers = document.tiers
        index = next((i for i, t in enumerate(tiers) if t.code == member.tier_code), 0)
        spend = qualifying_spend(document, [customer_id], today).get(customer_id, 0)
        following = tiers[index + 1] if index + 1 < len(tiers) else None
        soon = PointLot.objects.filter(member=member, remaining__gt=0, expires_on__gte=today,
                                       expires_on__lte=today + timedelta(days=soon_days))
        rows.append({
            "programme": member.programme, "member": member, "balance": member_balance(member),
            "tier": tiers[index], "spend_minor": spend, "next_tier": following,
            "needed_minor": max(int(following.from_spend * 100) - spend, 0) if following else None,
            "expiring_points": soon.aggregate(total=Sum("remaining"))["total"] or 0,
            "expiring_first": soon.order_by("expires_on").values_list("expires_on", flat=True).first(),
            "movements": points_statement(member)[-10:][::-1],
        })
    return rows
