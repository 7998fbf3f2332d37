"""Writes for loyalty: programmes, members, and every change to the points ledger.

Each change is a movement on a lot, in the same transaction as the lot's ``remaining``; the
member row is locked first, so two redemptions at once never spend the same points. Expiry is
two set-based statements over all lots, not a loop per lot.
"""

from __future__ import annotations

import calendar
import secrets
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from fanli.accounts.controls import needs_second_person, require
from fanli.accounts.models import Submission
from fanli.accounts.selectors import customer_scope, customers_for
from fanli.accounts.services import submission_decide, submission_store
from fanli.catalog.models import Product
from fanli.common.exceptions import Conflict, NotFound, ValidationFailed
from fanli.common.services import audit_record, canonical_json, sha256_text
from fanli.sales.models import DocumentKind, SalesDocument, SalesLine

from .document import ProgrammeDocument, load_programme_text, parse_programme
from .engine import LotView, allocate, expiry_date, points_for, tier_for_spend, tier_named
from .models import Member, PointLot, PointMovement, Programme, Redemption, TierChange


def _programme(code: str) -> tuple[Programme, ProgrammeDocument]:
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        raise NotFound(f"no loyalty programme {code!r}")
    return programme, parse_programme(programme.document)


def _member(programme: Programme, customer_code: str, *, actor: Any, lock: bool = False) -> Member:
    """A member whose customer ``actor`` may reach; another sales rep's customer is "not a member", as unknown."""
    members = Member.objects.select_for_update() if lock else Member.objects
    member = members.filter(customer_scope(actor), programme=programme, customer__code=customer_code).first()
    if member is None:
        raise NotFound(f"customer {customer_code!r} is not a member of {programme.code}")
    return member


def programme_apply(*, text: str, actor: Any) -> tuple[Programme | Submission, bool]:
    """Store the programme; a changed document is the next version (lots keep their expiry).

    Under four eyes a person's change is submitted instead (answered as the ``Submission``), and
    takes effect when another person with the ``publish`` right publishes it (``programme_publish``).
    """
    require(actor, "policies")
    document = load_programme_text(text)
    body = document.model_dump(mode="json", by_alias=True)
    current = Programme.objects.filter(code=document.code).first()
    if current is not None and current.document_sha256 == sha256_text(canonical_json(body)):
        return current, False
    if needs_second_person(actor):
        return submission_store(kind=Submission.Kind.PROGRAMME, code=document.code, name=document.name,
                                document=body, actor=actor), True
    return _programme_store(document, actor), True


def programme_publish(*, code: str, actor: Any) -> Programme:
    """Put the submitted change of programme ``code`` in force (another person than its author,
    under four eyes)."""
    with transaction.atomic():
        submission = submission_decide(kind=Submission.Kind.PROGRAMME, code=code, actor=actor, publish=True)
        return _programme_store(parse_programme(submission.document), actor)


def programme_reject(*, code: str, actor: Any, note: str) -> None:
    """Send the submitted change of programme ``code`` back, with the reason; the programme is unchanged."""
    submission_decide(kind=Submission.Kind.PROGRAMME, code=code, actor=actor, publish=False, note=note)


def _programme_store(document: ProgrammeDocument, actor: Any) -> Programme:
    body = document.model_dump(mode="json", by_alias=True)
    digest = sha256_text(canonical_json(body))
    with transaction.atomic():
        programme = Programme.objects.select_for_update().filter(code=document.code).first()
        if programme is not None and programme.document_sha256 == digest:
            return programme
        if programme is None:
            programme = Programme.objects.create(code=document.code, name=document.name, document=body,
                                                 document_sha256=digest)
        else:
            Programme.objects.filter(pk=programme.pk).update(name=document.name, document=body, document_sha256=digest,
                                                             version=F("version") + 1)
            programme.refresh_from_db()
        audit_record(actor=actor, action="loyalty.programme_apply", object_type="programme", object_id=programme.code,
                     data={"version": programme.version, "sha256": digest})
        return programme


def _lot(member: Member, document: ProgrammeDocument, *, source: str, ref: str, day: date, points: int,
         net_minor: int = 0, actor: Any = None, reason: str = "") -> PointLot | None:
    """A new earning lot and its movement; None when ``ref`` already earned (idempotent)."""
    if points <= 0:
        return None
    try:
        with transaction.atomic():
            lot = PointLot.objects.create(member=member, source=source, source_ref=ref, earned_on=day,
                                          expires_on=expiry_date(document, day), points=points, remaining=points,
                                          net_minor=net_minor)
    except IntegrityError:
        return None
    PointMovement.objects.create(member=member, lot=lot, kind=PointMovement.Kind.EARN, day=day, points=points,
                                 reference=ref, reason=reason, actor=actor if getattr(actor, "pk", None) else None)
    return lot


def member_enrol(*, programme_code: str, customer_code: str, day: date, actor: Any,
                 email_opt_in: bool = False) -> Member:
    """Enrol a customer at the first tier; sign-up and e-mail opt-in bonuses are earned at once."""
    require(actor, "crm")
    programme, document = _programme(programme_code)
    customer = customers_for(actor).filter(code=customer_code).first()  # another rep's: as unknown
    if customer is None:
        raise ValidationFailed(f"no customer {customer_code!r}",
                               details={"errors": [{"path": "customer", "message": "unknown"}]})
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            programme=programme, customer=customer,
            defaults={"tier_code": document.tiers[0].code, "tier_since": day, "joined_on": day,
                      "email_opt_in": email_opt_in})
        if not created:
            return member
        _lot(member, document, source=PointLot.Source.BONUS, ref="bonus:sign_up", day=day,
             points=document.bonuses.sign_up, actor=actor, reason="sign-up bonus")
        if email_opt_in:
            _lot(member, document, source=PointLot.Source.BONUS, ref="bonus:email_opt_in", day=day,
                 points=document.bonuses.email_opt_in, actor=actor, reason="e-mail opt-in bonus")
        audit_record(actor=actor, action="loyalty.enrol", object_type="customer", object_id=customer.code,
                     data={"programme": programme.code})
        return member


def points_grant(*, programme_code: str, customer_code: str, points: int, reference: str, day: date,
                 reason: str, actor: Any = None) -> PointLot | None:
    """Points given outside a purchase (a rebate paid in points): one lot, once per reference."""
    require(actor, "pay")
    programme, document = _programme(programme_code)
    member = _member(programme, customer_code, actor=actor, lock=True)
    return _lot(member, document, source=PointLot.Source.REBATE, ref=reference, day=day, points=points, actor=actor,
                reason=reason)


def points_earn(*, programme_code: str, invoice_number: str, actor: Any = None) -> int:
    """Points for each line of a sales invoice, as one lot per line; the first purchase earns its
    bonus too. Earning the same invoice again adds nothing. Answers the points added."""
    programme, document = _programme(programme_code)
    invoice = SalesDocument.objects.filter(customer_scope(actor), number=invoice_number,
                                           kind=DocumentKind.INVOICE).select_related(
        "customer").first()
    if invoice is None:
        raise NotFound(f"no invoice {invoice_number!r}")
    with transaction.atomic():
        member = _member(programme, invoice.customer.code, actor=actor, lock=True)
        _upgrade(member, document, invoice.document_date, actor)  # this purchase may lift the tier: at once
        tier = tier_named(document, member.tier_code)
        if document.min_order_amount is not None and invoice.total_minor < int(document.min_order_amount * 100):
            return 0
        first = not member.lots.filter(source=PointLot.Source.PURCHASE).exists()
        added = 0
        for line in invoice.lines.order_by("line_number"):
            points = points_for(document, tier, line.net_amount_minor, invoice.document_date)
            lot = _lot(member, document, source=PointLot.Source.PURCHASE, ref=f"{invoice.number}:{line.line_number}",
                       day=invoice.document_date, points=points, net_minor=line.net_amount_minor, actor=actor,
                       reason=f"{tier.earn_percent.normalize():f}% of the line ({tier.name})")
            added += lot.points if lot else 0
        if first and added:
            bonus = _lot(member, document, source=PointLot.Source.BONUS, ref="bonus:first_purchase",
                         day=invoice.document_date, points=document.bonuses.first_purchase, actor=actor,
                         reason="first purchase bonus")
            added += bonus.points if bonus else 0
        return added


def _lots_for_update(member: Member) -> list[PointLot]:
    return list(PointLot.objects.select_for_update().filter(member=member, remaining__gt=0).order_by("expires_on", "id"))


def _take(member: Member, taken: list[tuple[int, int]], *, kind: str, day: date, reference: str, actor: Any,
          reason: str = "") -> None:
    for lot_id, points in taken:
        PointLot.objects.filter(pk=lot_id).update(remaining=F("remaining") - points)
    PointMovement.objects.bulk_create([
        PointMovement(member=member, lot_id=lot_id, kind=kind, day=day, points=-points, reference=reference,
                      reason=reason, actor=actor if getattr(actor, "pk", None) else None)
        for lot_id, points in taken
    ])


COUPON_DAYS = 90


def points_redeem(*, programme_code: str, customer_code: str, reference: str, day: date, actor: Any,
                  points: int | None = None, form: str = "discount", sku: str = "", quantity: int = 1) -> Redemption:
    """Spend points, earliest-expiring lots first, never an expired lot; a reference is spent once.

    ``discount``: ``points`` worth money off an order; ``coupon``: a coupon of that value, valid
    for ``COUPON_DAYS``; ``goods``: ``quantity`` of ``sku`` at list price, the points needed
    rounded up to a whole point.
    """
    require(actor, "import")  # spent at the till, as recorded invoice discounts are
    programme, document = _programme(programme_code)
    fen_per_point = document.point_value * 100
    if form not in Redemption.Form.values:
        raise ValidationFailed(f"redeem for {', '.join(Redemption.Form.values)}",
                               details={"errors": [{"path": "form", "message": f"unknown form {form!r}"}]})
    if form == Redemption.Form.GOODS:
        product = Product.objects.filter(sku=sku).first()
        if product is None or quantity < 1 or product.list_price_minor <= 0:
            raise ValidationFailed(f"goods need a product with a list price and a quantity: {sku!r} x {quantity}",
                                   details={"errors": [{"path": "sku", "message": "unknown or without price"}]})
        points = int((Decimal(product.list_price_minor * quantity) / fen_per_point).to_integral_value(ROUND_CEILING))
    if points is None or points <= 0:
        raise ValidationFailed("redeem a positive number of points",
                               details={"errors": [{"path": "points", "message": "not positive"}]})
    with transaction.atomic():
        member = _member(programme, customer_code, actor=actor, lock=True)
        if member.redemptions.filter(reference=reference).exists():
            raise Conflict(f"redemption {reference!r} was already made", code="redemption_exists")
        owed = -(PointLot.objects.filter(member=member, remaining__lt=0)
                 .aggregate(total=Sum("remaining"))["total"] or 0)  # taken back beyond the balance earlier
        views = [LotView(lot.pk, lot.expires_on, lot.remaining) for lot in _lots_for_update(member)]
        usable = sum(view.remaining for view in views if view.expires_on >= day) - owed
        if points > usable:
            raise ValidationFailed(f"{customer_code} has {max(usable, 0)} points usable on {day}; {points} asked",
                                   details={"errors": [{"path": "points", "message": "more than the balance"}]})
        _take(member, allocate(views, points, today=day), kind=PointMovement.Kind.REDEEM, day=day,
              reference=reference, actor=actor, reason=form)
        redemption = Redemption.objects.create(
            member=member, form=form, reference=reference, day=day, points=points,
            value_minor=int((points * fen_per_point).to_integral_value(ROUND_FLOOR)), sku=sku,
            quantity=quantity if form == Redemption.Form.GOODS else 0,
            coupon_code=secrets.token_hex(5).upper() if form == Redemption.Form.COUPON else "",
            coupon_expires_on=day + timedelta(days=COUPON_DAYS) if form == Redemption.Form.COUPON else None,
        )
        audit_record(actor=actor, action="loyalty.redeem", object_type="customer", object_id=customer_code,
                     data={"programme": programme.code, "points": points, "reference": reference, "form": form})
        return redemption


def points_take_back(*, programme_code: str, return_number: str, actor: Any = None) -> int:
    """A return takes back the points its lines earned, in proportion to what was returned:
    first from the lot that earned them, then from the others (earliest expiry first). What is
    still missing is owed (a negative balance) if the programme allows it, else written in the
    ledger as not recovered. Answers the points taken back."""
    programme, document = _programme(programme_code)
    credit = SalesDocument.objects.filter(customer_scope(actor), number=return_number,
                                          kind=DocumentKind.RETURN).select_related(
        "reverses", "customer").first()
    if credit is None or credit.reverses is None:
        raise NotFound(f"no return {return_number!r} of an invoice")
    with transaction.atomic():
        member = _member(programme, credit.customer.code, actor=actor, lock=True)
        if member.movements.filter(kind=PointMovement.Kind.TAKE_BACK, reference=return_number).exists():
            return 0
        original = {line.line_number: line for line in credit.reverses.lines.all()}
        taken_total = 0
        for line in credit.lines.order_by("line_number"):
            lot = PointLot.objects.filter(member=member,
                                          source_ref=f"{credit.reverses.number}:{line.line_number}").first()
            sold = original.get(line.line_number)
            if lot is None or sold is None or not sold.net_amount_minor:
                continue
            owed = int(Decimal(lot.points) * Decimal(-line.net_amount_minor) / Decimal(sold.net_amount_minor))
            taken_total += _take_back(member, document, lot, min(owed, lot.points), day=credit.document_date,
                                      reference=return_number, actor=actor)
        return taken_total


def _take_back(member: Member, document: ProgrammeDocument, lot: PointLot, owed: int, *, day: date, reference: str,
               actor: Any) -> int:
    lots = _lots_for_update(member)
    first = [(lot.pk, min(owed, lot.remaining))] if lot.remaining > 0 else []
    left = owed - sum(points for _, points in first)
    others = [LotView(other.pk, other.expires_on, other.remaining) for other in lots if other.pk != lot.pk]
    more: list[tuple[int, int]] = []
    if left:
        usable = sum(view.remaining for view in others if view.expires_on >= day)
        more = allocate(others, min(left, usable), today=day)
        left -= sum(points for _, points in more)
    _take(member, [*first, *more], kind=PointMovement.Kind.TAKE_BACK, day=day, reference=reference, actor=actor,
          reason=f"return of {lot.source_ref}")
    if left and document.allow_negative_balance:
        debt = PointLot.objects.create(member=member, source=PointLot.Source.DEBT, source_ref=f"debt:{reference}:{lot.pk}",
                                       earned_on=day, expires_on=date(9999, 12, 31), points=0, remaining=-left)
        PointMovement.objects.create(member=member, lot=debt, kind=PointMovement.Kind.TAKE_BACK, day=day,
                                     points=-left, reference=reference,
                                     reason=f"return of {lot.source_ref}: owed beyond the balance")
        return owed
    if left:
        audit_record(actor=actor, action="loyalty.take_back_short", object_type="customer",
                     object_id=member.customer_id, data={"reference": reference, "not_recovered": left,
                                                         "lot": lot.source_ref})
    return owed - left


def points_expire(*, day: date) -> int:
    """Expire what is left of every lot whose last day is before ``day``: one movement per lot,
    written and applied by two set-based statements. Running it again expires nothing."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO loyalty_pointmovement (member_id, lot_id, kind, day, points, reference, reason, created_at) "
            "SELECT member_id, id, %s, %s, -remaining, %s, %s, %s FROM loyalty_pointlot "
            "WHERE expires_on < %s AND remaining > 0 ORDER BY id",
            [PointMovement.Kind.EXPIRE, day, f"expiry:{day.isoformat()}", "expired unused", now, day],
        )
        expired = cursor.rowcount
        cursor.execute("UPDATE loyalty_pointlot SET remaining = 0 WHERE expires_on < %s AND remaining > 0", [day])
    if expired:
        audit_record(actor=None, action="loyalty.expire", object_type="loyalty", object_id=day.isoformat(),
                     data={"lots": expired})
    return expired


# ---------------------------------------------------------------- tiers


def qualifying_spend(document: ProgrammeDocument, customer_ids: list[int], day: date) -> dict[int, int]:
    """Net sales (invoices less returns) per customer over the rolling window ending ``day``: one
    grouped query for any number of members."""
    since = _months_after(day, -document.qualifying_window_months)  # exclusive: twelve months up to ``day``
    rows = (SalesLine.objects.filter(customer_id__in=customer_ids, basis_date__gt=since, basis_date__lte=day)
            .values("customer_id").annotate(total=Sum("net_amount_minor")))
    return {row["customer_id"]: row["total"] or 0 for row in rows}


def _index(document: ProgrammeDocument, code: str) -> int:
    return next((i for i, tier in enumerate(document.tiers) if tier.code == code), 0)


def _change(member: Member, to: str, day: date, spend: int, reason: str) -> None:
    TierChange.objects.create(member=member, day=day, from_tier=member.tier_code, to_tier=to,
                              qualifying_spend_minor=spend, reason=reason)
    Member.objects.filter(pk=member.pk).update(tier_code=to, tier_since=day, below_since=None)
    member.tier_code, member.tier_since, member.below_since = to, day, None


def _upgrade(member: Member, document: ProgrammeDocument, day: date, actor: Any) -> None:
    spend = qualifying_spend(document, [member.customer_id], day).get(member.customer_id, 0)
    reached = tier_for_spend(document, Decimal(spend) / 100)
    if _index(document, reached.code) > _index(document, member.tier_code):
        _change(member, reached.code, day, spend, "qualifying spend reached: upgraded at once")
        audit_record(actor=actor, action="loyalty.tier_up", object_type="customer", object_id=member.customer_id,
                     data={"to": reached.code, "spend_minor": spend})


def tier_review(*, programme_code: str, day: date, actor: Any = None) -> dict[str, int]:
    """Review every member's tier on ``day``: up at once when the rolling spend reaches a higher
    tier; down only when the spend has stayed below the current tier for the grace period."""
    programme, document = _programme(programme_code)
    counts = {"up": 0, "down": 0, "grace_started": 0}
    with transaction.atomic():
        members = list(Member.objects.select_for_update().filter(programme=programme))
        spends = qualifying_spend(document, [m.customer_id for m in members], day)
        grace = document.downgrade_grace_months
        for member in members:
            spend = spends.get(member.customer_id, 0)
            reached = tier_for_spend(document, Decimal(spend) / 100)
            now, target = _index(document, member.tier_code), _index(document, reached.code)
            if target > now:
                _change(member, reached.code, day, spend, "qualifying spend reached: upgraded at once")
                counts["up"] += 1
            elif target == now and member.below_since is not None:
                Member.objects.filter(pk=member.pk).update(below_since=None)  # back above: the grace ends
            elif target < now and member.below_since is None:
                Member.objects.filter(pk=member.pk).update(below_since=day)
                counts["grace_started"] += 1
            elif target < now and member.below_since is not None and day >= _months_after(member.below_since, grace):
                _change(member, reached.code, day, spend,
                        f"qualifying spend below {member.tier_code} for {grace} months: downgraded at review")
                counts["down"] += 1
        audit_record(actor=actor, action="loyalty.tier_review", object_type="programme", object_id=programme.code,
                     data={"day": day.isoformat(), **counts})
    return counts


def _months_after(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
