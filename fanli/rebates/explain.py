"""Explanations a customer can read: built from the engine's result when a statement is made,
stored with it, and rendered as text for the CLI and the portal."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from fanli.common.money import format_exact, format_minor, round_minor

from .engine import Result
from .selectors import Computed, PolicyPeriod

ROUNDING_RULE = gettext_noop("computed exactly, rounded once per customer, policy and period to 0.01, half-up (四舍五入)")


_DECIMAL_TEXTS: dict[str, str] = {}


def _d(value: Decimal | None) -> str | None:
    """A decimal as explanations store it. The same values (rates, thresholds, band edges) recur
    in every statement of a period, so each text is made once, keyed by the exact value (1.5 and
    1.50 are equal decimals but different texts)."""
    if value is None:
        return None
    key = str(value)
    text = _DECIMAL_TEXTS.get(key)
    if text is None:
        if value.is_infinite():
            text = "infinite"
        elif value == value.to_integral_value():
            text = format(value.normalize(), "f")
        else:
            text = format(value, "f")
        if len(_DECIMAL_TEXTS) < 100_000:
            _DECIMAL_TEXTS[key] = text
    return text


def result_to_json(result: Result) -> dict[str, Any]:
    return {
        "eligible": result.eligible,
        "metric": result.metric,
        "metric_value": _d(result.metric_value),
        "pay_base": _d(result.pay_base),
        "mode": result.mode,
        "tier_applied": None if result.tier_index is None else result.tier_index + 1,
        "bands": [
            {"tier": b.tier_index + 1, "from": _d(b.lower), "to": _d(b.upper), "portion": _d(b.portion),
             "rate": b.rate, "amount": _d(b.amount)}
            for b in result.bands
        ],
        "campaigns": [
            {"name": c.name, "from": c.start.isoformat(), "until": c.end.isoformat(), "basis": _d(c.basis),
             "extra_rate_percent": _d(c.rate_percent), "amount": _d(c.amount)}
            for c in result.campaigns
        ],
        "caps": [{"name": c.name, "limit": _d(c.limit), "before": _d(c.before), "after": _d(c.after)} for c in result.caps],
        "before_caps": _d(result.before_caps),
        "unrounded": _d(result.unrounded),
        "rounded_minor": result.amount_minor,
        "next_tier_from": _d(result.next_threshold),
        "gap_to_next_tier": _d(result.gap_to_next),
        "notes": list(result.notes),
    }


def explanation_frame(item: PolicyPeriod) -> dict[str, Any]:
    """What the explanations of one policy period share, whoever the customer: made once per
    period by a settlement, not once per statement."""
    doc = item.document
    calc = doc.calculation
    tier_table = []
    if getattr(calc, "type", "") == "tiers":
        for row in (t.model_dump(mode="json", by_alias=True) for t in calc.tiers):  # type: ignore[union-attr]
            tier_table.append({k: v for k, v in row.items() if v is not None})
    return {
        "policy": {"code": doc.code, "name": doc.name, "version": item.version.number},
        "period": {
            "key": item.period.key, "start": item.period.start.isoformat(), "end": item.period.end.isoformat(),
            "counted_from": item.counted_from.isoformat(), "counted_until": item.counted_until.isoformat(),
        },
        "scope": doc.scope.model_dump(mode="json"),
        "tier_table": tier_table,
    }


def build_explanation(
    computed: Computed, *, customer_code: str, previous: list[dict[str, Any]], earned_minor: int,
    agreed_minor: int = 0, frame: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The explanation of one statement. ``frame`` is ``explanation_frame(computed.item)``,
    when the caller keeps it for many statements of the period."""
    item = computed.item
    doc = item.document
    calc = doc.calculation
    frame = frame or explanation_frame(item)
    tier_table = frame["tier_table"]
    if getattr(calc, "type", "") == "tiers" and computed.overrides and computed.overrides.get("tiers"):
        tier_table = [{k: v for k, v in row.items() if v is not None} for row in computed.overrides["tiers"]]
    settled_before = sum(p["amount_minor"] for p in previous)
    return {
        "policy": frame["policy"],
        "customer": customer_code,
        "period": frame["period"],
        "eligibility": computed.eligible_reason,
        "scope": frame["scope"],
        "basis_source": doc.basis_source.value,
        "basis": {
            "amount": _d(computed.basis.amount), "quantity": _d(computed.basis.quantity),
            "orders": computed.basis.orders if doc.metric.value == "orders" else None, "prior_year_amount": _d(computed.basis.prior_amount),
            "deducted_for_stacking": _d(computed.basis.deduction),
        },
        "calculation": calc.type,
        "tier_table": tier_table,
        "overrides": computed.overrides,
        "result": result_to_json(computed.result),
        "pool": computed.pool,
        "rounding": ROUNDING_RULE,
        "agreed_minor": agreed_minor,
        "earned_minor": earned_minor,
        "previous_statements": previous,
        "previously_settled_minor": settled_before,
        "amount_minor": earned_minor - settled_before,
    }


# The explanation's own words (stored as codes) in the reader's language.
_TERMS: dict[str, Any] = {
    "invoiced": pgettext_lazy("basis source", "invoiced"), "paid": pgettext_lazy("basis source", "paid"),
    "tiers": pgettext_lazy("calculation", "tiers"), "flat_rate": pgettext_lazy("calculation", "flat rate"),
    "per_unit": pgettext_lazy("calculation", "per unit"),
    "retroactive": pgettext_lazy("tier mode", "retroactive"), "incremental": pgettext_lazy("tier mode", "incremental"),
    "rolling": pgettext_lazy("tier mode", "rolling"), "total": pgettext_lazy("tier mode", "total"),
    "amount": pgettext_lazy("metric", "amount"), "quantity": pgettext_lazy("metric", "quantity"),
    "orders": pgettext_lazy("metric", "orders"), "growth": pgettext_lazy("metric", "growth"),
    "eligible": pgettext_lazy("eligibility", "eligible"),
}


def _term(value: Any) -> str:
    return str(_TERMS.get(value, value)) if isinstance(value, str) else str(value)


def _metric_format(metric: str | None, currency: str) -> Callable[[Any], str]:
    """How a value of the policy's metric reads: money for an amount, a count for a quantity or
    orders, a percentage for growth (tier thresholds and bands are in the metric's unit)."""
    if metric == "amount":
        return lambda text: format_exact(text, currency)
    if metric == "growth":
        return lambda text: "—" if text is None else (str(text) if text == "infinite" else f"{format_exact(text, None)}%")
    return lambda text: format_exact(text, None)


def _statement_kind(kind: str) -> str:
    from .models import Statement

    return str(Statement.Kind(kind).label) if kind in Statement.Kind.values else kind


def explanation_text(explanation: dict[str, Any], *, currency: str = "CNY",
                     words: Callable[[str], str] | None = None) -> str:
    """The explanation as plain lines, for the CLI and printed statements, in the active language
    (English in the CLI, the reader's language on a page). Codes and figures stay as stored.
    ``words`` puts a generated reason (eligibility, notes) in the reader's words: the pages pass
    ``fanli.web.messages.ui_message``; by default the calculation notes are translated."""
    words = words or note_text
    e = explanation
    if "manual" in e:
        return _manual_text(e, currency)
    r = e["result"]
    money = lambda minor: format_minor(minor, currency)  # noqa: E731
    exact = lambda text: format_exact(text, currency)  # noqa: E731  a stored decimal amount, every decimal kept
    metric = _metric_format(r["metric"], currency)
    per_unit = any(str(band.get("rate", "")).endswith("/unit") for band in r["bands"])
    base = (lambda text: format_exact(text, None)) if per_unit else exact
    period = e["period"]
    lines = [
        _("Policy %(code)s v%(version)s — %(name)s") % e["policy"],
        _("Customer %(customer)s, period %(key)s (%(start)s to %(end)s), sales counted %(counted_from)s to "
          "%(counted_until)s") % {"customer": e["customer"], **period},
        _("Eligibility: %(reason)s") % {"reason": words(_term(e["eligibility"]))},
        _("Basis (%(source)s): amount %(amount)s, quantity %(quantity)s")
        % {"source": _term(e["basis_source"]), "amount": exact(e["basis"]["amount"]),
           "quantity": format_exact(e["basis"]["quantity"], None)}
        + (_(", orders %(orders)s") % {"orders": e["basis"]["orders"]} if e["basis"]["orders"] is not None else "")
        + (_(", same period last year %(amount)s") % {"amount": exact(e["basis"]["prior_year_amount"])}
           if e["basis"]["prior_year_amount"] else ""),
        _("Metric %(metric)s = %(value)s; calculation %(calculation)s")
        % {"metric": _term(r["metric"]), "value": metric(r["metric_value"]), "calculation": _term(e["calculation"])}
        + (_(", mode %(mode)s") % {"mode": _term(r["mode"])} if r["mode"] else ""),
    ]
    if e["tier_table"]:
        lines.append(_("Tier table:"))
        for index, tier in enumerate(e["tier_table"], start=1):
            rate = (f"{tier['rate_percent']}%" if "rate_percent" in tier
                    else _("%(amount)s per unit") % {"amount": tier.get("amount_per_unit")})
            mark = _("  <- applied") if r["tier_applied"] == index else ""
            lines.append(_("  tier %(index)s: from %(from)s: %(rate)s") % {"index": index, "from": metric(tier["from"]),
                                                                          "rate": rate} + mark)
    for band in r["bands"]:
        upper = _(" to %(to)s") % {"to": metric(band["to"])} if band["to"] is not None else ""
        lines.append(_("  tier %(tier)s (from %(from)s%(upper)s): %(portion)s x %(rate)s = %(amount)s")
                     % {"tier": band["tier"], "from": metric(band["from"]), "upper": upper,
                        "portion": base(band["portion"]), "rate": band["rate"], "amount": exact(band["amount"])})
    for campaign in r["campaigns"]:
        lines.append(_("  campaign %(name)s %(from)s..%(until)s: %(basis)s x %(extra_rate_percent)s%% = %(amount)s")
                     % {**campaign, "basis": exact(campaign["basis"]), "amount": exact(campaign["amount"])})
    for cap in r["caps"]:
        lines.append(_("  cap %(name)s %(limit)s: %(before)s -> %(after)s")
                     % {"name": cap["name"], "limit": exact(cap["limit"]), "before": exact(cap["before"]),
                        "after": exact(cap["after"])})
    if e["pool"]:
        lines.append(_("Pooled with the group of %(head)s: group basis %(basis)s, group rebate %(rebate)s, split by "
                       "basis:") % {"head": e["pool"]["head"], "basis": exact(e["pool"]["pooled_amount"]),
                                    "rebate": money(e["pool"]["pooled_rebate_minor"])})
        for member in e["pool"]["members"]:
            lines.append(_("  %(customer)s: basis %(amount)s -> %(share)s")
                         % {"customer": member["customer"], "amount": exact(member["amount"]),
                            "share": money(member["share_minor"])})
    for note in r["notes"]:
        lines.append(_("Note: %(note)s") % {"note": words(note)})
    lines.append(_("Unrounded %(unrounded)s; %(rule)s: %(rounded)s")
                 % {"unrounded": exact(r["unrounded"]), "rule": _(e["rounding"]),
                    "rounded": money(round_minor(Decimal(r["unrounded"])))})
    if e.get("agreed_minor"):
        lines.append(_("Plus manual adjustments agreed in disputes: %(amount)s") % {"amount": money(e["agreed_minor"])})
    lines.append(_("Earned for the period: %(amount)s") % {"amount": money(e["earned_minor"])})
    for previous in e["previous_statements"]:
        lines.append(_("  less statement #%(sequence)s (%(kind)s): %(amount)s")
                     % {"sequence": previous["sequence"], "kind": _statement_kind(previous["kind"]),
                        "amount": money(previous["amount_minor"])})
    lines.append(_("This statement: %(amount)s") % {"amount": money(e["amount_minor"])})
    return "\n".join(lines)


def manual_explanation(*, customer_code: str, policy: dict[str, Any], period: dict[str, Any], dispute_id: int,
                       disputed_statement: int, amount_minor: int, reason: str, proposed_by: str,
                       approved_by: str, previously_settled_minor: int) -> dict[str, Any]:
    """The explanation of a manual adjustment statement: who agreed what, and why."""
    return {
        "manual": {"dispute": dispute_id, "disputed_statement": disputed_statement, "reason": reason,
                   "proposed_by": proposed_by, "approved_by": approved_by},
        "policy": policy, "customer": customer_code, "period": period,
        "previously_settled_minor": previously_settled_minor, "amount_minor": amount_minor,
    }


def _manual_text(e: dict[str, Any], currency: str) -> str:
    m = e["manual"]
    return "\n".join([
        _("Policy %(code)s v%(version)s — %(name)s") % e["policy"],
        _("Customer %(customer)s, period %(key)s") % {"customer": e["customer"], "key": e["period"]["key"]},
        _("Manual adjustment agreed in dispute %(dispute)s on statement %(statement)s")
        % {"dispute": m["dispute"], "statement": m["disputed_statement"]},
        _("Reason: %(reason)s") % {"reason": m["reason"]},
        _("Proposed by %(proposer)s, approved by %(approver)s") % {"proposer": m["proposed_by"],
                                                                   "approver": m["approved_by"]},
        _("This statement: %(amount)s") % {"amount": format_minor(e["amount_minor"], currency)},
    ])


_NOTES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^no sales in the same period a year earlier: not eligible for a growth rebate$"),
     lambda m: _("no sales in the same period a year earlier: not eligible for a growth rebate")),
    (re.compile(r"^no sales in the same period a year earlier: baseline taken as zero, all growth tiers reached$"),
     lambda m: _("no sales in the same period a year earlier: baseline taken as zero, all growth tiers reached")),
    (re.compile(r"^growth (-?[\d.]+)% on last year's (.+)$"),
     lambda m: _("growth %(growth)s%% on last year's %(prior)s") % {"growth": m.group(1),
                                                                      "prior": format_exact(m.group(2))}),
    (re.compile(r"^basis reduced by (.+) already granted by policies this one stacks after$"),
     lambda m: _("basis reduced by %(amount)s already granted by policies this one stacks after")
     % {"amount": format_exact(m.group(1))}),
    (re.compile(r"^the basis is not positive: nothing is earned$"),
     lambda m: _("the basis is not positive: nothing is earned")),
    (re.compile(r"^(-?[\d.]+) is below the minimum payout of (.+): nothing is paid$"),
     lambda m: _("%(amount)s is below the minimum payout of %(minimum)s: nothing is paid")
     % {"amount": format_exact(m.group(1)), "minimum": format_exact(m.group(2))}),
]


def note_text(note: str) -> str:
    """A calculation note (stored in English with the figures) in the active language."""
    for pattern, render in _NOTES:
        match = pattern.match(note)
        if match:
            return render(match)
    return note
