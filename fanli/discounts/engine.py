"""The quote engine: net prices for one customer, date and order, with every discount applied
and the reason every other rule did not apply. Pure Python: no database, no clock.

Order of work, per rule and then per line:

1. A rule must be valid on the date, the customer eligible, and its limits not used up
   (invoices per customer, invoices in all, budget). Otherwise it is skipped for the whole order.
2. ``min_order_amount`` compares the order's lines in the rule's scope, before discounts.
3. On each line: the product must be in scope and the quantity at least ``min_quantity``. The
   rule's percent is the customer's contract percent, else its grade's (ladder) or the rule's;
   windows containing the date add their extra percent. An amount-per-unit rule takes that
   amount off each unit.
4. Rounding: each rule's amount on a line is rounded once, half-up, to the fen.
5. Exclusive rules compete: the largest amount wins the line (ties: lower priority number,
   then code). Additive rules then add on, in priority order, while the line's total discount
   stays within the rule's ``additive_cap_percent`` of the line. No line ever goes below zero.
6. A rule's budget is spent line by line; the line that reaches it is trimmed to what is left.
7. After the rules, a loyalty tier's discount applies per line, then a coupon (bought with points)
   takes its value off the order, split over the lines in proportion to what is left of each;
   a coupon worth more than the order is used up to the order's net, never below zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from fanli.common.money import format_minor, split_proportionally
from fanli.rebates.compile import CustomerFacts, ProductFacts, ScopeSets, customer_eligible

from .document import AmountOffPerUnit, DiscountRuleDocument, GradeLadder, PercentOff, StackingName


@dataclass(frozen=True)
class QuoteLine:
    line_number: int
    product: ProductFacts
    quantity: Decimal
    unit_price_minor: int


class CompiledRule:
    """What the engine derives from a rule document once, whatever the customer, day or order:
    its order, stacking, money limits in fen and its product scope as sets. It remembers each
    product's scope answer (a product's facts are the key, so a changed product is a new key).
    Callers keep one per published version (``selectors.compiled_rule``); the document is never
    validated again for a quote."""

    __slots__ = ("_scope_answers", "budget_minor", "code", "document", "everything", "exclusive", "min_order_minor",
                 "min_quantity", "order", "scope")

    SCOPE_ANSWERS_MAX = 20_000  # products remembered per rule; beyond, the memory starts again

    def __init__(self, document: DiscountRuleDocument) -> None:
        self.document = document
        self.code = document.code
        self.order = (document.priority, document.code)  # lower priority number first, then code
        self.exclusive = document.stacking is StackingName.EXCLUSIVE
        self.scope = ScopeSets.of(document.scope)
        self.min_quantity = document.conditions.min_quantity
        minimum, budget = document.conditions.min_order_amount, document.limits.budget
        self.min_order_minor = None if minimum is None else _round(minimum * 100)
        self.budget_minor = None if budget is None else _round(budget * 100)
        self._scope_answers: dict[tuple[str, tuple[str, ...], str | None], tuple[bool, str]] = {}
        scope = self.scope
        everything = not (scope.include_skus or scope.include_brands or scope.include_categories
                          or scope.exclude_skus or scope.exclude_brands or scope.exclude_categories)
        # a rule for every product gives every product the same answer
        self.everything = scope.check(ProductFacts(0, "", (), None)) if everything else None

    def scope_check(self, product: ProductFacts) -> tuple[bool, str]:
        """(counted?, reason), as ``ScopeSets.check`` answers it."""
        if self.everything is not None:
            return self.everything
        key = (product.sku, product.category_codes, product.brand_code)  # what the answer depends on
        answer = self._scope_answers.get(key)
        if answer is None:
            if len(self._scope_answers) >= self.SCOPE_ANSWERS_MAX:
                self._scope_answers.clear()
            answer = self._scope_answers[key] = self.scope.check(product)
        return answer


@dataclass(frozen=True)
class RuleInput:
    """A published rule version with what the database knows about its use so far."""

    version_id: int
    document: DiscountRuleDocument
    contract_percent: Decimal | None = None  # the customer's contract (协议) percent, if any
    customer_uses: int = 0  # invoices of this customer the rule already discounted
    total_uses: int = 0  # invoices the rule already discounted in all
    spent_minor: int = 0  # discount money the rule already gave
    compiled: CompiledRule = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.compiled is None:
            object.__setattr__(self, "compiled", CompiledRule(self.document))
        elif self.compiled.document is not self.document:
            raise ValueError("the compiled rule is not this document's")


@dataclass(frozen=True)
class Applied:
    rule: str
    version_id: int
    percent: Decimal | None  # None for an amount-per-unit rule
    amount_minor: int
    reason: str


@dataclass(frozen=True)
class Skipped:
    rule: str
    reason: str


@dataclass
class LineQuote:
    line_number: int
    sku: str
    quantity: Decimal
    unit_price_minor: int
    gross_minor: int
    applied: list[Applied] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def discount_minor(self) -> int:
        return sum(a.amount_minor for a in self.applied)

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.discount_minor


@dataclass
class Quote:
    customer: str
    day: date
    lines: list[LineQuote]
    skipped: list[Skipped]  # rules that did not apply to the order at all, with the reason
    credit: Any = None  # the rebate-account credit the order may use (added by the selector)
    coupon: CouponOffer | None = None
    coupon_used_minor: int = 0

    @property
    def gross_minor(self) -> int:
        return sum(line.gross_minor for line in self.lines)

    @property
    def discount_minor(self) -> int:
        return sum(line.discount_minor for line in self.lines)

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.discount_minor

    def by_rule(self) -> dict[int, int]:
        """Discount money per rule version id (what the usage ledger records)."""
        totals: dict[int, int] = defaultdict(int)
        for line in self.lines:
            for applied in line.applied:
                if applied.version_id:  # a tier benefit is not a rule's usage
                    totals[applied.version_id] += applied.amount_minor
        return dict(totals)


_ONE = Decimal(1)


def _round(value: Decimal) -> int:
    return int(value.quantize(_ONE, ROUND_HALF_UP))


@lru_cache(maxsize=4096)
def _money(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


@dataclass(frozen=True)
class MemberDiscount:
    """A loyalty tier's own discount (e.g. gold members 2 % off), applied after the rules."""

    label: str  # e.g. "tier:club:gold"
    percent: Decimal
    reason: str


@dataclass(frozen=True)
class CouponOffer:
    """A coupon bought with loyalty points, checked usable by the selector: its value off the order."""

    code: str
    value_minor: int


def quote(customer: CustomerFacts, day: date, lines: list[QuoteLine], rules: list[RuleInput],
          *, currency: str = "CNY", member: MemberDiscount | None = None, coupon: CouponOffer | None = None) -> Quote:
    result = Quote(customer=customer.code, day=day, skipped=[], lines=[
        LineQuote(line.line_number, line.product.sku, line.quantity, line.unit_price_minor,
                  _round(Decimal(line.unit_price_minor) * line.quantity))
        for line in lines
    ])
    ordered = sorted(rules, key=lambda r: r.compiled.order)
    live: list[tuple[RuleInput, _Terms | str]] = []
    for rule in ordered:
        reason = _order_level_refusal(rule, customer, day, lines, result, currency)
        if reason:
            result.skipped.append(Skipped(rule.compiled.code, reason))
        else:
            live.append((rule, _terms(rule, customer, day, currency)))
    budget_left = {
        r.version_id: r.compiled.budget_minor - r.spent_minor for r, _ in live if r.compiled.budget_minor is not None
    }
    for line, line_quote in zip(lines, result.lines, strict=True):
        offers: list[tuple[RuleInput, int, Decimal | None, str]] = []
        for rule, terms in live:
            offer = _offer(rule.compiled, terms, line, line_quote.gross_minor)
            if isinstance(offer, str):
                line_quote.skipped.append(Skipped(rule.compiled.code, offer))
                continue
            amount, percent, reason = offer
            left = budget_left.get(rule.version_id)
            if left is not None and left <= 0:
                line_quote.skipped.append(Skipped(rule.compiled.code, "budget used up"))
                continue
            if left is not None and amount > left:
                amount, reason = left, f"{reason}; trimmed to the budget left ({_money(left, currency)})"
            offers.append((rule, amount, percent, reason))
        _settle_line(line_quote, offers, budget_left, currency)
        if member is not None and member.percent > 0:
            amount = min(_round(Decimal(line_quote.gross_minor) * member.percent / 100), line_quote.net_minor)
            if amount > 0:  # a tier benefit: no rule version, never below zero
                line_quote.applied.append(Applied(member.label, 0, member.percent, amount, member.reason))
    if coupon is not None:
        _coupon_apply(result, coupon, currency)
    return result


def _coupon_apply(result: Quote, coupon: CouponOffer, currency: str) -> None:
    nets = [line.net_minor for line in result.lines]
    used = min(coupon.value_minor, sum(nets))
    reason = f"coupon {coupon.code} worth {_money(coupon.value_minor, currency)}"
    if used < coupon.value_minor:
        reason += f"; {_money(used, currency)} of it used: the order's net is smaller"
    for line, share in zip(result.lines, split_proportionally(used, nets) if used > 0 else [0] * len(nets),
                           strict=True):
        if share > 0:  # no rule version: a coupon is not a rule's usage
            line.applied.append(Applied(f"coupon:{coupon.code}", 0, None, share, reason))
    result.coupon, result.coupon_used_minor = coupon, used


def _order_level_refusal(rule: RuleInput, customer: CustomerFacts, day: date, lines: list[QuoteLine],
                         result: Quote, currency: str) -> str | None:
    compiled = rule.compiled
    doc = compiled.document
    if day < doc.valid_from or (doc.valid_until is not None and day > doc.valid_until):
        until = doc.valid_until.isoformat() if doc.valid_until else "open end"
        return f"not valid on {day} (valid {doc.valid_from} to {until})"
    eligible, why = customer_eligible(doc, customer, period_end=day, enrolled=rule.contract_percent is not None)
    if not eligible:
        return why
    limits = doc.limits
    if limits.uses_per_customer is not None and rule.customer_uses >= limits.uses_per_customer:
        return f"already used on {rule.customer_uses} invoice(s) of this customer, the limit"
    if limits.uses_total is not None and rule.total_uses >= limits.uses_total:
        return f"already used on {rule.total_uses} invoice(s), the limit"
    if compiled.budget_minor is not None and rule.spent_minor >= compiled.budget_minor:
        return f"budget of {_money(compiled.budget_minor, currency)} used up"
    minimum = compiled.min_order_minor
    if minimum is not None:
        in_scope = sum(q.gross_minor for line, q in zip(lines, result.lines, strict=True)
                       if compiled.scope_check(line.product)[0])
        if in_scope < minimum:
            return (f"order amount in scope {_money(in_scope, currency)} is below the minimum "
                    f"{_money(minimum, currency)}")
    return None


@dataclass(frozen=True, slots=True)
class _Terms:
    """What a rule gives this customer on this day, the same on every line: a percent (with its
    reason), or an amount off each unit (``per_unit_hundred`` is that amount in fen)."""

    percent: Decimal | None
    per_unit_hundred: Decimal | None
    reason: str


def _terms(rule: RuleInput, customer: CustomerFacts, day: date, currency: str) -> _Terms | str:
    """The rule's percent for this customer and day, or why it gives nothing on any line."""
    compiled = rule.compiled
    discount = compiled.document.discount
    if isinstance(discount, AmountOffPerUnit):
        hundred = discount.amount * 100
        return _Terms(None, hundred, f"{_money(_round(hundred), currency)} off each unit")
    if rule.contract_percent is not None:
        percent, source = rule.contract_percent, "contract"
    elif isinstance(discount, GradeLadder):
        grade = customer.grade_code or "-"
        rate = discount.grades.get(grade, discount.default_percent)
        if rate is None:
            return f"grade {grade} has no discount in this ladder"
        percent, source = rate, f"grade {grade}"
    else:
        assert isinstance(discount, PercentOff)
        percent, source = discount.percent, "rule"
    windows = [w for w in compiled.document.windows if w.from_ <= day <= w.until]
    extra = sum((w.extra_percent for w in windows), Decimal(0))
    total = min(percent + extra, Decimal(100))
    reason = f"{_pct(percent)} ({source})" + "".join(f" + {_pct(w.extra_percent)} ({w.name})" for w in windows)
    if total <= 0:
        return f"{reason}: nothing off"
    return _Terms(total, None, reason)


def _offer(compiled: CompiledRule, terms: _Terms | str, line: QuoteLine,
           gross_minor: int) -> tuple[int, Decimal | None, str] | str:
    """(amount, percent, reason) the rule offers on the line, or why it offers nothing."""
    in_scope, why = compiled.scope_check(line.product)
    if not in_scope:
        return why
    minimum = compiled.min_quantity
    if minimum is not None and line.quantity < minimum:
        return f"quantity {line.quantity.normalize():f} is below the minimum {minimum.normalize():f}"
    if isinstance(terms, str):
        return terms
    if terms.per_unit_hundred is not None:
        return min(_round(terms.per_unit_hundred * line.quantity), gross_minor), None, terms.reason
    assert terms.percent is not None
    return _round(Decimal(gross_minor) * terms.percent / 100), terms.percent, terms.reason


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _settle_line(line: LineQuote, offers: list[tuple[RuleInput, int, Decimal | None, str]],
                 budget_left: dict[int, int], currency: str) -> None:
    exclusive = [o for o in offers if o[0].compiled.exclusive]
    additive = [o for o in offers if not o[0].compiled.exclusive]
    if exclusive:
        winner = min(exclusive, key=lambda o: (-o[1], *o[0].compiled.order))
        _apply(line, winner, winner[1], winner[3], budget_left)
        for other in exclusive:
            if other is not winner:
                line.skipped.append(Skipped(other[0].compiled.code, (
                    f"best-of: {winner[0].compiled.code} gives {_money(winner[1], currency)}, this rule "
                    f"{_money(other[1], currency)}")))
    for offer in additive:
        rule, amount = offer[0], offer[1]
        cap = rule.compiled.document.additive_cap_percent
        ceiling = line.gross_minor if cap is None else min(line.gross_minor, _round(Decimal(line.gross_minor) * cap / 100))
        room = ceiling - line.discount_minor
        if room <= 0:
            limit = f"the {_pct(cap)} cap" if cap is not None else "the line's amount"
            line.skipped.append(Skipped(rule.compiled.code, f"the line's discount already reaches {limit}"))
            continue
        if amount > room:
            _apply(line, offer, room, f"{offer[3]}; trimmed to the {_pct(cap) if cap is not None else '100%'} cap",
                   budget_left)
        else:
            _apply(line, offer, amount, offer[3], budget_left)


def _apply(line: LineQuote, offer: tuple[RuleInput, int, Decimal | None, str], amount: int, reason: str,
           budget_left: dict[int, int]) -> None:
    rule = offer[0]
    amount = min(amount, line.net_minor)  # never below zero
    line.applied.append(Applied(rule.compiled.code, rule.version_id, offer[2], amount, reason))
    if rule.version_id in budget_left:
        budget_left[rule.version_id] -= amount
