"""Validation messages (and other generated wording) in the reader's language.

Document checks (pydantic and our own rules) speak English, which the API and the commands keep
as their stable text. The web pages show each message through ``ui_message``: our own messages
are looked up as they are, pydantic's by their pattern, in the active language; a message not
known here is shown as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

from fanli.rebates.explain import note_text

# Our own rules' messages, exactly as the document and the services word them.
_EXACT: dict[str, Callable[[], str]] = {
    "must not be negative": lambda: _("must not be negative"),
    "has more than two decimal places": lambda: _("has more than two decimal places"),
    "must be a percentage between 0 and 100": lambda: _("must be a percentage between 0 and 100"),
    "interim must be a shorter period than the settlement period":
        lambda: _("interim must be a shorter period than the settlement period"),
    "give exactly one of rate_percent or amount_per_unit": lambda: _("give either a rate or an amount per unit"),
    "the first tier must start at 0": lambda: _("the first tier must start at 0"),
    "tier thresholds must be strictly ascending": lambda: _("tier thresholds must be strictly ascending"),
    "all tiers must use rate_percent, or all amount_per_unit":
        lambda: _("all tiers must use a rate, or all an amount per unit"),
    "until must not be before from": lambda: _("the end must not be before the start"),
    "goods payout needs goods_sku": lambda: _("a payout in goods needs the product given"),
    "points payout needs points_per_yuan": lambda: _("a payout in points needs the points per yuan"),
    "must not be before valid_from": lambda: _("must not be before the start of validity"),
    "per_unit calculation needs metric quantity": lambda: _("an amount per unit needs the metric quantity"),
    "flat_rate pays a % of the amount: use metric amount or growth":
        lambda: _("a flat rate pays a share of the amount: use the metric amount or growth"),
    "amount_per_unit tiers need metric quantity": lambda: _("tiers with an amount per unit need the metric quantity"),
    "growth tiers are growth percentages: use retroactive mode":
        lambda: _("growth tiers are growth percentages: use the retroactive mode"),
    "metric growth needs a growth section": lambda: _("the metric growth needs the growth settings"),
    "a growth section needs metric growth": lambda: _("growth settings need the metric growth"),
    "a policy cannot stack after itself": lambda: _("a policy cannot stack after itself"),
    "the campaign window lies outside the policy's validity":
        lambda: _("the campaign window lies outside the policy's validity"),
    "already used by another policy; edit that policy or choose another code":
        lambda: _("already used by another policy; edit that policy or choose another code"),
    "Field required": lambda: _("required"),
    "Extra inputs are not permitted": lambda: _("not a setting of this document"),
    "Input should be a valid decimal": lambda: _("not a number"),
    "Input should be a valid integer, unable to parse string as an integer": lambda: _("not a whole number"),
    # controls (fanli/accounts/controls.py and the services that call them)
    "say why the version is rejected": lambda: _("say why the version is rejected"),
    "say why the change is rejected": lambda: _("say why the change is rejected"),
    # score-card details (fanli/customers/scorecard.py)
    "rated": lambda: _("rated"),
    "not rated yet": lambda: _("not rated yet"),
    "new sales": lambda: _("new sales"),
    "no sales in either year": lambda: _("no sales in either year"),
    "nothing fell due": lambda: _("nothing fell due"),
    "no survey answers": lambda: _("no survey answers"),
}

# pydantic's messages that carry a value, by pattern.
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Input should be greater than or equal to (.+)$"),
     lambda m: _("must be at least %(limit)s") % {"limit": m.group(1)}),
    (re.compile(r"^Input should be greater than (.+)$"), lambda m: _("must be more than %(limit)s") % {"limit": m.group(1)}),
    (re.compile(r"^Input should be less than or equal to (.+)$"),
     lambda m: _("must be at most %(limit)s") % {"limit": m.group(1)}),
    (re.compile(r"^Input should be a valid date.*$"), lambda m: _("not a date (YYYY-MM-DD)")),
    (re.compile(r"^Decimal input should have no more than (\d+) decimal places?$"),
     lambda m: _("at most %(places)s decimal places") % {"places": m.group(1)}),
    (re.compile(r"^Input should be (.+)$"), lambda m: _("must be %(choices)s") % {"choices": m.group(1)}),
    (re.compile(r"^String should match pattern .*$"), lambda m: _("not in the expected form")),
    (re.compile(r"^String should have at least (\d+) characters?$"), lambda m: _("required")),
    (re.compile(r"^no product with SKU (.+)$"), lambda m: _("no product with SKU %(sku)s") % {"sku": m.group(1)}),
    (re.compile(r"^no published policy (.+)$"), lambda m: _("no published policy %(code)s") % {"code": m.group(1)}),
    (re.compile(r"^net sales (.+) over 12 months$"),
     lambda m: _("net sales ¥%(amount)s over 12 months") % {"amount": m.group(1)}),
    (re.compile(r"^(-?\d+) % on the year before$"), lambda m: _("%(growth)s %% on the year before") % {"growth": m.group(1)}),
    (re.compile(r"^(\d+) % of the amounts due in 12 months paid$"),
     lambda m: _("%(share)s %% of the amounts due in 12 months paid") % {"share": m.group(1)}),
    (re.compile(r"^average (.+) of 5$"), lambda m: _("average %(score)s of 5") % {"score": m.group(1)}),
    (re.compile(r"^(\d+) complaint\(s\) in 12 months$"),
     lambda m: _("%(count)s complaint(s) in 12 months") % {"count": m.group(1)}),
    (re.compile(r"^(\d+) contact\(s\) in 90 days$"),
     lambda m: _("%(count)s contact(s) in 90 days") % {"count": m.group(1)}),
    (re.compile(r"^weights add up to (\d+), not 100$"),
     lambda m: _("the weights add up to %(total)s, not 100") % {"total": m.group(1)}),
    (re.compile(r"^four eyes: you cannot publish .*$"),
     lambda m: _("Four eyes: you wrote or submitted this, so another person with the right to publish must publish it.")),
    (re.compile(r"^four eyes: you cannot pay statement (\d+), which you approved.*$"),
     lambda m: _("Four eyes: you approved statement %(id)s, so another person with the right to pay must pay it.")
     % {"id": m.group(1)}),
    (re.compile(r"^your role does not allow this \((\w+)\)$"),
     lambda m: _("Your role does not allow this (%(permission)s).") % {"permission": m.group(1)}),
    (re.compile(r"^.+ is a draft: its author submits it first, then another person publishes it$"),
     lambda m: _("This version is a draft: its author submits it first, then another person publishes it.")),
    (re.compile(r"^a payout of statement (\d+) cannot be dated (\S+): its period (\S+) ended on (\S+)$"),
     lambda m: _("Statement %(id)s cannot be paid on %(day)s: its period %(period)s ended on %(end)s.")
     % {"id": m.group(1), "day": m.group(2), "period": m.group(3), "end": m.group(4)}),
    (re.compile(r"^a payout of statement (\d+) cannot be dated (\S+), after today \((\S+)\)$"),
     lambda m: _("Statement %(id)s cannot be paid on %(day)s: that is after today (%(today)s).")
     % {"id": m.group(1), "day": m.group(2), "today": m.group(3)}),
    (re.compile(r"^a payout of statement (\d+) cannot be dated (\S+): it counts sales up to (\S+)$"),
     lambda m: _("Statement %(id)s cannot be paid on %(day)s: it counts sales up to %(end)s.")
     % {"id": m.group(1), "day": m.group(2), "end": m.group(3)}),
    (re.compile(r"^a payout of statement (\d+) cannot be dated (\S+): it was approved on (\S+)$"),
     lambda m: _("Statement %(id)s cannot be paid on %(day)s: it was approved on %(approved)s.")
     % {"id": m.group(1), "day": m.group(2), "approved": m.group(3)}),
    (re.compile(r"^policies would stack in a circle through (.+)$"),
     lambda m: _("policies would stack in a circle through %(code)s") % {"code": m.group(1)}),
]


def ui_message(text: str) -> str:
    exact = _EXACT.get(text)
    if exact is not None:
        return exact()
    for pattern, render in _PATTERNS:
        match = pattern.match(text)
        if match:
            return render(match)
    return note_text(text)
