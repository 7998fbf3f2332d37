"""Did a policy pay off? Participants, tiers, cost, and sales uplift against a comparison group.

For one ended settlement period of a policy:

- **Participants**: the customers the policy computes a result for (eligible, with sales).
- **Tier shares**: how many participants reached each tier (or none).
- **Cost**: the rebate, as a % of the participants' net sales (all products) and of the basis.
- **Uplift against a year earlier**: the participants' net sales against the same customers'
  net sales in the same period a year earlier, over the participants who bought then (the
  *panel*; participants new since are counted apart).
- **Difference in differences**: the same growth for *comparable customers outside the policy*:
  active customers of the participants' kinds that the policy's eligibility rules leave out
  (grade, region, tags, segments, enrolment...) and that bought a year earlier. When the policy
  leaves no such customer out, the comparison widens to the other business customers (every
  kind but members), and the report says so;
  the policy's effect is the participants' growth less the comparison group's, in percentage
  points. The **incremental sales** are the panel's sales less what they would have been had
  they grown like the comparison group: ``now - before * (1 + comparison growth)``.
- **Return on rebate**: incremental sales per yuan of rebate paid to the panel.

``measure`` is pure (exact integers and ``Decimal``, percentages rounded half up to two places
for display); ``policy_effectiveness`` reads the figures with grouped queries and the same
``compute_results`` as settlement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Sum

from fanli.common.exceptions import NotFound
from fanli.common.periods import Period, period_containing
from fanli.customers.models import Customer, CustomerKind
from fanli.sales.models import SalesLine

from .compile import customer_eligible
from .models import Enrolment, Policy, PolicyVersion
from .preview import ended_period, version_results
from .selectors import customer_facts, parsed

CENT = Decimal("0.01")
CACHE_SECONDS = 600


@dataclass(frozen=True)
class Participant:
    customer_id: int
    tier: int | None  # 1-based tier reached, None below the first
    basis_minor: int
    rebate_minor: int


@dataclass(frozen=True)
class Sales:
    customer_id: int
    now_minor: int
    before_minor: int


@dataclass(frozen=True)
class Group:
    customers: int
    now_minor: int
    before_minor: int

    @property
    def growth(self) -> Decimal | None:
        """now / before - 1, exact; None without sales before."""
        return None if self.before_minor <= 0 else Decimal(self.now_minor - self.before_minor) / self.before_minor


def percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * 100).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Effectiveness:
    participants: int
    paid: int  # participants with a rebate
    tiers: list[tuple[int | None, int]]  # (tier, customers), below the first tier first
    rebate_minor: int
    sales_minor: int  # participants' net sales in the period, all products
    basis_minor: int
    panel: Group  # participants who bought a year earlier
    new_participants: int
    comparison: Group
    panel_rebate_minor: int

    @property
    def cost_of_sales(self) -> Decimal | None:
        return None if self.sales_minor <= 0 else percent(Decimal(self.rebate_minor) / self.sales_minor)

    @property
    def cost_of_basis(self) -> Decimal | None:
        return None if self.basis_minor <= 0 else percent(Decimal(self.rebate_minor) / self.basis_minor)

    @property
    def difference_points(self) -> Decimal | None:
        """Participants' growth less the comparison group's, in percentage points."""
        mine, theirs = self.panel.growth, self.comparison.growth
        return None if mine is None or theirs is None else percent(mine - theirs)

    @property
    def incremental_minor(self) -> int | None:
        theirs = self.comparison.growth
        if theirs is None or self.panel.customers == 0:
            return None
        expected = Decimal(self.panel.before_minor) * (1 + theirs)
        return int((Decimal(self.panel.now_minor) - expected).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def return_per_yuan(self) -> Decimal | None:
        """Incremental sales per yuan of rebate paid to the panel, two decimals."""
        extra = self.incremental_minor
        if extra is None or self.panel_rebate_minor <= 0:
            return None
        return (Decimal(extra) / self.panel_rebate_minor).quantize(CENT, ROUND_HALF_UP)

    def tier_shares(self) -> list[tuple[int | None, int, Decimal]]:
        return [(tier, count, percent(Decimal(count) / self.participants) or Decimal(0))
                for tier, count in self.tiers] if self.participants else []


def measure(participants: list[Participant], sales: dict[int, Sales], comparison: list[Sales]) -> Effectiveness:
    mine = {p.customer_id for p in participants}
    panel = [sales[p.customer_id] for p in participants if p.customer_id in sales and sales[p.customer_id].before_minor > 0]
    panel_ids = {s.customer_id for s in panel}
    others = [s for s in comparison if s.customer_id not in mine and s.before_minor > 0]
    counts = Counter(p.tier for p in participants)
    return Effectiveness(
        participants=len(participants), paid=sum(1 for p in participants if p.rebate_minor > 0),
        tiers=sorted(counts.items(), key=lambda item: -1 if item[0] is None else item[0]),
        rebate_minor=sum(p.rebate_minor for p in participants),
        sales_minor=sum(sales[p.customer_id].now_minor for p in participants if p.customer_id in sales),
        basis_minor=sum(p.basis_minor for p in participants),
        panel=Group(len(panel), sum(s.now_minor for s in panel), sum(s.before_minor for s in panel)),
        new_participants=len(participants) - len(panel),
        comparison=Group(len(others), sum(s.now_minor for s in others), sum(s.before_minor for s in others)),
        panel_rebate_minor=sum(p.rebate_minor for p in participants if p.customer_id in panel_ids),
    )


# ---------------------------------------------------------------- reading the figures


@dataclass(frozen=True)
class Report:
    policy: Policy
    version: PolicyVersion
    period: Period
    year_before: Period
    result: Effectiveness
    rows: list[dict[str, Any]]  # per participant, largest rebate first
    comparison_kinds: list[str]  # the customer kinds of the comparison group
    widened: bool  # True when no customer of the participants' kinds was left out by the policy


def year_before(period: Period) -> Period:
    return period_containing(period.start.replace(year=period.start.year - 1), period.kind)  # periods start on a 1st


def _net_sales(period: Period, kinds: set[str]) -> dict[int, int]:
    return dict(SalesLine.objects.filter(basis_date__gte=period.start, basis_date__lte=period.end,
                                         customer__kind__in=kinds)
                .values("customer_id").annotate(net=Sum("net_amount_minor")).values_list("customer_id", "net"))


def policy_version_for(policy: Policy) -> PolicyVersion:
    version = (PolicyVersion.objects.filter(policy=policy, status=PolicyVersion.Status.PUBLISHED).first()
               or PolicyVersion.objects.filter(policy=policy).order_by("-number").first())
    if version is None:
        raise NotFound(f"policy {policy.code} has no version")
    return version


def policy_effectiveness_cached(code: str, period_key: str, *, today: date) -> tuple[Report, Any]:
    """``policy_effectiveness`` kept for ``CACHE_SECONDS`` in the shared cache, keyed by what changes
    it most (new sales documents, a new policy version, enrolments); answers the report and when
    it was computed. Pages use it; the API and the command compute afresh."""
    from django.core.cache import cache
    from django.utils import timezone

    from fanli.sales.models import SalesDocument

    sales = SalesDocument.objects.aggregate(last=Max("id"))["last"]
    versions = PolicyVersion.objects.aggregate(last=Max("id"))["last"]
    enrolments = Enrolment.objects.aggregate(last=Max("id"), n=Count("id"))
    key = (f"fanli:effectiveness:{code}:{period_key}:{today}:{sales}:{versions}:"
           f"{enrolments['last']}:{enrolments['n']}")
    found = cache.get(key)
    if found is None:
        found = (policy_effectiveness(code, period_key, today=today), timezone.now())
        cache.set(key, found, CACHE_SECONDS)
    return found


def policy_effectiveness(code: str, period_key: str, *, today: date) -> Report:
    """The version in force, over an ended settlement period, with today's data."""
    policy = Policy.objects.filter(code=code).first()
    if policy is None:
        raise NotFound(f"no policy {code!r}")
    version = policy_version_for(policy)
    period = ended_period(version, period_key, today=today)
    before = year_before(period)
    computed = version_results(version, period)
    participants = [Participant(c.customer_id, None if c.result.tier_index is None else c.result.tier_index + 1,
                                int(c.basis.amount * 100), c.amount_minor) for c in computed.values()]
    document = parsed(version)
    who = {pk: (code, name, kind) for pk, code, name, kind in
           Customer.objects.filter(pk__in=computed.keys()).values_list("id", "code", "name", "kind")}
    kinds = {kind for _code, _name, kind in who.values()} | set(document.eligibility.kinds)
    outside = _left_out(version, period, kinds)
    widened = not outside
    if widened:
        kinds = {kind for kind in CustomerKind.values if kind != CustomerKind.MEMBER}
        outside = _left_out(version, period, kinds)
    now_sales, before_sales = _net_sales(period, kinds), _net_sales(before, kinds)
    everyone = (now_sales.keys() | before_sales.keys() | computed.keys())
    sales = {cid: Sales(cid, now_sales.get(cid) or 0, before_sales.get(cid) or 0) for cid in everyone}
    result = measure(participants, sales, [sales[cid] for cid in everyone if cid in outside])
    rows = []
    for p in sorted(participants, key=lambda p: (-p.rebate_minor, who[p.customer_id][0])):
        s = sales.get(p.customer_id, Sales(p.customer_id, 0, 0))
        rows.append({"code": who[p.customer_id][0], "name": who[p.customer_id][1],
                     "customer_id": p.customer_id, "tier": p.tier, "basis_minor": p.basis_minor,
                     "rebate_minor": p.rebate_minor, "now_minor": s.now_minor, "before_minor": s.before_minor,
                     "growth": percent(Group(1, s.now_minor, s.before_minor).growth)})
    return Report(policy, version, period, before, result, rows, sorted(kinds), widened)


def _left_out(version: PolicyVersion, period: Period, kinds: set[str]) -> set[int]:
    """Active customers of ``kinds`` that the version's eligibility rules leave out for ``period``."""
    document = parsed(version)
    enrolled = set(Enrolment.objects.filter(policy_id=version.policy_id).values_list("customer_id", flat=True))
    facts = customer_facts(Customer.objects.filter(kind__in=kinds, status="active").values_list("id", flat=True))
    return {cid for cid, f in facts.items()
            if not customer_eligible(document, f, period_end=period.end, enrolled=cid in enrolled)[0]}
