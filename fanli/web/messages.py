"""Validation messages (and other generated wording) in the reader's language.

Document checks (pydantic and our own rules), the quote engine's reasons and the importers' row
errors speak English, which the API and the commands keep as their stable text. The web pages show each message through ``ui_message``: our own messages
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
    "no font with Chinese characters for PDF statements: install fonts-wqy-zenhei (or fonts-noto-cjk), or name a "
    ".ttf/.ttc file in FANLI_PDF_FONT":
        lambda: _("no font with Chinese characters for PDF statements: install fonts-wqy-zenhei (or fonts-noto-cjk), "
                  "or name a .ttf/.ttc file in FANLI_PDF_FONT"),
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
# Warning reasons (fanli.crm.warnings), stored in English with their figures.
_WARNINGS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^(\d+) invoice\(s\) past due, (.+) outstanding; the oldest, (.+), was due on (.+)$"),
     lambda m: _("%(count)s invoice(s) past due, %(amount)s outstanding; the oldest, %(invoice)s, was due on %(day)s")
     % {"count": m.group(1), "amount": m.group(2), "invoice": m.group(3), "day": m.group(4)}),
    (re.compile(r"^no invoice for (\d+) days since (.+); usually one every (.+) days$"),
     lambda m: _("no invoice for %(days)s days since %(day)s; usually one every %(usual)s days")
     % {"days": m.group(1), "day": m.group(2), "usual": m.group(3)}),
    (re.compile(r"^(\d+) rebate statement\(s\) unpaid past their due date, (.+); the oldest was due on (.+)$"),
     lambda m: _("%(count)s rebate statement(s) unpaid past their due date, %(amount)s; the oldest was due on %(day)s")
     % {"count": m.group(1), "amount": m.group(2), "day": m.group(3)}),
    (re.compile(r"^(\d+) rebate statement\(s\), (.+), fall due from (.+): approve and pay them in time$"),
     lambda m: _("%(count)s rebate statement(s), %(amount)s, fall due from %(day)s: approve and pay them in time")
     % {"count": m.group(1), "amount": m.group(2), "day": m.group(3)}),
    (re.compile(r"^(\d+) points of (.+) expire from (.+); remind (.+) to use them$"),
     lambda m: _("%(points)s points of %(programme)s expire from %(day)s; remind %(customer)s to use them")
     % {"points": f"{int(m.group(1)):,}", "programme": m.group(2), "day": m.group(3), "customer": m.group(4)}),
    (re.compile(r"^discount rule (.+) has used (.+) of its (.+) budget$"),
     lambda m: _("discount rule %(rule)s has used %(spent)s of its %(budget)s budget")
     % {"rule": m.group(1), "spent": m.group(2), "budget": m.group(3)}),
    (re.compile(r"^follow up with (.+) by (.+?): (.*)$"),
     lambda m: _("follow up with %(customer)s by %(day)s: %(title)s")
     % {"customer": m.group(1), "day": m.group(2), "title": m.group(3)}),
    (re.compile(r"^(.+) sold from (.+) to (.+), (\d+) of (\d+) days into a (.+) target: (.+) behind the (.+) due by now$"),
     lambda m: _("%(sold)s sold from %(start)s to %(today)s, %(elapsed)s of %(days)s days into a %(target)s target: "
                 "%(behind)s behind the %(due)s due by now")
     % {"sold": m.group(1), "start": m.group(2), "today": m.group(3), "elapsed": m.group(4), "days": m.group(5),
        "target": m.group(6), "behind": m.group(7), "due": m.group(8)}),
    (re.compile(r"^¥(.+) more net sales by (.+) reach tier (\d+) of (.+) for (.+), from (.+): a sales opportunity$"),
     lambda m: _("¥%(gap)s more net sales by %(day)s reach tier %(tier)s of %(policy)s for %(customer)s, from "
                 "%(threshold)s: a sales opportunity")
     % {"gap": m.group(1), "day": m.group(2), "tier": m.group(3), "policy": m.group(4), "customer": m.group(5),
        "threshold": m.group(6)}),
    (re.compile(r"^(.+) more units by (.+) reach tier (\d+) of (.+) for (.+), from (.+): a sales opportunity$"),
     lambda m: _("%(gap)s more units by %(day)s reach tier %(tier)s of %(policy)s for %(customer)s, from "
                 "%(threshold)s units: a sales opportunity")
     % {"gap": m.group(1), "day": m.group(2), "tier": m.group(3), "policy": m.group(4), "customer": m.group(5),
        "threshold": m.group(6)}),
    (re.compile(r"^(.+) more orders by (.+) reach tier (\d+) of (.+) for (.+), from (.+): a sales opportunity$"),
     lambda m: _("%(gap)s more orders by %(day)s reach tier %(tier)s of %(policy)s for %(customer)s, from "
                 "%(threshold)s orders: a sales opportunity")
     % {"gap": m.group(1), "day": m.group(2), "tier": m.group(3), "policy": m.group(4), "customer": m.group(5),
        "threshold": m.group(6)}),
    (re.compile(r"^policy (.+) has earned (.+) so far in (.+); at this pace it will cost (.+) against a (.+) budget$"),
     lambda m: _("policy %(policy)s has earned %(earned)s so far in %(period)s; at this pace it will cost "
                 "%(projected)s against a %(budget)s budget")
     % {"policy": m.group(1), "earned": m.group(2), "period": m.group(3), "projected": m.group(4),
        "budget": m.group(5)}),
]

def _period_kind(kind: str) -> str:
    return {"month": _("month"), "quarter": _("quarter"), "half_year": _("half year"), "year": _("year")}.get(kind, kind)


# Why a settlement run left a policy out (fanli.rebates.services), in the run's summary.
_WARNINGS += [
    (re.compile(r"^settles by (\w+), not (\w+)$"),
     lambda m: _("settles by %(kind)s, not by %(asked)s") % {"kind": _period_kind(m.group(1)),
                                                             "asked": _period_kind(m.group(2))}),
    (re.compile(r"^not valid in (.+)$"), lambda m: _("not valid in %(period)s") % {"period": m.group(1)}),
    (re.compile(r"^(.+) already settled on account up to (.+)$"),
     lambda m: _("%(period)s already settled on account up to %(day)s") % {"period": m.group(1), "day": m.group(2)}),
]

# Payment batches and payouts (fanli.rebates.payment_batches, fanli.rebates.payouts).
_WARNINGS += [
    (re.compile(r"^(\d+) of the (\d+) statements cannot go into a payment batch$"),
     lambda m: _("%(refused)s of the %(chosen)s statements cannot go into a payment batch")
     % {"refused": m.group(1), "chosen": m.group(2)}),
    (re.compile(r"^statement (\d+) is (\w+); only an approved statement is paid$"),
     lambda m: _("statement %(number)s is %(state)s; only an approved statement is paid")
     % {"number": m.group(1), "state": _statement_state(m.group(2))}),
    (re.compile(r"^statement (\d+) is a clawback of (.+): it is recovered from the customer, not paid; record it on "
                r"its own$"),
     lambda m: _("statement %(number)s is a clawback of %(amount)s: it is recovered from the customer, not paid; "
                 "record it on its own") % {"number": m.group(1), "amount": m.group(2)}),
    (re.compile(r"^statement (\d+) is already in payment batch (.+)$"),
     lambda m: _("statement %(number)s is already in payment batch %(batch)s")
     % {"number": m.group(1), "batch": m.group(2)}),
    (re.compile(r"^customer (.+) has no bank account on record: add it \(bank_account_number\) before paying a cash "
                r"rebate by bank transfer$"),
     lambda m: _("customer %(customer)s has no bank account on record: add it before paying a cash rebate by bank "
                 "transfer") % {"customer": m.group(1)}),
    (re.compile(r"^customer (.+)'s bank account changed and is not verified yet: another person with the right to "
                r"pay verifies it on the customer's page$"),
     lambda m: _("the bank account of customer %(customer)s changed and is not verified yet: another person with the "
                 "right to pay verifies it on the customer's page") % {"customer": m.group(1)}),
    (re.compile(r"^the bank file is held: the bank account of (.+) changed and is not verified yet; another person "
                r"with the right to pay verifies it on the customer's page$"),
     lambda m: _("the bank file is held: the bank account of %(customers)s changed and is not verified yet; another "
                 "person with the right to pay verifies it on the customer's page") % {"customers": m.group(1)}),
    (re.compile(r"^customer (.+) has no bank account on record$"),
     lambda m: _("customer %(customer)s has no bank account on record") % {"customer": m.group(1)}),
    (re.compile(r"^customer (.+)'s bank account is already verified$"),
     lambda m: _("the bank account of customer %(customer)s is already verified") % {"customer": m.group(1)}),
    (re.compile(r"^no statement (\d+)$"), lambda m: _("no statement %(number)s") % {"number": m.group(1)}),
    (re.compile(r"^payment batch (.+) is (\w+); only a prepared batch is confirmed or cancelled$"),
     lambda m: _("payment batch %(batch)s is %(state)s; only a prepared batch is recorded paid or cancelled")
     % {"batch": m.group(1), "state": m.group(2)}),
    (re.compile(r"^cancelling a payment batch needs a reason$"), lambda m: _("cancelling a payment batch needs a reason")),
    (re.compile(r"^payment batch (\S+) is (\w+): its bank file is offered only while the batch waits for the bank, so "
                r"that it is never sent twice$"),
     lambda m: _("payment batch %(batch)s is %(state)s: its bank file is offered only while the batch waits for the "
                 "bank, so that it is never sent twice") % {"batch": m.group(1), "state": _batch_state(m.group(2))}),
    (re.compile(r"^statements of payment batch (\S+) are no longer approved: (.+); take them out of the batch before "
                r"recording it paid$"),
     lambda m: _("statements of payment batch %(batch)s are no longer approved: %(statements)s; take them out of the "
                 "batch before recording it paid") % {"batch": m.group(1), "statements": re.sub(
                     r"\((\w+)\)", lambda s: f"({_statement_state(s.group(1))})", m.group(2))}),
    (re.compile(r"^taking a statement out of a payment batch needs a reason$"),
     lambda m: _("taking a statement out of a payment batch needs a reason")),
    (re.compile(r"^statements (.+) are not in payment batch (\S+)$"),
     lambda m: _("statements %(statements)s are not in payment batch %(batch)s")
     % {"statements": m.group(1), "batch": m.group(2)}),
    (re.compile(r"^no statement chosen$"), lambda m: _("no statement chosen")),
    (re.compile(r"^a payment batch needs at least one approved statement$"),
     lambda m: _("a payment batch needs at least one approved statement")),
]


def _batch_state(state: str) -> str:
    from fanli.rebates.models import PaymentBatch

    return str(PaymentBatch.State(state).label) if state in PaymentBatch.State.values else state


def _statement_state(state: str) -> str:
    from fanli.rebates.models import Statement

    return str(Statement.State(state).label) if state in Statement.State.values else state


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
    (re.compile(r"^delivery (\d+) is \w+: only a failed one is sent again$"),
     lambda m: _("This e-mail has not failed: only a failed one is sent again.")),
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
    (re.compile(r"^four eyes: you cannot verify bank details you changed.*$"),
     lambda m: _("Four eyes: you changed these bank details, so another person with the right to pay must verify them.")),
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


# --------------------------------------------------------------------------- quote reasons
# Why a discount rule applied or did not (fanli/discounts/engine.py, fanli/rebates/compile.py,
# fanli/discounts/selectors.py, fanli/ledger/services.py). Reasons built from other reasons (a
# rule's percent with "nothing off" or a trim) are read part by part.

_CUSTOMER_STATUS: dict[str, Callable[[], str]] = {
    "active": lambda: _("active"), "suspended": lambda: _("suspended"), "closed": lambda: _("closed"),
}
_PERCENT_SOURCE = re.compile(r"^(-?[\d.]+%) \((contract|rule|grade (?:[^()]+))\)((?: \+ -?[\d.]+% \([^()]*\))*)$")
_WINDOW = re.compile(r" \+ (-?[\d.]+%) \(([^()]*)\)")
_SHORTENED = re.compile(r"…\(([\d,]+) characters\)")
_BOUNDED: dict[str, Callable[[], str]] = {
    "an amount": lambda: _("an amount"), "a quantity": lambda: _("a quantity"),
    "a credit limit": lambda: _("a credit limit"), "a target": lambda: _("a target"),
    "a list price": lambda: _("a list price"),
}
# What Python's csv reader says of a malformed file (strict mode), in the reader's language.
_CSV_DETAILS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^'(.)' expected after '(.)'$"),
     lambda m: _("'%(expected)s' expected after '%(after)s'") % {"expected": m.group(1), "after": m.group(2)}),
    (re.compile(r"^unexpected end of data$"), lambda m: _("unexpected end of data")),
    (re.compile(r"^new-line character seen in unquoted field - do you need to open the file with newline=''\?$"),
     lambda m: _("new-line character seen in unquoted field - do you need to open the file with newline=''?")),
    (re.compile(r"^line contains NUL$"), lambda m: _("line contains NUL")),
]


def _percent_source(match: re.Match[str]) -> str:
    """``5% (rule) + 2% (spring)``: the rule's percent, where it comes from, and each window's extra."""
    percent, source, windows = match.groups()
    if source == "contract":
        named = _("%(percent)s (contract)") % {"percent": percent}
    elif source == "rule":
        named = _("%(percent)s (rule)") % {"percent": percent}
    else:
        named = _("%(percent)s (grade %(grade)s)") % {"percent": percent, "grade": source[len("grade "):]}
    return named + "".join(_(" + %(percent)s (%(window)s)") % {"percent": w.group(1), "window": w.group(2)}
                           for w in _WINDOW.finditer(windows))


def _value(text: str) -> str:
    """A cell's text as an importer quotes it; a long one is shortened with its length."""
    return _SHORTENED.sub(lambda m: _("…(%(count)s characters)") % {"count": m.group(1)}, text)


def _csv_detail(text: str) -> str:
    for pattern, render in _CSV_DETAILS:
        match = pattern.match(text)
        if match:
            return render(match)
    return text


def _xlsx_detail(text: str) -> str:
    if text == "no worksheet":
        return _("no worksheet")
    parts = re.match(r"^([\d,]+) parts$", text)
    return _("%(count)s parts") % {"count": parts.group(1)} if parts else text


def _runner(text: str) -> str:
    return _("a process it did not record") if text == "a process it did not record" else text


_EXACT.update({
    "not in the policy's product scope": lambda: _("not in the policy's product scope"),
    "all products count": lambda: _("all products count"),
    "unknown product": lambda: _("unknown product"),
    "no enrolment (返利协议) under this policy": lambda: _("no enrolment (返利协议) under this policy"),
    "eligible": lambda: _("eligible"),
    "budget used up": lambda: _("budget used up"),
    "the line's discount already reaches the line's amount": lambda: _("the line's discount already reaches the line's amount"),
    "a quote needs at least one line": lambda: _("a quote needs at least one line"),
    "required": lambda: _("required"),
    # import reasons (fanli/imports/tabular.py and the importers of each kind)
    "file contains a NUL byte; is it really a CSV file?": lambda: _("file contains a NUL byte; is it really a CSV file?"),
    "file is empty (no header row)": lambda: _("file is empty (no header row)"),
    "workbook is empty (no header row)": lambda: _("workbook is empty (no header row)"),
    "not a readable XLSX workbook: it declares XML entities or a document type, which are refused; save it again "
    "from Excel": lambda: _("not a readable XLSX workbook: it declares XML entities or a document type, which are "
                            "refused; save it again from Excel"),
    "column has no name": lambda: _("column has no name"),
    "duplicate column": lambda: _("duplicate column"),
    "missing required column": lambda: _("missing required column"),
    "another import wrote some of these records at the same time; nothing was written: run the import again (what "
    "the other import wrote is then reported unchanged)": lambda: _(
        "another import wrote some of these records at the same time; nothing was written: run the import again "
        "(what the other import wrote is then reported unchanged)"),
    "the import was interrupted (its process ended) before it finished; nothing was written: run it again":
        lambda: _("the import was interrupted (its process ended) before it finished; nothing was written: run it "
                  "again"),
    "an invoice cannot reverse another document; only a return can":
        lambda: _("an invoice cannot reverse another document; only a return can"),
    "paid amount of an invoice must not be negative": lambda: _("paid amount of an invoice must not be negative"),
    "quantity on an invoice must not be negative (use a return)":
        lambda: _("quantity on an invoice must not be negative (use a return)"),
    "net amount on an invoice must not be negative (use a return)":
        lambda: _("net amount on an invoice must not be negative (use a return)"),
    "unit price must not be negative": lambda: _("unit price must not be negative"),
    "a return must name the invoice it reverses (unless the import allows unmatched returns)":
        lambda: _("a return must name the invoice it reverses (unless the import allows unmatched returns)"),
    "at least one line is required": lambda: _("at least one line is required"),
    "a customer cannot be its own parent": lambda: _("a customer cannot be its own parent"),
    "credit limit must not be negative": lambda: _("credit limit must not be negative"),
    "a target must be more than zero": lambda: _("a target must be more than zero"),
    "list price must not be negative": lambda: _("list price must not be negative"),
    "importing customers needs a role that sees every customer (view_all_customers)":
        lambda: _("importing customers needs a role that sees every customer (view_all_customers)"),
    "needs view_all_customers": lambda: _("needs view_all_customers"),
})

_PATTERNS[:0] = [
    # the quote engine: a rule skipped for the whole order
    (re.compile(r"^not valid on (\S+) \(valid (\S+) to open end\)$"),
     lambda m: _("not valid on %(day)s (valid %(start)s to open end)") % {"day": m.group(1), "start": m.group(2)}),
    (re.compile(r"^not valid on (\S+) \(valid (\S+) to (\S+)\)$"),
     lambda m: _("not valid on %(day)s (valid %(start)s to %(end)s)")
     % {"day": m.group(1), "start": m.group(2), "end": m.group(3)}),
    (re.compile(r"^customer status is (\S+)$"),
     lambda m: _("customer status is %(status)s")
     % {"status": _CUSTOMER_STATUS[m.group(1)]() if m.group(1) in _CUSTOMER_STATUS else m.group(1)}),
    (re.compile(r"^kind (\S+) is not among (.+)$"),
     lambda m: _("kind %(value)s is not among %(allowed)s") % {"value": m.group(1), "allowed": m.group(2)}),
    (re.compile(r"^grade (\S+) is not among (.+)$"),
     lambda m: _("grade %(value)s is not among %(allowed)s") % {"value": m.group(1), "allowed": m.group(2)}),
    (re.compile(r"^region (.+) is not among (.+)$"),
     lambda m: _("region %(value)s is not among %(allowed)s") % {"value": m.group(1), "allowed": m.group(2)}),
    (re.compile(r"^none of the tags (.+)$"), lambda m: _("none of the tags %(tags)s") % {"tags": m.group(1)}),
    (re.compile(r"^ABC class (\S+) is not among (.+)$"),
     lambda m: _("ABC class %(value)s is not among %(allowed)s") % {"value": m.group(1), "allowed": m.group(2)}),
    (re.compile(r"^lifecycle stage (\S+) is not among (.+)$"),
     lambda m: _("lifecycle stage %(value)s is not among %(allowed)s") % {"value": m.group(1), "allowed": m.group(2)}),
    (re.compile(r"^relationship (\S+) is not among (.+)$"),
     lambda m: _("relationship %(value)s is not among %(allowed)s") % {"value": m.group(1), "allowed": m.group(2)}),
    (re.compile(r"^customer since (\S+): less than (\d+) days at period end$"),
     lambda m: _("customer since %(start)s: less than %(days)s days at period end")
     % {"start": m.group(1), "days": m.group(2)}),
    (re.compile(r"^already used on (\d+) invoice\(s\) of this customer, the limit$"),
     lambda m: _("already used on %(count)s invoice(s) of this customer, the limit") % {"count": m.group(1)}),
    (re.compile(r"^already used on (\d+) invoice\(s\), the limit$"),
     lambda m: _("already used on %(count)s invoice(s), the limit") % {"count": m.group(1)}),
    (re.compile(r"^budget of (.+) used up$"), lambda m: _("budget of %(budget)s used up") % {"budget": m.group(1)}),
    (re.compile(r"^order amount in scope (.+) is below the minimum (.+)$"),
     lambda m: _("order amount in scope %(amount)s is below the minimum %(minimum)s")
     % {"amount": m.group(1), "minimum": m.group(2)}),
    # the quote engine: a rule on one line
    (re.compile(r"^SKU (.+) is excluded$"), lambda m: _("SKU %(sku)s is excluded") % {"sku": m.group(1)}),
    (re.compile(r"^brand (.+) is excluded$"), lambda m: _("brand %(code)s is excluded") % {"code": m.group(1)}),
    (re.compile(r"^category (.+) is excluded$"), lambda m: _("category %(code)s is excluded") % {"code": m.group(1)}),
    (re.compile(r"^SKU (.+) is included$"), lambda m: _("SKU %(sku)s is included") % {"sku": m.group(1)}),
    (re.compile(r"^brand (.+) is included$"), lambda m: _("brand %(code)s is included") % {"code": m.group(1)}),
    (re.compile(r"^category (.+) is included$"), lambda m: _("category %(code)s is included") % {"code": m.group(1)}),
    (re.compile(r"^quantity (\S+) is below the minimum (\S+)$"),
     lambda m: _("quantity %(quantity)s is below the minimum %(minimum)s")
     % {"quantity": m.group(1), "minimum": m.group(2)}),
    (re.compile(r"^grade (\S+) has no discount in this ladder$"),
     lambda m: _("grade %(grade)s has no discount in this ladder") % {"grade": m.group(1)}),
    (re.compile(r"^best-of: (\S+) gives (.+), this rule (.+)$"),
     lambda m: _("best-of: %(winner)s gives %(best)s, this rule %(this)s")
     % {"winner": m.group(1), "best": m.group(2), "this": m.group(3)}),
    (re.compile(r"^the line's discount already reaches the (.+) cap$"),
     lambda m: _("the line's discount already reaches the %(cap)s cap") % {"cap": m.group(1)}),
    (re.compile(r"^(.+); trimmed to the budget left \((.+)\)$"),
     lambda m: _("%(reason)s; trimmed to the budget left (%(left)s)") % {"reason": ui_message(m.group(1)),
                                                                          "left": m.group(2)}),
    (re.compile(r"^(.+); trimmed to the (\S+) cap$"),
     lambda m: _("%(reason)s; trimmed to the %(cap)s cap") % {"reason": ui_message(m.group(1)), "cap": m.group(2)}),
    (re.compile(r"^(.+): nothing off$"), lambda m: _("%(reason)s: nothing off") % {"reason": ui_message(m.group(1))}),
    (re.compile(r"^(.+) off each unit$"), lambda m: _("%(amount)s off each unit") % {"amount": m.group(1)}),
    (_PERCENT_SOURCE, _percent_source),
    (re.compile(r"^coupon (\S+) worth (.+?)(?:; (.+) of it used: the order's net is smaller)?$"),
     lambda m: _("coupon %(code)s worth %(value)s") % {"code": m.group(1), "value": m.group(2)}
     + (_("; %(used)s of it used: the order's net is smaller") % {"used": m.group(3)} if m.group(3) else "")),
    (re.compile(r"^credit can be used on orders from (\S+); this order is (\S+)$"),
     lambda m: _("credit can be used on orders from %(minimum)s; this order is %(amount)s")
     % {"minimum": m.group(1), "amount": m.group(2)}),
    # the quote's input (fanli/discounts/selectors.py)
    (re.compile(r"^no customer (.+)$"), lambda m: _("no customer %(code)s") % {"code": m.group(1)}),
    (re.compile(r"^(.+) is not a positive quantity$"),
     lambda m: _("%(value)s is not a positive quantity") % {"value": m.group(1)}),
    (re.compile(r"^must be at most (.+)$"), lambda m: _("must be at most %(limit)s") % {"limit": m.group(1)}),
    (re.compile(r"^(.+) is not a price \(at most two decimals, not negative\)$"),
     lambda m: _("%(value)s is not a price (at most two decimals, not negative)") % {"value": m.group(1)}),
    (re.compile(r"^the order comes to more than (.+), the most one document may hold; split it$"),
     lambda m: _("the order comes to more than %(limit)s, the most one document may hold; split it")
     % {"limit": m.group(1)}),
    (re.compile(r"^no coupon (.+)$"), lambda m: _("no coupon %(code)s") % {"code": m.group(1)}),
    (re.compile(r"^coupon (\S+) belongs to another customer$"),
     lambda m: _("coupon %(code)s belongs to another customer") % {"code": m.group(1)}),
    (re.compile(r"^coupon (\S+) was used on invoice (.+) on (\S+)$"),
     lambda m: _("coupon %(code)s was used on invoice %(invoice)s on %(day)s")
     % {"code": m.group(1), "invoice": m.group(2), "day": m.group(3)}),
    (re.compile(r"^coupon (\S+) expired on (\S+)$"),
     lambda m: _("coupon %(code)s expired on %(day)s") % {"code": m.group(1), "day": m.group(2)}),
    (re.compile(r"^date (.+) is not a date: use YYYY-MM-DD$"),
     lambda m: _("date %(value)s is not a date: use YYYY-MM-DD") % {"value": m.group(1)}),
    # reading a file (fanli/imports/tabular.py)
    (re.compile(r"^unsupported file type (.*) \(expected \.csv or \.xlsx\)$"),
     lambda m: _("unsupported file type %(suffix)s (expected .csv or .xlsx)") % {"suffix": m.group(1)}),
    (re.compile(r"^file is not UTF-8 text \(invalid byte at position (\d+)\)$"),
     lambda m: _("file is not UTF-8 text (invalid byte at position %(position)s)") % {"position": m.group(1)}),
    (re.compile(r"^a cell is longer than ([\d,]+) characters$"),
     lambda m: _("a cell is longer than %(limit)s characters") % {"limit": m.group(1)}),
    (re.compile(r"^malformed CSV: (.+)$"), lambda m: _("malformed CSV: %(detail)s") % {"detail": _csv_detail(m.group(1))}),
    (re.compile(r"^the row has ([\d,]+) columns; at most (\d+) are read$"),
     lambda m: _("the row has %(count)s columns; at most %(limit)s are read") % {"count": m.group(1), "limit": m.group(2)}),
    (re.compile(r"^expected (\d+) columns, found (\d+)$"),
     lambda m: _("expected %(expected)s columns, found %(found)s") % {"expected": m.group(1), "found": m.group(2)}),
    (re.compile(r"^the file has more than ([\d,]+) rows; split it into files of at most [\d,]+ rows$"),
     lambda m: _("the file has more than %(limit)s rows; split it into files of at most %(limit)s rows")
     % {"limit": m.group(1)}),
    (re.compile(r"^not a readable XLSX workbook: part (.+) unpacks to more than ([\d,]+) bytes$"),
     lambda m: _("not a readable XLSX workbook: part %(part)s unpacks to more than %(limit)s bytes")
     % {"part": m.group(1), "limit": m.group(2)}),
    (re.compile(r"^not a readable XLSX workbook \((.+)\)$"),
     lambda m: _("not a readable XLSX workbook (%(detail)s)") % {"detail": _xlsx_detail(m.group(1))}),
    (re.compile(r"^a row holds more than ([\d,]+) bytes of XML$"),
     lambda m: _("a row holds more than %(limit)s bytes of XML") % {"limit": m.group(1)}),
    (re.compile(r"^a row holds more than ([\d,]+) XML elements$"),
     lambda m: _("a row holds more than %(limit)s XML elements") % {"limit": m.group(1)}),
    (re.compile(r"^more than ([\d,]+) XML elements outside the rows$"),
     lambda m: _("more than %(limit)s XML elements outside the rows") % {"limit": m.group(1)}),
    (re.compile(r"^the row has a value in column ([\d,]+); at most (\d+) columns are read$"),
     lambda m: _("the row has a value in column %(column)s; at most %(limit)s columns are read")
     % {"column": m.group(1), "limit": m.group(2)}),
    (re.compile(r"^unknown column \(expected: (.+)\)$"),
     lambda m: _("unknown column (expected: %(columns)s)") % {"columns": m.group(1)}),
    (re.compile(r"^\.\.\. and (\d+) more errors$"), lambda m: _("... and %(count)s more errors") % {"count": m.group(1)}),
    # cells (fanli/imports/tabular.py)
    (re.compile(r"^(.+) is not a number$"), lambda m: _("%(value)s is not a number") % {"value": _value(m.group(1))}),
    (re.compile(r"^(.+) has more than (\d+) decimal places$"),
     lambda m: _("%(value)s has more than %(places)s decimal places") % {"value": _value(m.group(1)),
                                                                         "places": m.group(2)}),
    (re.compile(r"^(.+) is too large$"), lambda m: _("%(value)s is too large") % {"value": _value(m.group(1))}),
    (re.compile(r"^(.+) is out of bounds: (an amount|a quantity|a credit limit|a target|a list price) lies within ±(.+)$"),
     lambda m: _("%(value)s is out of bounds: %(what)s lies within ±%(limit)s")
     % {"value": _value(m.group(1)), "what": _BOUNDED[m.group(2)](), "limit": m.group(3)}),
    (re.compile(r"^(.+) is not a date \(expected YYYY-MM-DD\)$"),
     lambda m: _("%(value)s is not a date (expected YYYY-MM-DD)") % {"value": _value(m.group(1))}),
    (re.compile(r"^(.+) is not a positive whole number$"),
     lambda m: _("%(value)s is not a positive whole number") % {"value": _value(m.group(1))}),
    (re.compile(r"^(.+) is more than ([\d,]+) days$"),
     lambda m: _("%(value)s is more than %(limit)s days") % {"value": m.group(1), "limit": m.group(2)}),
    (re.compile(r"^(.+) is more than ([\d,]+)$"),
     lambda m: _("%(value)s is more than %(limit)s") % {"value": m.group(1), "limit": m.group(2)}),
    (re.compile(r"^(.+) is not yes/no$"), lambda m: _("%(value)s is not yes/no") % {"value": _value(m.group(1))}),
    (re.compile(r"^longer than (\d+) characters$"),
     lambda m: _("longer than %(limit)s characters") % {"limit": m.group(1)}),
    # the import itself (fanli/imports/services.py)
    (re.compile(r"^the import stopped on an unexpected error \((\w+)\); nothing was written; the server log has the "
                r"details \(import (\d+)\)$"),
     lambda m: _("the import stopped on an unexpected error (%(error)s); nothing was written; the server log has "
                 "the details (import %(batch)s)") % {"error": m.group(1), "batch": m.group(2)}),
    (re.compile(r"^the import did not finish within (\d+) hours and counts as interrupted \(it ran in (.+), which "
                r"cannot be checked from here\); nothing was written: run it again$"),
     lambda m: _("the import did not finish within %(hours)s hours and counts as interrupted (it ran in "
                 "%(runner)s, which cannot be checked from here); nothing was written: run it again")
     % {"hours": m.group(1), "runner": _runner(m.group(2))}),
    (re.compile(r"^(.+): import (\d+) was ended as interrupted while it ran; nothing was written: run it again$"),
     lambda m: _("%(file)s: import %(batch)s was ended as interrupted while it ran; nothing was written: run it "
                 "again") % {"file": m.group(1), "batch": m.group(2)}),
    (re.compile(r"^(.+): (another import wrote some of these records at the same time; .+)$"),
     lambda m: _("%(file)s: %(reason)s") % {"file": m.group(1), "reason": ui_message(m.group(2))}),
    (re.compile(r"^unknown import kind (.+)$"), lambda m: _("unknown import kind %(kind)s") % {"kind": m.group(1)}),
    # sales rows (fanli/sales/importing.py)
    (re.compile(r"^(.+) differs from (.+) on line (\d+) of document (.+)$"),
     lambda m: _("%(mine)s differs from %(theirs)s on line %(line)s of document %(number)s")
     % {"mine": _value(m.group(1)), "theirs": _value(m.group(2)), "line": m.group(3), "number": m.group(4)}),
    (re.compile(r"^(.+) is not invoice or return$"),
     lambda m: _("%(value)s is not invoice or return") % {"value": _value(m.group(1))}),
    (re.compile(r"^unknown customer (.+)$"), lambda m: _("unknown customer %(code)s") % {"code": m.group(1)}),
    (re.compile(r"^(.+) is not a three-letter currency code$"),
     lambda m: _("%(value)s is not a three-letter currency code") % {"value": _value(m.group(1))}),
    (re.compile(r"^duplicate line: document (.+) line (\d+) is already on line (\d+)$"),
     lambda m: _("duplicate line: document %(number)s line %(line_number)s is already on line %(first)s")
     % {"number": m.group(1), "line_number": m.group(2), "first": m.group(3)}),
    (re.compile(r"^unknown SKU (.+)$"), lambda m: _("unknown SKU %(sku)s") % {"sku": m.group(1)}),
    (re.compile(r"^document (.+) totals (\S+): a document's total lies within ±(\S+); split it into several documents$"),
     lambda m: _("document %(number)s totals %(total)s: a document's total lies within ±%(limit)s; split it into "
                 "several documents") % {"number": m.group(1), "total": m.group(2), "limit": m.group(3)}),
    (re.compile(r"^document (.+) already imported with different content$"),
     lambda m: _("document %(number)s already imported with different content") % {"number": m.group(1)}),
    (re.compile(r"^reverses invoice (.+), which is rejected in this file$"),
     lambda m: _("reverses invoice %(number)s, which is rejected in this file") % {"number": m.group(1)}),
    (re.compile(r"^reverses unknown invoice (.+)$"),
     lambda m: _("reverses unknown invoice %(number)s") % {"number": m.group(1)}),
    (re.compile(r"^reverses invoice (.+) of another customer$"),
     lambda m: _("reverses invoice %(number)s of another customer") % {"number": m.group(1)}),
    (re.compile(r"^reverses (.+), which is not an invoice$"),
     lambda m: _("reverses %(number)s, which is not an invoice") % {"number": m.group(1)}),
    (re.compile(r"^paid amount (\S+) is more than the invoice total (\S+) of document (.+)$"),
     lambda m: _("paid amount %(paid)s is more than the invoice total %(total)s of document %(number)s")
     % {"paid": m.group(1), "total": m.group(2), "number": m.group(3)}),
    (re.compile(r"^paid amount (\S+) is more than the return total (\S+) of document (.+)$"),
     lambda m: _("paid amount %(paid)s is more than the return total %(total)s of document %(number)s")
     % {"paid": m.group(1), "total": m.group(2), "number": m.group(3)}),
    (re.compile(r"^SKU (.+) is not on invoice (.+)$"),
     lambda m: _("SKU %(sku)s is not on invoice %(number)s") % {"sku": m.group(1), "number": m.group(2)}),
    (re.compile(r"^returns (\S+) units of SKU (.+) but invoice (.+) has (\S+) left$"),
     lambda m: _("returns %(quantity)s units of SKU %(sku)s but invoice %(number)s has %(left)s left")
     % {"quantity": m.group(1), "sku": m.group(2), "number": m.group(3), "left": m.group(4)}),
    (re.compile(r"^returns (\S+) of SKU (.+) but invoice (.+) has (\S+) left$"),
     lambda m: _("returns %(amount)s of SKU %(sku)s but invoice %(number)s has %(left)s left")
     % {"amount": m.group(1), "sku": m.group(2), "number": m.group(3), "left": m.group(4)}),
    # grades, customers and targets (fanli/customers/importing.py)
    (re.compile(r"^(.+) is not one of (.+)$"),
     lambda m: _("%(value)s is not one of %(choices)s") % {"value": _value(m.group(1)), "choices": m.group(2)}),
    (re.compile(r"^(.+) is not a bank account number \(8 to 34 digits or letters\)$"),
     lambda m: _("%(value)s is not a bank account number (8 to 34 digits or letters)") % {"value": _value(m.group(1))}),
    (re.compile(r"^a unified social credit code has (\d+) characters, not (\d+)$"),
     lambda m: _("a unified social credit code has %(length)s characters, not %(given)s")
     % {"length": m.group(1), "given": m.group(2)}),
    (re.compile(r"^a unified social credit code has no (.+)$"),
     lambda m: _("a unified social credit code has no %(characters)s") % {"characters": m.group(1)}),
    (re.compile(r"^the check character is (.+) but the first 17 characters give (.+): a typing error\?$"),
     lambda m: _("the check character is %(given)s but the first 17 characters give %(expected)s: a typing error?")
     % {"given": m.group(1), "expected": m.group(2)}),
    # contact persons (fanli/customers/importing.py)
    (re.compile(r"^not a phone number \(digits, spaces, dashes and brackets, an optional leading \+\)$"),
     lambda m: _("not a phone number (digits, spaces, dashes and brackets, an optional leading +)")),
    (re.compile(r"^not an e-mail address: (.+)$"),
     lambda m: _("not an e-mail address: %(value)s") % {"value": _value(m.group(1))}),
    (re.compile(r"^unknown notice (.+): use (.+) \(separated by ;\)$"),
     lambda m: _("unknown notice %(value)s: use %(choices)s (separated by ;)")
     % {"value": _value(m.group(1)), "choices": m.group(2)}),
    (re.compile(r"^the same customer and name as line (\d+)$"),
     lambda m: _("the same customer and name as line %(line)s") % {"line": m.group(1)}),
    (re.compile(r"^duplicate grade (.+), already on line (\d+)$"),
     lambda m: _("duplicate grade %(code)s, already on line %(line)s") % {"code": m.group(1), "line": m.group(2)}),
    (re.compile(r"^(.+) is not a whole number from 0 to 32767$"),
     lambda m: _("%(value)s is not a whole number from 0 to 32767") % {"value": _value(m.group(1))}),
    (re.compile(r"^parent (?!category )(.+) is rejected in this file$"),
     lambda m: _("parent %(code)s is rejected in this file") % {"code": m.group(1)}),
    (re.compile(r"^unknown parent customer (.+)$"),
     lambda m: _("unknown parent customer %(code)s") % {"code": m.group(1)}),
    (re.compile(r"^parent (?!category )(.+) makes a loop of parents$"),
     lambda m: _("parent %(code)s makes a loop of parents") % {"code": m.group(1)}),
    (re.compile(r"^duplicate customer (.+), already on line (\d+)$"),
     lambda m: _("duplicate customer %(code)s, already on line %(line)s") % {"code": m.group(1), "line": m.group(2)}),
    (re.compile(r"^unknown grade (.+) \(load grades first: fanli import grades FILE\)$"),
     lambda m: _("unknown grade %(code)s (load grades first: fanli import grades FILE)") % {"code": m.group(1)}),
    (re.compile(r"^(.+) is not a whole number of days$"),
     lambda m: _("%(value)s is not a whole number of days") % {"value": _value(m.group(1))}),
    (re.compile(r"^ends on (\S+), before it starts on (\S+)$"),
     lambda m: _("ends on %(end)s, before it starts on %(start)s") % {"end": m.group(1), "start": m.group(2)}),
    (re.compile(r"^the same customer and period as line (\d+)$"),
     lambda m: _("the same customer and period as line %(line)s") % {"line": m.group(1)}),
    # products (fanli/catalog/importing.py)
    (re.compile(r"^duplicate SKU (.+), already on line (\d+)$"),
     lambda m: _("duplicate SKU %(sku)s, already on line %(line)s") % {"sku": m.group(1), "line": m.group(2)}),
    (re.compile(r"^unknown brand (.+) \(give brand_name to create it\)$"),
     lambda m: _("unknown brand %(code)s (give brand_name to create it)") % {"code": m.group(1)}),
    (re.compile(r"^unknown category (.+) \(give category_name to create it\)$"),
     lambda m: _("unknown category %(code)s (give category_name to create it)") % {"code": m.group(1)}),
    (re.compile(r"^unknown parent category (.+)$"),
     lambda m: _("unknown parent category %(code)s") % {"code": m.group(1)}),
    (re.compile(r"^parent category (.+) makes a loop of parents$"),
     lambda m: _("parent category %(code)s makes a loop of parents") % {"code": m.group(1)}),
    (re.compile(r"^category (\S+) is named (.+) on line (\d+)$"),
     lambda m: _("category %(code)s is named %(name)s on line %(line)s")
     % {"code": m.group(1), "name": m.group(2), "line": m.group(3)}),
    (re.compile(r"^brand (\S+) is named (.+) on line (\d+)$"),
     lambda m: _("brand %(code)s is named %(name)s on line %(line)s")
     % {"code": m.group(1), "name": m.group(2), "line": m.group(3)}),
    (re.compile(r"^category (\S+) cannot be its own parent$"),
     lambda m: _("category %(code)s cannot be its own parent") % {"code": m.group(1)}),
    (re.compile(r"^category (\S+) has parent (.+) on line (\d+)$"),
     lambda m: _("category %(code)s has parent %(parent)s on line %(line)s")
     % {"code": m.group(1), "parent": m.group(2), "line": m.group(3)}),
    # the upload (fanli/imports/uploads.py)
    (re.compile(r"^(.+): only \.csv and \.xlsx files can be imported$"),
     lambda m: _("%(file)s: only .csv and .xlsx files can be imported") % {"file": m.group(1)}),
    (re.compile(r"^(.+) is larger than (\d+) MB$"),
     lambda m: _("%(file)s is larger than %(limit)s MB") % {"file": m.group(1), "limit": m.group(2)}),
    (re.compile(r"^(.+) is empty$"), lambda m: _("%(file)s is empty") % {"file": m.group(1)}),
]


def ui_message(text: str) -> str:
    exact = _EXACT.get(text)
    if exact is not None:
        return exact()
    for pattern, render in (*_WARNINGS, *_PATTERNS):
        match = pattern.match(text)
        if match:
            return render(match)
    return note_text(text)
