"""A policy's terms in plain words, as the customer reads its agreement (返利协议): who takes
part, what counts, how much is paid, for which period, how and when it is paid, caps and
campaign windows. Pure: a document (and the customer's own overrides) in, sentences out, in the
active language."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fanli.common.money import format_minor

from .document import BasisSource, Metric, PolicyDocument, TierMode


@dataclass(frozen=True)
class Section:
    heading: str
    sentences: list[str]
    table: list[tuple[str, str]] = field(default_factory=list)  # (threshold, rate) rows of a tier table


def _money(value: Decimal | None, currency: str) -> str:
    return format_minor(int((value or Decimal(0)) * 100), currency)


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if "." in text:
        whole, fraction = text.split(".")
        return f"{int(whole):,}.{fraction}"
    return f"{int(text):,}"


def _percent(value: Decimal | None) -> str:
    return f"{_number(value or Decimal(0))}%"


_PERIODS = {"month": lambda: pgettext("each period", "each month"), "quarter": lambda: pgettext("each period", "each quarter"),
            "half_year": lambda: pgettext("each period", "each half-year"), "year": lambda: pgettext("each period", "each year")}


def _threshold(value: Decimal, metric: Metric, currency: str) -> str:
    if metric is Metric.QUANTITY:
        return _("%(quantity)s units") % {"quantity": _number(value)}
    if metric is Metric.ORDERS:
        return _("%(orders)s orders") % {"orders": _number(value)}
    if metric is Metric.GROWTH:
        return _("%(percent)s growth") % {"percent": _percent(value)}
    return _money(value, currency)


def agreement_terms(document: PolicyDocument, overrides: dict[str, Any] | None = None) -> list[Section]:
    """The sections of the agreement, each a heading and its sentences."""
    overrides = overrides or {}
    doc, currency = document, document.currency
    sections: list[Section] = []

    who: list[str] = []
    rules = doc.eligibility
    for values, text in ((rules.kinds, _("Customer kinds: %(values)s.")), (rules.grades, _("Grades: %(values)s.")),
                         (rules.regions, _("Regions: %(values)s.")),
                         (rules.tags_any, _("Customers tagged %(values)s.")),
                         (rules.abc_classes, _("ABC classes: %(values)s.")),
                         (rules.relationships, _("Relationship levels: %(values)s."))):
        if values:
            who.append(text % {"values": ", ".join(values)})
    if rules.min_tenure_days:
        who.append(_("Customers for at least %(days)s days at the end of the period.") % {"days": rules.min_tenure_days})
    if rules.enrolment_required:
        who.append(_("Only customers who signed this agreement (返利协议) take part."))
    sections.append(Section(_("Who takes part"), who or [_("Every active customer.")]))

    what: list[str] = []
    include, exclude = doc.scope.include, doc.scope.exclude
    if include.is_empty():
        what.append(_("Purchases of every product count."))
    else:
        for values, text in ((include.categories, _("Purchases in the categories %(values)s count.")),
                             (include.brands, _("Purchases of the brands %(values)s count.")),
                             (include.skus, _("Purchases of the products %(values)s count."))):
            if values:
                what.append(text % {"values": ", ".join(values)})
    for values, text in ((exclude.categories, _("Except the categories %(values)s.")),
                         (exclude.brands, _("Except the brands %(values)s.")),
                         (exclude.skus, _("Except the products %(values)s."))):
        if values:
            what.append(text % {"values": ", ".join(values)})
    what.append(_("Invoices count net of returns, by the date of the invoice.") if doc.basis_source is BasisSource.INVOICED
                else _("Only the paid part of each invoice counts; returns count in full."))
    metric_words = {
        Metric.AMOUNT: _("The rebate is measured on the amount purchased."),
        Metric.QUANTITY: _("The rebate is measured on the quantity purchased."),
        Metric.ORDERS: _("The rebate is measured on the number of orders."),
        Metric.GROWTH: _("The rebate is measured on growth over the same period a year earlier."),
    }
    what.append(metric_words[doc.metric])
    sections.append(Section(_("What counts"), what))

    how: list[str] = []
    table: list[tuple[str, str]] = []
    calc = doc.calculation
    if calc.type == "flat_rate":
        rate = Decimal(str(overrides.get("rate_percent", calc.rate_percent)))
        how.append(_("%(rate)s of what counts.") % {"rate": _percent(rate)})
    elif calc.type == "per_unit":
        how.append(_("%(amount)s per unit.") % {"amount": _money(calc.amount_per_unit, currency)})
    elif calc.type == "target_bonus":
        bonus = Decimal(str(overrides.get("bonus", calc.bonus)))
        target = Decimal(str(overrides.get("target", calc.target)))
        how.append(_("A bonus of %(bonus)s once you reach %(target)s in the period.")
                   % {"bonus": _money(bonus, currency), "target": _threshold(target, doc.metric, currency)})
    else:
        modes = {
            TierMode.RETROACTIVE: _("The rate of the highest tier reached applies to everything counted in the period."),
            TierMode.INCREMENTAL: _("Each tier's rate applies to the part that falls within that tier."),
            TierMode.ROLLING: _("Lower tiers pay their rate on their full band; the highest tier reached pays its "
                                "rate on everything counted."),
            TierMode.TOTAL: _("Every tier reached pays its rate on everything counted; the results are added up."),
        }
        how.append(modes[calc.mode])
        tiers = overrides.get("tiers") or [t.model_dump(mode="json", by_alias=True) for t in calc.tiers]
        for tier in tiers:
            threshold = _threshold(Decimal(str(tier["from"])), doc.metric, currency)
            if tier.get("rate_percent") is not None:
                table.append((threshold, _percent(Decimal(str(tier["rate_percent"])))))
            else:
                table.append((threshold, _("%(amount)s per unit") % {
                    "amount": _money(Decimal(str(tier["amount_per_unit"])), currency)}))
    if overrides:
        how.append(_("These are your own terms, agreed for you in place of the standard ones."))
    sections.append(Section(_("How much"), how, table))

    caps: list[str] = []
    if doc.caps.basis_cap is not None:
        caps.append(_("At most %(amount)s of purchases count per period.") % {"amount": _money(doc.caps.basis_cap, currency)})
    if doc.caps.rebate_cap is not None:
        caps.append(_("At most %(amount)s of rebate per period.") % {"amount": _money(doc.caps.rebate_cap, currency)})
    if doc.caps.rebate_cap_percent is not None:
        caps.append(_("At most %(percent)s of what counts per period.") % {"percent": _percent(doc.caps.rebate_cap_percent)})
    if doc.caps.minimum_payout is not None:
        caps.append(_("A rebate under %(amount)s is not paid.") % {"amount": _money(doc.caps.minimum_payout, currency)})
    if caps:
        sections.append(Section(_("Limits"), caps))

    if doc.campaigns:
        sections.append(Section(_("Campaigns"), [
            _("%(name)s: from %(start)s to %(end)s, %(rate)s more on purchases in those days.")
            % {"name": c.name, "start": c.from_.isoformat(), "end": c.until.isoformat(), "rate": _percent(c.extra_rate_percent)}
            for c in doc.campaigns]))

    when = [_("Settled %(each)s; paid within %(days)s days after the period ends.")
            % {"each": _PERIODS[doc.settlement.period.value](), "days": doc.settlement.due_days}]
    if doc.settlement.interim is not None:
        when.append(_("Paid on account %(each)s; the final settlement deducts what was paid on account.")
                    % {"each": _PERIODS[doc.settlement.interim.value]()})
    payout = doc.payout
    form = payout.form.value
    if form == "cash":
        when.append(_("Paid by bank transfer to your account."))
    elif form == "goods":
        when.append(_("Paid in goods (%(sku)s); what is left is kept as rebate credit.") % {"sku": payout.goods_sku})
    elif form == "points":
        when.append(_("Paid in loyalty points: %(points)s points per yuan.") % {"points": _number(payout.points_per_yuan or Decimal(0))})
    else:
        when.append(_("Credited to your rebate account, usable against your next orders."))
        if payout.max_offset_percent_per_order is not None:
            when.append(_("Credit pays at most %(percent)s of an order.") % {"percent": _percent(payout.max_offset_percent_per_order)})
        if payout.max_offset_amount is not None:
            when.append(_("Credit pays at most %(amount)s of an order.") % {"amount": _money(payout.max_offset_amount, currency)})
        if payout.min_order_amount is not None:
            when.append(_("Credit is usable on orders from %(amount)s.") % {"amount": _money(payout.min_order_amount, currency)})
        if payout.credit_expiry_days:
            when.append(_("Credit expires %(days)s days after it is paid.") % {"days": payout.credit_expiry_days})
    valid = (_("Valid from %(start)s until %(end)s.") % {"start": doc.valid_from.isoformat(), "end": doc.valid_until.isoformat()}
             if doc.valid_until else _("Valid from %(start)s until further notice.") % {"start": doc.valid_from.isoformat()})
    when.append(valid)
    sections.append(Section(_("When and how it is paid"), when))
    return sections
