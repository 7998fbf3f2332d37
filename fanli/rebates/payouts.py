"""Paying statements, and using the rebate credit they leave against orders.

Design: this is the part of the money's way out that knows statements and policies. A payout
pays one approved statement in the form its policy names (credit on the rebate account, cash,
goods, loyalty points) and posts the payable's way out through ``fanli.ledger``; credit use
against an order applies the strictest per-order limits of the policies that credited the
customer. The ledger underneath (entries, credit lots and their use, expiry) knows nothing of
statements or policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fanli.accounts.controls import require, require_second_person
from fanli.accounts.selectors import customers_for
from fanli.catalog.models import Product
from fanli.common.exceptions import Conflict, NotFound
from fanli.common.money import split_proportionally
from fanli.common.services import audit_record
from fanli.customers.models import NoticeKind
from fanli.ledger.exceptions import StateError, ValidationFailed
from fanli.ledger.models import Account, CreditLot, CreditUse, EntryKind, OrderOffset, Payout, PayoutForm
from fanli.ledger.selectors import credit_available_minor
from fanli.ledger.services import Posting, credit_take, entries_post
from fanli.notices.services import notice_raise

from .models import Statement
from .selectors import parsed


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def payout_record(*, statement_id: int, actor: Any, paid_on: date, reference: str = "",
                  today: date | None = None) -> Payout:
    """Pay an approved statement in its policy's form, once.

    - rebate_account: the amount becomes credit usable against later orders;
    - cash: paid by bank transfer (``reference`` carries the transfer number);
    - goods: whole units of the policy's product at list price, the remainder kept as credit;
    - points: ``points_per_yuan`` points per yuan, the value moved to the points liability.
    A negative (clawback) statement is recovered from rebate-account credit first, the rest
    becoming a receivable from the customer.

    Controls: the ``pay`` right; under four eyes not the person who approved the statement; and
    ``paid_on`` neither before the statement's period ended nor before its approval, nor after
    ``today`` (a payout records money that has gone).
    """
    require(actor, "pay")
    with transaction.atomic():
        statement = (Statement.objects.select_for_update(of=("self",))
                     .select_related("policy_version", "policy", "customer").filter(pk=statement_id).first())
        if statement is None:
            raise NotFound(f"no statement {statement_id}")
        if statement.state != Statement.State.APPROVED:
            raise StateError(f"statement {statement_id} is {statement.state}; only an approved statement is paid",
                             details={"state": statement.state})
        require_second_person(actor, [statement.approved_by_id], doing="pay",
                              made=f"statement {statement_id}, which you approved")
        _check_paid_on(statement, paid_on, today or timezone.localdate())
        document = parsed(statement.policy_version)
        form = document.payout.form.value
        payout = Payout(statement=statement, customer_id=statement.customer_id, form=form,
                        amount_minor=statement.amount_minor, reference=reference, paid_on=paid_on,
                        actor=_actor_or_none(actor))
        common: dict[str, Any] = {"customer_id": statement.customer_id, "policy_id": statement.policy_id,
                  "period_key": statement.period_key, "statement_id": statement.pk, "effective_date": paid_on}
        legs: list[tuple[str, int, str]] = []  # (credit account, amount, reason)
        if statement.amount_minor < 0:
            owed = -statement.amount_minor
            credit = credit_available_minor(statement.customer_id, on=paid_on)
            payout.recovered_from_credit_minor = min(credit, owed)
            legs = [(Account.REBATE_ACCOUNT, -payout.recovered_from_credit_minor, "clawback taken from rebate credit"),
                    (Account.RECEIVABLES, -(owed - payout.recovered_from_credit_minor), "clawback owed by the customer")]
        elif form == PayoutForm.GOODS:
            product = Product.objects.filter(sku=document.payout.goods_sku).first()
            if product is None or product.list_price_minor <= 0:
                raise StateError(f"goods payout needs product {document.payout.goods_sku} with a list price")
            payout.goods_product = product
            payout.goods_quantity = statement.amount_minor // product.list_price_minor
            payout.goods_value_minor = payout.goods_quantity * product.list_price_minor
            payout.remainder_credit_minor = statement.amount_minor - payout.goods_value_minor
            legs = [(Account.GOODS_ISSUED, payout.goods_value_minor,
                     f"{payout.goods_quantity} x {product.sku} at {product.list_price_minor}"),
                    (Account.REBATE_ACCOUNT, payout.remainder_credit_minor, "goods remainder kept as credit")]
        elif form == PayoutForm.POINTS:
            rate = document.payout.points_per_yuan or Decimal(0)
            payout.points = int((Decimal(statement.amount_minor) * rate / 100).to_integral_value(ROUND_FLOOR))
            legs = [(Account.POINTS_LIABILITY, statement.amount_minor, f"{payout.points} points")]
        else:
            target = Account.CASH if form == PayoutForm.CASH else Account.REBATE_ACCOUNT
            legs = [(target, statement.amount_minor, f"paid as {form}")]
        try:
            with transaction.atomic():
                payout.save()
        except IntegrityError:
            raise StateError(f"statement {statement_id} is already paid", code="already_paid") from None
        credited = sum(amount for account, amount, _ in legs if account == Account.REBATE_ACCOUNT and amount > 0)
        if credited:
            days = document.payout.credit_expiry_days
            CreditLot.objects.create(customer_id=statement.customer_id, payout=payout, amount_minor=credited,
                                     expires_on=paid_on + timedelta(days=days) if days else None)
        if payout.recovered_from_credit_minor:
            credit_take(statement.customer_id, payout.recovered_from_credit_minor, on=paid_on,
                         kind=CreditUse.Kind.CLAWBACK, payout=payout)
        postings = []
        for index, (account, amount, reason) in enumerate(legs):
            debit, credit_account = (Account.REBATES_PAYABLE, account) if amount >= 0 else (account, Account.REBATES_PAYABLE)
            postings.append(Posting(EntryKind.PAYOUT, debit, credit_account, abs(amount),
                                    f"payout:{payout.pk}:{index}", payout_id=payout.pk, reason=reason, **common))
        entries_post(postings=postings, actor=actor)
        if payout.points and document.payout.points_programme:
            from fanli.loyalty.services import points_grant

            points_grant(programme_code=document.payout.points_programme, customer_code=statement.customer.code,
                         points=payout.points, reference=f"payout:{payout.pk}", day=paid_on, actor=actor,
                         reason=f"rebate {statement.policy.code} {statement.period_key} paid in points")
        Statement.objects.filter(pk=statement.pk).update(state=Statement.State.PAID)
        audit_record(actor=actor, action="payout.record", object_type="payout", object_id=payout.pk,
                     data={"statement": statement.pk, "form": form, "amount_minor": statement.amount_minor,
                           "goods_quantity": payout.goods_quantity, "points": payout.points})
        _payout_notice(statement, payout)
    return payout


def _payout_notice(statement: Statement, payout: Payout) -> None:
    """Tell the customer's contacts who take payout notices (once per payout)."""
    clawback = payout.amount_minor < 0
    notice_raise(customer_id=statement.customer_id, kind=NoticeKind.PAYOUT, key=f"payout:{payout.pk}", params={
        "statement": statement.pk, "policy_name": statement.policy.name, "period_key": statement.period_key,
        "amount_minor": abs(payout.amount_minor) if clawback else payout.amount_minor, "clawback": clawback,
        "currency": statement.currency, "form": payout.form, "paid_on": payout.paid_on.isoformat(),
        "reference": payout.reference,
        "recovered_from_credit_minor": payout.recovered_from_credit_minor,
        "owed_minor": -payout.amount_minor - payout.recovered_from_credit_minor if clawback else 0,
        "goods_quantity": payout.goods_quantity, "goods_sku": payout.goods_product.sku if payout.goods_product else "",
        "remainder_credit_minor": payout.remainder_credit_minor, "points": payout.points})


def _check_paid_on(statement: Any, paid_on: date, today: date) -> None:
    if paid_on > today:
        raise ValidationFailed(f"a payout of statement {statement.pk} cannot be dated {paid_on}, after today ({today})",
                               details={"errors": [{"path": "paid_on", "message": f"on or before {today}"}]})
    after_counting = statement.counted_through + timedelta(days=1)
    earliest = max(after_counting, statement.approved_on or after_counting)
    if paid_on < earliest:
        why = (statement.counted_through_text() if earliest == after_counting
               else f"it was approved on {statement.approved_on}")
        raise ValidationFailed(f"a payout of statement {statement.pk} cannot be dated {paid_on}: {why}",
                               details={"errors": [{"path": "paid_on", "message": f"on or after {earliest}"}]})


@dataclass(frozen=True)
class CreditLimits:
    max_percent: Decimal | None
    max_amount_minor: int | None
    min_order_minor: int | None
    sources: tuple[str, ...]


def credit_limits(customer_id: int) -> CreditLimits:
    """The strictest limits of the policies whose payouts credited this customer."""
    percent: Decimal | None = None
    amount: int | None = None
    minimum: int | None = None
    sources = []
    payouts = Payout.objects.filter(customer_id=customer_id, form__in=[PayoutForm.REBATE_ACCOUNT, PayoutForm.GOODS])
    versions = {p.statement.policy_version_id: p.statement.policy_version
                for p in payouts.select_related("statement__policy_version")}
    for version in versions.values():
        rules = parsed(version).payout
        sources.append(parsed(version).code)
        if rules.max_offset_percent_per_order is not None:
            value_percent = rules.max_offset_percent_per_order
            percent = value_percent if percent is None else min(percent, value_percent)
        if rules.max_offset_amount is not None:
            value = int(rules.max_offset_amount * 100)
            amount = value if amount is None else min(amount, value)
        if rules.min_order_amount is not None:
            value = int(rules.min_order_amount * 100)
            minimum = value if minimum is None else max(minimum, value)
    return CreditLimits(percent, amount, minimum, tuple(sorted(set(sources))))


@dataclass(frozen=True)
class CreditOffer:
    """What rebate-account credit an order of a given amount may use, and why."""

    available_minor: int
    usable_minor: int
    reasons: list[str]
    refusal: str = ""  # set when the order may use no credit at all (below the minimum order)


def credit_offer(customer_id: int, order_minor: int, *, on: date) -> CreditOffer:
    """Credit usable on one order: what is available on ``on``, within the strictest per-order
    limits of the policies that credited the customer. Reads only (quotes show it)."""
    available = credit_available_minor(customer_id, on=on)
    if available <= 0:
        return CreditOffer(available, 0, [f"credit available {available}"])
    limits = credit_limits(customer_id)
    allowed, reasons = available, [f"credit available {available}"]
    if limits.min_order_minor is not None and order_minor < limits.min_order_minor:
        return CreditOffer(available, 0, reasons, refusal=(
            f"credit can be used on orders from {limits.min_order_minor / 100:.2f}; this order is "
            f"{order_minor / 100:.2f}"))
    if limits.max_percent is not None:
        by_percent = int((Decimal(order_minor) * limits.max_percent / 100).to_integral_value(ROUND_FLOOR))
        allowed = min(allowed, by_percent)
        reasons.append(f"{limits.max_percent}% of the order = {by_percent}")
    if limits.max_amount_minor is not None:
        allowed = min(allowed, limits.max_amount_minor)
        reasons.append(f"at most {limits.max_amount_minor} per order")
    return CreditOffer(available, max(min(allowed, order_minor), 0), reasons)


def rebate_credit_use(
    *, customer_id: int, order_reference: str, line_amounts_minor: list[int], effective_date: date, actor: Any,
    requested_minor: int | None = None,
) -> OrderOffset:
    """Use rebate-account credit against an order, within the policies' limits per order.

    The offset is spread over the order's lines in proportion to their amounts, the parts
    adding up exactly. The same order reference twice returns the first offset (also when both
    arrive at once: the unique (customer, order reference) decides, and the loser answers the
    winner's offset); the same reference with another order amount or offset is a ``Conflict``.
    """
    require(actor, "settle")
    if not line_amounts_minor or any(a < 0 for a in line_amounts_minor):
        raise ValidationFailed("an order needs lines with amounts that are not negative",
                               details={"errors": [{"path": "lines", "message": "empty or negative"}]})
    if not customers_for(actor).filter(pk=customer_id).exists():  # interfaces look the code up the same way first
        raise NotFound(f"no customer with id {customer_id}")
    order_minor = sum(line_amounts_minor)
    with transaction.atomic():
        # Uses of one customer's credit queue here (lots locked in id order), so the second of two
        # at once sees the first's offset; the unique constraint below stays the last word.
        list(CreditLot.objects.select_for_update().filter(customer_id=customer_id).order_by("id").values_list("id"))
        existing = OrderOffset.objects.filter(customer_id=customer_id, order_reference=order_reference).first()
        if existing is not None:
            return _credit_use_replay(existing, order_minor=order_minor, requested_minor=requested_minor)
        offer = credit_offer(customer_id, order_minor, on=effective_date)
        if offer.refusal:
            raise ValidationFailed(offer.refusal, details={"errors": [{"path": "lines", "message":
                                                                       "order below the minimum for credit use"}]})
        allowed, reasons = offer.usable_minor, offer.reasons
        offset = allowed if requested_minor is None else requested_minor
        if offset <= 0 or offset > allowed:
            raise ValidationFailed(
                f"at most {allowed / 100:.2f} of credit can be used on this order ({'; '.join(reasons)})",
                details={"errors": [{"path": "requested", "message": f"allowed {allowed}"}], "allowed_minor": allowed},
            )
        split = split_proportionally(offset, line_amounts_minor)
        try:
            with transaction.atomic():
                order = OrderOffset.objects.create(
                    customer_id=customer_id, order_reference=order_reference, order_amount_minor=order_minor,
                    offset_minor=offset, line_split=split, effective_date=effective_date,
                )
        except IntegrityError:
            # A concurrent use of the same order reference committed first (the insert waited for it).
            winner = OrderOffset.objects.filter(customer_id=customer_id, order_reference=order_reference).first()
            if winner is None:
                raise
            return _credit_use_replay(winner, order_minor=order_minor, requested_minor=requested_minor)
        credit_take(customer_id, offset, on=effective_date, kind=CreditUse.Kind.ORDER, order_offset=order)
        entries_post(postings=[Posting(EntryKind.ORDER_OFFSET, Account.REBATE_ACCOUNT, Account.RECEIVABLES, offset,
                                       f"offset:{order.pk}", effective_date, customer_id=customer_id,
                                       reason=f"credit used on order {order_reference}")], actor=actor)
        audit_record(actor=actor, action="credit.use", object_type="order_offset", object_id=order.pk,
                     data={"order": order_reference, "offset_minor": offset, "split": split})
    return order


def _credit_use_replay(existing: OrderOffset, *, order_minor: int, requested_minor: int | None) -> OrderOffset:
    """A second use of an order reference: the first offset again when the order is the same
    (and no other offset is asked for), otherwise a conflict."""
    if existing.order_amount_minor != order_minor or (
        requested_minor is not None and requested_minor != existing.offset_minor
    ):
        raise Conflict(f"order {existing.order_reference} already has a different offset", code="already_done",
                       details={"order_reference": existing.order_reference,
                                "order_amount_minor": existing.order_amount_minor,
                                "offset_minor": existing.offset_minor})
    return existing
