"""What a policy version would pay over a past period, beside the version in force.

Read-only: nothing is written, no statement, no ledger entry. The policy editor shows it before
a draft is published; it computes with the same ``compute_results`` as settlement, so the
figures are the ones a settlement run would produce for that period with today's data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fanli.common.exceptions import ValidationFailed
from fanli.common.periods import Period, PeriodKind, parse_period, period_containing
from fanli.customers.models import Customer

from .document import PolicyDocument, document_to_json
from .models import Policy, PolicyVersion
from .selectors import Computed, PolicyPeriod, compute_results, parsed


@dataclass(frozen=True)
class PreviewRow:
    customer_id: int
    code: str
    name: str
    basis_minor: int
    tier: int | None  # 1-based tier reached with the previewed version, None below the first
    amount_minor: int  # the previewed version
    in_force_minor: int  # the version in force over the same period (0 if none)

    @property
    def difference_minor(self) -> int:
        return self.amount_minor - self.in_force_minor


@dataclass
class Preview:
    version: PolicyVersion
    period: Period
    in_force: PolicyVersion | None  # what the version is compared with (see ``_compared_with``)
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return sum(1 for row in self.rows if row.amount_minor)

    @property
    def total_minor(self) -> int:
        return sum(row.amount_minor for row in self.rows)

    @property
    def in_force_total_minor(self) -> int:
        return sum(row.in_force_minor for row in self.rows)

    @property
    def difference_minor(self) -> int:
        return self.total_minor - self.in_force_total_minor

    @property
    def basis_minor(self) -> int:
        return sum(row.basis_minor for row in self.rows)

    @property
    def cost_percent(self) -> Decimal | None:
        """Rebate as a % of the counted basis, two decimals (for display only)."""
        if not self.basis_minor:
            return None
        return (Decimal(self.total_minor) * 100 / Decimal(self.basis_minor)).quantize(Decimal("0.01"))

    @property
    def tiers(self) -> list[tuple[int | None, int]]:
        """How many customers reach each tier (None: below the first), lowest first."""
        counts = Counter(row.tier for row in self.rows)
        return sorted(counts.items(), key=lambda item: -1 if item[0] is None else item[0])

    @property
    def gainers(self) -> int:
        return sum(1 for row in self.rows if row.difference_minor > 0)

    @property
    def losers(self) -> int:
        return sum(1 for row in self.rows if row.difference_minor < 0)


def preview_periods(version: PolicyVersion, *, today: date, count: int = 8) -> list[Period]:
    """The version's last ``count`` ended settlement periods, newest first."""
    return ended_periods(parsed(version), today=today, count=count)


def ended_periods(document: PolicyDocument, *, today: date, count: int = 8) -> list[Period]:
    period = period_containing(today, PeriodKind(document.settlement.period.value)).previous()
    periods: list[Period] = []
    while len(periods) < count:
        periods.append(period)
        period = period.previous()
    return periods


def ended_period(version: PolicyVersion, period_key: str, *, today: date) -> Period:
    """``period_key`` as one of the version's settlement periods that has ended, or why not."""
    document = parsed(version)
    kind = PeriodKind(document.settlement.period.value)
    try:
        period = parse_period(period_key)
    except ValueError as error:
        raise ValidationFailed(str(error), details={"errors": [{"path": "period", "message": str(error)}]}) from None
    if period.kind is not kind:
        message = f"this policy settles per {kind.value}: choose a period such as {preview_periods(version, today=today, count=1)[0].key}"
        raise ValidationFailed(message, details={"errors": [{"path": "period", "message": message}]})
    if period.end >= today:
        message = f"period {period.key} has not ended; choose a past period"
        raise ValidationFailed(message, details={"errors": [{"path": "period", "message": message}]})
    return period


def policy_preview(version: PolicyVersion, period_key: str, *, today: date) -> Preview:
    """Compute ``version`` over the ended period ``period_key`` and, beside it, the version in force."""
    period = ended_period(version, period_key, today=today)
    in_force = _compared_with(version)
    previewed = version_results(version, period)
    current = version_results(in_force, period) if in_force is not None else {}
    names = dict(Customer.objects.filter(pk__in=previewed.keys() | current.keys()).values_list("id", "code"))
    titles = dict(Customer.objects.filter(pk__in=names).values_list("id", "name"))
    rows = []
    for customer_id in previewed.keys() | current.keys():
        mine, theirs = previewed.get(customer_id), current.get(customer_id)
        basis = (mine or theirs).basis.amount  # type: ignore[union-attr]
        rows.append(PreviewRow(
            customer_id=customer_id, code=names[customer_id], name=titles[customer_id],
            basis_minor=int(basis * 100),
            tier=None if mine is None or mine.result.tier_index is None else mine.result.tier_index + 1,
            amount_minor=mine.amount_minor if mine else 0,
            in_force_minor=theirs.amount_minor if theirs else 0,
        ))
    rows.sort(key=lambda row: (-abs(row.difference_minor), -row.amount_minor, row.code))
    return Preview(version=version, period=period, in_force=in_force, rows=rows)


def _compared_with(version: PolicyVersion) -> PolicyVersion | None:
    """A draft is compared with the version in force; the version in force (or a retired one)
    with the version before it, so the page always answers "what does this version change"."""
    others = PolicyVersion.objects.filter(policy_id=version.policy_id).exclude(pk=version.pk)
    if version.status == PolicyVersion.Status.DRAFT:
        return others.filter(status=PolicyVersion.Status.PUBLISHED).first()
    return others.filter(number__lt=version.number).order_by("-number").first()


def version_results(version: PolicyVersion, period: Period) -> dict[int, Computed]:
    """Per customer, the version's eligible result for ``period``; policies it stacks after are
    computed beside it, so their rebate is deducted from its basis as in a settlement run."""
    document = parsed(version)
    items = [PolicyPeriod(version, document, period, period.end)]
    if document.stacks_after:
        for other in PolicyVersion.objects.filter(
            status=PolicyVersion.Status.PUBLISHED, policy__code__in=document.stacks_after
        ).select_related("policy"):
            other_document = parsed(other)
            if other_document.settlement.period == document.settlement.period:
                items.append(PolicyPeriod(other, other_document, period, period.end))
    return {
        c.customer_id: c for c in compute_results(items)
        if c.item.version.pk == version.pk and c.result.eligible
    }


def what_if(document: PolicyDocument, period_key: str, *, today: date) -> Preview:
    """A document that is not stored (the editor's form as typed: a changed tier table, a new
    rate) over an ended period, beside the version in force. Writes nothing, not even a draft."""
    policy = Policy.objects.filter(code=document.code).first() or Policy(code=document.code, name=document.name)
    unsaved = PolicyVersion(policy=policy, number=0, status=PolicyVersion.Status.DRAFT,
                            document=document_to_json(document))
    return policy_preview(unsaved, period_key, today=today)
