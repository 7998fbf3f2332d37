"""Reads for rebates: set-based aggregation of sales, and the computation of results.

How a period is computed (``compute_results``), whatever asks (settlement, accrual, progress,
reconciliation, what-if):

1. Policies sharing a date range are computed together. For each product, a bit mask says
   which of those policies count it; products with the same mask form a *scope class*.
2. One SQL statement scans ``sales_line`` once for the range and groups by customer, scope
   class and *campaign segment* (the pieces the campaign windows cut the range into):
   ``GROUP BY customer_id, class, segment``. Returns count in their invoice's period because
   lines carry ``basis_date``.
3. Python then adds up those few aggregate rows per policy and customer (or pool) into a
   ``Basis`` and calls the pure engine. No Python object is ever made per sales line.

Extra passes happen only when a policy needs them: last year's range for growth, a distinct
document count for the orders metric, the paid share of each line for paid-basis policies.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from fanli.catalog.models import Category, Product
from fanli.common import split_reads
from fanli.common.money import split_proportionally
from fanli.common.periods import Period, PeriodKind, parse_period, period_containing
from fanli.customers.models import Customer

from .compile import CustomerFacts, ProductFacts, customer_eligible, product_in_scope, terms_for
from .document import BasisSource, Metric, PolicyDocument, parse_policy_document
from .engine import Basis, Result, calculate, project
from .exceptions import PolicyError
from .models import Enrolment, PolicyVersion

ZERO = Decimal(0)
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)


# ---------------------------------------------------------------- master data facts


def catalog_facts(skus: Collection[str] | None = None) -> dict[int, ProductFacts]:
    """Scope facts per product id: all products, or those with the given SKUs."""
    categories = {cid: (code, parent) for cid, code, parent in Category.objects.values_list("id", "code", "parent_id")}

    def ancestry(category_id: int | None) -> tuple[str, ...]:
        codes = []
        seen = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            code, category_id = categories[category_id]
            codes.append(code)
        return tuple(codes)

    chains = {cid: ancestry(cid) for cid in categories}
    products = Product.objects.values_list("id", "sku", "category_id", "brand__code")
    if skus is not None:
        products = products.filter(sku__in=list(skus))
    return {pid: ProductFacts(pid, sku, chains.get(category_id, ()), brand) for pid, sku, category_id, brand in products}


def customer_facts(customer_ids: Collection[int] | None = None, *,
                   among: QuerySet[Customer] | None = None) -> dict[int, CustomerFacts]:
    """What eligibility rules look at, segments included (as last computed by ``fanli segments``);
    of every customer, of ``customer_ids``, or of those ``among`` holds (one query either way)."""
    qs = (Customer.objects if among is None else among).values_list("id", "code", "kind", "grade__code", "region", "tags", "start_date",
                                      "parent_id", "status", "relationship", "segment__abc", "segment__lifecycle")
    if customer_ids is not None:
        qs = qs.filter(id__in=list(customer_ids))
    return {
        row[0]: CustomerFacts(*row[:5], tuple(row[5] or ()), *row[6:9], relationship=row[9], abc=row[10] or "",
                              lifecycle=row[11] or "")
        for row in qs
    }


# ---------------------------------------------------------------- what a run computes


@dataclass(frozen=True)
class PolicyPeriod:
    """One policy version to compute for one settlement period, counting sales up to ``as_of``."""

    version: PolicyVersion
    document: PolicyDocument
    period: Period
    as_of: date

    @property
    def counted_from(self) -> date:
        return max(self.period.start, self.document.valid_from)

    @property
    def counted_until(self) -> date:
        until = min(self.as_of, self.period.end)
        if self.document.valid_until is not None:
            until = min(until, self.document.valid_until)
        return until


@dataclass(frozen=True)
class Computed:
    item: PolicyPeriod
    customer_id: int
    basis: Basis
    result: Result
    amount_minor: int
    eligible_reason: str
    overrides: dict[str, Any] | None = None
    pool: dict[str, Any] | None = None
    classes_counted: tuple[int, ...] = field(default=())


def policy_period_for(version: PolicyVersion, document: PolicyDocument, day: date) -> Period:
    return period_containing(day, PeriodKind(document.settlement.period.value))


def parsed(version: PolicyVersion) -> PolicyDocument:
    return parse_policy_document(version.document)


# ---------------------------------------------------------------- SQL


def _in_list(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _segments(windows: Iterable[tuple[date, date]], start: date, end: date) -> list[tuple[date, date]]:
    """Cut start..end at every window edge; return the pieces covered by some window."""
    clipped = [(max(a, start), min(b, end)) for a, b in windows if a <= end and b >= start]
    if not clipped:
        return []
    edges = sorted({a for a, _ in clipped} | {date.fromordinal(b.toordinal() + 1) for _, b in clipped})
    pieces = []
    for left, right in itertools.pairwise(edges):
        last = date.fromordinal(right.toordinal() - 1)
        if any(a <= left and last <= b for a, b in clipped):
            pieces.append((left, last))
    return pieces


def aggregation_sql(
    *,
    start: date,
    end: date,
    classes: dict[int, list[int]],
    segments: list[tuple[date, date]],
    customer_ids: Collection[int] | None = None,
    paid_basis: bool = False,
) -> tuple[str, list[Any]]:
    """The one statement ``aggregate_sales`` runs, with its parameters (tests EXPLAIN it).

    Its shape decides the plan, whatever the statistics say: the only condition an index can
    serve is the period's ``basis_date`` range (and the customers, when a few are asked for),
    so the period drives the scan. Products are sorted into scope classes by a ``CASE`` in the
    select list, not filtered in ``WHERE``: a product condition there lets the planner prefer
    the product index and read every year of lines. Lines out of every scope fall into the
    class NULL, which ``aggregate_sales`` drops.
    """
    class_case = " ".join(f"WHEN l.product_id IN ({_in_list(ids)}) THEN {cid}" for cid, ids in classes.items())
    params: list[Any] = []
    segment_sql = "0"
    if segments:
        whens = []
        for index, (a, b) in enumerate(segments, start=1):
            whens.append(f"WHEN l.basis_date BETWEEN %s AND %s THEN {index}")
            params += [a, b]
        segment_sql = f"CASE {' '.join(whens)} ELSE 0 END"
    amount_sql = "l.net_amount_minor"
    join = ""
    if paid_basis:
        join = "JOIN sales_salesdocument d ON d.id = l.document_id"
        amount_sql = (
            "CASE WHEN l.is_return OR d.paid_minor >= d.total_minor THEN l.net_amount_minor "
            "WHEN d.total_minor = 0 THEN 0 ELSE (l.net_amount_minor * d.paid_minor) / d.total_minor END"
        )
    where = "l.basis_date BETWEEN %s AND %s"
    params += [start, end]
    if customer_ids is not None:
        where += f" AND l.customer_id IN ({_in_list(customer_ids)})"
    sql = (
        f"SELECT l.customer_id, CASE {class_case} END AS scope_class, {segment_sql} AS segment, "
        f"SUM({amount_sql}), SUM(l.quantity_milli) "
        f"FROM {_lines(customer_ids)} {join} WHERE {where} GROUP BY 1, 2, 3"
    )
    return sql, params


def _period_index() -> str:
    from fanli.sales.models import SalesLine

    return next(index.name for index in SalesLine._meta.indexes if index.fields[0] == "basis_date")


def _lines(customer_ids: Collection[int] | None) -> str:
    """``sales_salesline l``, read through the period's covering index when all customers count.

    With few customers, SQLite's statistics make a skip-scan of the (customer, date) index look
    cheaper; it then reads the table row of every line. ``INDEXED BY`` pins the plan (and fails
    loudly should the index ever be missing). PostgreSQL takes no hints and needs none: the
    period is the only condition its indexes can serve.
    """
    if connection.vendor == "sqlite" and customer_ids is None:
        return f"sales_salesline l INDEXED BY {_period_index()}"
    return "sales_salesline l"


def aggregate_sales(
    *,
    start: date,
    end: date,
    classes: dict[int, list[int]],
    segments: list[tuple[date, date]],
    customer_ids: Collection[int] | None = None,
    paid_basis: bool = False,
) -> list[tuple[int, int, int, int, int]]:
    """Rows (customer_id, class_id, segment, amount_minor, quantity_milli) for start..end.

    ``segment`` is 0 outside every campaign window, else 1 + the index in ``segments``.
    With ``paid_basis`` the amount is the paid share of each invoice line (truncated to the
    fen, the named rounding point for paid bases); returns count in full.
    """
    if not classes:
        return []
    parts = split_reads.parts_for("sales_salesline") if customer_ids is None else 1
    if parts > 1 and (end - start).days + 1 >= parts:
        return _aggregate_in_parts(start=start, end=end, classes=classes, segments=segments,
                                   paid_basis=paid_basis, parts=parts)
    sql, params = aggregation_sql(start=start, end=end, classes=classes, segments=segments,
                                  customer_ids=customer_ids, paid_basis=paid_basis)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(r[0]), int(r[1]), int(r[2]), int(r[3] or 0), int(r[4] or 0))
                for r in cursor.fetchall() if r[1] is not None]


def _aggregate_in_parts(*, start: date, end: date, classes: dict[int, list[int]], segments: list[tuple[date, date]],
                        paid_basis: bool, parts: int) -> list[tuple[int, int, int, int, int]]:
    """``aggregate_sales`` for all customers, the period cut into ``parts`` date ranges read at
    once (``fanli.common.split_reads``) and added up: every line falls in exactly one range, and
    its class, campaign segment and paid share depend on the line alone, so the sums are the
    whole read's."""
    days = (end - start).days + 1
    edges = [start + timedelta(days=days * k // parts) for k in range(parts)] + [end + timedelta(days=1)]
    queries = [aggregation_sql(start=a, end=b - timedelta(days=1), classes=classes, segments=segments,
                               paid_basis=paid_basis) for a, b in itertools.pairwise(edges)]
    totals: dict[tuple[int, int, int], list[int]] = {}
    for rows in split_reads.run_parts(queries):
        for r in rows:
            if r[1] is None:
                continue
            key = (int(r[0]), int(r[1]), int(r[2]))
            sums = totals.setdefault(key, [0, 0])
            sums[0] += int(r[3] or 0)
            sums[1] += int(r[4] or 0)
    return [(*key, amount, quantity) for key, (amount, quantity) in totals.items()]


def count_orders(
    *, start: date, end: date, product_ids: Collection[int], customer_ids: Collection[int] | None = None
) -> dict[int, int]:
    """Invoices with at least one in-scope line, per customer (the period drives the scan, as
    in ``aggregation_sql``)."""
    where = "l.basis_date BETWEEN %s AND %s AND l.is_return = %s"
    if customer_ids is not None:
        where += f" AND l.customer_id IN ({_in_list(customer_ids)})"
    sql = (f"SELECT l.customer_id, COUNT(DISTINCT CASE WHEN l.product_id IN ({_in_list(product_ids)}) "
           f"THEN l.document_id END) FROM {_lines(customer_ids)} WHERE {where} GROUP BY 1")
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, False])
        return {int(c): int(n) for c, n in cursor.fetchall() if n}


# ---------------------------------------------------------------- computing results


def _years_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _enrolments(policy_ids: Collection[int]) -> dict[tuple[int, int], Enrolment]:
    return {(e.policy_id, e.customer_id): e for e in Enrolment.objects.filter(policy_id__in=list(policy_ids))}


def _enrolment_in_force(enrolment: Enrolment | None, item: PolicyPeriod) -> Enrolment | None:
    """The enrolment if its window overlaps the counted range of the period."""
    if enrolment is None:
        return None
    if enrolment.valid_from is not None and enrolment.valid_from > item.counted_until:
        return None
    if enrolment.valid_until is not None and enrolment.valid_until < item.counted_from:
        return None
    return enrolment


def _stack_order(items: list[PolicyPeriod]) -> list[PolicyPeriod]:
    """Policies that stack after others come after them; otherwise order does not matter."""
    by_code = {i.document.code: i for i in items}
    done: list[PolicyPeriod] = []
    seen: set[str] = set()

    def visit(item: PolicyPeriod, trail: tuple[str, ...]) -> None:
        code = item.document.code
        if code in seen:
            return
        if code in trail:
            raise PolicyError(f"policies stack in a circle: {' -> '.join((*trail, code))}", code="stacking_cycle")
        for dependency in item.document.stacks_after:
            if dependency in by_code:
                visit(by_code[dependency], (*trail, code))
        seen.add(code)
        done.append(item)

    for item in sorted(items, key=lambda i: i.document.code):
        visit(item, ())
    return done


def compute_results(
    items: list[PolicyPeriod],
    *,
    customer_ids: Collection[int] | None = None,
    include_customers: dict[int, set[int]] | None = None,
    projected: bool = False,
) -> list[Computed]:
    """Results for every (policy, eligible customer with sales) — plus, per policy version id,
    the customers in ``include_customers`` even when they no longer have sales (true-ups)."""
    products = catalog_facts()
    customers = customer_facts(customer_ids)
    enrolments = _enrolments({i.version.policy_id for i in items})
    results: list[Computed] = []
    deductions: dict[tuple[str, int], Decimal] = {}
    groups: dict[tuple[date, date], list[PolicyPeriod]] = defaultdict(list)
    for item in items:
        groups[(item.counted_from, item.counted_until)].append(item)
    for (start, end), group in groups.items():
        if start > end:
            continue
        results += _compute_group(
            start, end, _stack_order(group), products, customers, enrolments, customer_ids,
            include_customers or {}, deductions, projected,
        )
    return results


def _compute_group(
    start: date,
    end: date,
    group: list[PolicyPeriod],
    products: dict[int, ProductFacts],
    customers: dict[int, CustomerFacts],
    enrolments: dict[tuple[int, int], Enrolment],
    customer_ids: Collection[int] | None,
    include_customers: dict[int, set[int]],
    deductions: dict[tuple[str, int], Decimal],
    projected: bool,
) -> list[Computed]:
    # 1. scope classes: products with the same set of counting policies share a class
    masks: dict[int, int] = {}
    for pid, facts in products.items():
        mask = 0
        for bit, item in enumerate(group):
            if product_in_scope(item.document, facts)[0]:
                mask |= 1 << bit
        if mask:
            masks[pid] = mask
    classes: dict[int, list[int]] = defaultdict(list)
    class_mask: dict[int, int] = {}
    mask_class: dict[int, int] = {}
    for pid, mask in sorted(masks.items()):
        cid = mask_class.setdefault(mask, len(mask_class) + 1)
        class_mask[cid] = mask
        classes[cid].append(pid)

    # 2. campaign segments and the aggregation pass(es)
    windows = [(c.from_, c.until) for item in group for c in item.document.campaigns]
    segments = _segments(windows, start, end)
    rows = aggregate_sales(start=start, end=end, classes=classes, segments=segments, customer_ids=customer_ids)
    paid_rows: list[tuple[int, int, int, int, int]] = []
    if any(i.document.basis_source is BasisSource.PAID for i in group):
        paid_rows = aggregate_sales(
            start=start, end=end, classes=classes, segments=segments, customer_ids=customer_ids, paid_basis=True
        )
    prior_rows: dict[bool, list[tuple[int, int, int, int, int]]] = {}
    for paid in {i.document.basis_source is BasisSource.PAID for i in group if i.document.metric is Metric.GROWTH}:
        # last year is measured like this year: invoiced, or only the paid share
        prior_rows[paid] = aggregate_sales(
            start=_years_earlier(start), end=_years_earlier(end), classes=classes, segments=[],
            customer_ids=customer_ids, paid_basis=paid,
        )

    results: list[Computed] = []
    for bit, item in enumerate(group):
        doc = item.document
        in_policy = {cid for cid, mask in class_mask.items() if mask & (1 << bit)}
        source = paid_rows if doc.basis_source is BasisSource.PAID else rows
        amount: dict[int, int] = defaultdict(int)
        quantity: dict[int, int] = defaultdict(int)
        seg_amount: dict[tuple[int, int], int] = defaultdict(int)
        for customer_id, cid, segment, amount_minor, quantity_milli in source:
            if cid in in_policy:
                amount[customer_id] += amount_minor
                quantity[customer_id] += quantity_milli
                if segment:
                    seg_amount[(customer_id, segment)] += amount_minor
        prior: dict[int, int] = defaultdict(int)
        for customer_id, cid, _segment, amount_minor, _q in prior_rows.get(doc.basis_source is BasisSource.PAID, []):
            if cid in in_policy:
                prior[customer_id] += amount_minor
        orders: dict[int, int] = {}
        if doc.metric is Metric.ORDERS:
            policy_products = [pid for cid in in_policy for pid in classes[cid]]
            orders = count_orders(start=start, end=end, product_ids=policy_products, customer_ids=customer_ids)
        campaign_segments = [
            [s for s, (a, b) in enumerate(segments, start=1) if c.from_ <= a and b <= c.until]
            for c in doc.campaigns
        ]

        def basis_of(customer_id: int, doc: PolicyDocument = doc, campaign_segments: list = campaign_segments,
                     amount: dict = amount, quantity: dict = quantity, seg_amount: dict = seg_amount,
                     prior: dict = prior, orders: dict = orders) -> Basis:
            return Basis(
                amount=Decimal(amount.get(customer_id, 0)) / HUNDRED,
                quantity=Decimal(quantity.get(customer_id, 0)) / THOUSAND,
                orders=orders.get(customer_id, 0),
                campaign_amounts=tuple(
                    Decimal(sum(seg_amount.get((customer_id, s), 0) for s in segs)) / HUNDRED
                    for segs in campaign_segments
                ),
                prior_amount=(Decimal(prior[customer_id]) / HUNDRED) if prior.get(customer_id) else None,
                deduction=sum(
                    (deductions.get((code, customer_id), ZERO) for code in doc.stacks_after), ZERO
                ),
            )

        candidates = set(amount) | set(orders) | include_customers.get(item.version.id, set())
        results += _policy_results(item, candidates, basis_of, customers, enrolments, projected,
                                   settled=include_customers.get(item.version.id, set()))
        for computed in results:
            if computed.item is item:
                deductions[(doc.code, computed.customer_id)] = Decimal(computed.amount_minor) / HUNDRED
    return results


def _policy_results(
    item: PolicyPeriod,
    candidates: set[int],
    basis_of: Any,
    customers: dict[int, CustomerFacts],
    enrolments: dict[tuple[int, int], Enrolment],
    projected: bool,
    settled: set[int],
) -> list[Computed]:
    """``settled``: customers who already have statements for this period. They stay in for
    true-ups whatever their master data says now (a grade or status change after the period
    does not rewrite it)."""
    doc = item.document
    policy_id = item.version.policy_id
    eligible: dict[int, str] = {}
    for customer_id in candidates:
        facts = customers.get(customer_id)
        if facts is None:
            continue
        enrolment = _enrolment_in_force(enrolments.get((policy_id, customer_id)), item)
        ok, reason = customer_eligible(doc, facts, period_end=item.period.end, enrolled=enrolment is not None)
        if ok:
            eligible[customer_id] = reason
        elif customer_id in settled:
            eligible[customer_id] = f"settled for this period before ({reason} now)"

    policy_terms = terms_for(doc)  # the same for every customer without an agreement of their own

    def run(terms_basis: Basis, overrides: dict | None) -> Result:
        terms = terms_for(doc, overrides) if overrides else policy_terms
        if projected:
            elapsed = (item.counted_until - item.counted_from).days + 1
            total = (item.period.end - item.counted_from).days + 1
            return project(terms, terms_basis, elapsed_days=elapsed, total_days=total)
        return calculate(terms, terms_basis)

    out: list[Computed] = []
    if doc.pooling == "parent":
        pools: dict[int, list[int]] = defaultdict(list)
        for customer_id in eligible:
            facts = customers[customer_id]
            pools[facts.parent_id or customer_id].append(customer_id)
        for head, members in sorted(pools.items()):
            members.sort()
            bases = [basis_of(m) for m in members]
            pooled = bases[0]
            for b in bases[1:]:
                pooled = pooled + b
            enrolment = _enrolment_in_force(enrolments.get((policy_id, head)), item)
            result = run(pooled, enrolment.overrides if enrolment else None)
            weights = [max(int(b.amount * HUNDRED), 0) for b in bases]
            shares = split_proportionally(result.amount_minor, weights)
            pool_info = {
                "head": customers[head].code if head in customers else str(head),
                "members": [
                    {"customer": customers[m].code, "amount": str(b.amount), "share_minor": s}
                    for m, b, s in zip(members, bases, shares, strict=True)
                ],
                "pooled_amount": str(pooled.amount),
                "pooled_rebate_minor": result.amount_minor,
            }
            for m, b, s in zip(members, bases, shares, strict=True):
                out.append(Computed(item, m, b, result, s, eligible[m], None, pool_info))
        return out
    for customer_id in sorted(eligible):
        enrolment = _enrolment_in_force(enrolments.get((policy_id, customer_id)), item)
        overrides = enrolment.overrides if enrolment and enrolment.overrides else None
        basis = basis_of(customer_id)
        result = run(basis, overrides)
        out.append(Computed(item, customer_id, basis, result, result.amount_minor, eligible[customer_id], overrides))
    return out


# ---------------------------------------------------------------- progress, lines, reconciliation


def published_items(day: date) -> list[PolicyPeriod]:
    """Each published policy valid on ``day``, for its period containing ``day``."""
    items = []
    for version in PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).select_related("policy"):
        document = parsed(version)
        if document.valid_from <= day and (document.valid_until is None or document.valid_until >= day):
            items.append(PolicyPeriod(version, document, policy_period_for(version, document, day), day))
    return items


def _pool_members(customer: Customer) -> set[int]:
    head = customer.parent_id or customer.id
    return {head, *Customer.objects.filter(parent_id=head).values_list("id", flat=True)}


def customer_progress(customer: Customer, day: date) -> list[dict[str, Any]]:
    """For each policy the customer takes part in on ``day``: basis so far, tier reached, gap to
    the next tier, rebate earned so far and projected for the whole period at the run rate."""
    items = published_items(day)
    members = _pool_members(customer)
    actual = {(c.item.version.pk, c.customer_id): c for c in compute_results(items, customer_ids=members)}
    projected = {
        (c.item.version.pk, c.customer_id): c
        for c in compute_results(items, customer_ids=members, projected=True)
    }
    rows = []
    for item in items:
        now = actual.get((item.version.pk, customer.pk))
        if now is None:
            continue
        ahead = projected.get((item.version.pk, customer.pk))
        result = now.result
        rows.append({
            "policy": item.document.code,
            "policy_name": item.document.name,
            "version": item.version.number,
            "period": item.period.key,
            "period_start": item.period.start,
            "period_end": item.period.end,
            "as_of": day,
            "metric": result.metric,
            "basis_amount": str(now.basis.amount),
            "basis_quantity": str(now.basis.quantity),
            "metric_value": _shown(result.metric_value),
            "tier_reached": None if result.tier_index is None else result.tier_index + 1,
            "next_tier_from": None if result.next_threshold is None else str(result.next_threshold),
            "gap_to_next_tier": _shown(result.gap_to_next),
            "next_tier_rate": _next_rate(now),
            "earned_minor": now.amount_minor,
            "projected_minor": ahead.amount_minor if ahead else now.amount_minor,
            "pooled_with": now.pool["head"] if now.pool else None,
            "notes": list(result.notes),
        })
    return rows


def _next_rate(computed: Computed) -> str | None:
    """The rate of the next tier (e.g. "3%"), for "¥38,200 more for 3%"."""
    threshold = computed.result.next_threshold
    if threshold is None:
        return None
    terms = terms_for(computed.item.document, computed.overrides)
    if terms.kind == "target_bonus":
        return None
    return next((tier.rate_text() for tier in terms.tiers if tier.threshold == threshold), None)


def _shown(value: Decimal | None) -> str | None:
    """A metric for people: at most two decimals (growth % or money), exact otherwise."""
    if value is None:
        return None
    if value.is_infinite():
        return "infinite"
    if value == value.quantize(Decimal("0.01")):
        return str(value)
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def statement_lines(statement: Any, *, limit: int = 500) -> dict[str, Any]:
    """The sales lines behind a statement, each counted or excluded with the reason.

    Only documents recorded before the statement was made are listed, so the lines are the
    ones the statement saw; later documents belong to a later adjustment.
    """
    from fanli.sales.models import SalesLine

    explanation = statement.explanation
    if "manual" in explanation:  # an agreed adjustment counts no sales lines of its own
        return {"lines": [], "total_lines": 0, "truncated": False, "by_reason": {}}
    document = parsed(statement.policy_version)
    period = explanation["period"]
    customers = [statement.customer_id]
    if explanation.get("pool"):
        codes = [m["customer"] for m in explanation["pool"]["members"]]
        customers = list(Customer.objects.filter(code__in=codes).values_list("id", flat=True))
    products = catalog_facts()
    scope = {pid: product_in_scope(document, facts) for pid, facts in products.items()}
    lines = (
        SalesLine.objects.filter(
            customer_id__in=customers, basis_date__gte=period["counted_from"], basis_date__lte=period["counted_until"],
            document__recorded_at__lte=statement.created_at,
        )
        .select_related("document", "product", "customer")
        .order_by("basis_date", "document__number", "line_number")
    )
    listed: list[dict[str, Any]] = []
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"lines": 0, "amount_minor": 0})
    for line in lines.iterator(chunk_size=2000):
        counted, reason = scope.get(line.product_id, (False, "unknown product"))
        bucket = totals["counted" if counted else reason]
        bucket["lines"] += 1
        bucket["amount_minor"] += line.net_amount_minor
        if len(listed) < limit:
            listed.append({
                "document": line.document.number, "kind": line.document.kind, "date": line.document.document_date,
                "basis_date": line.basis_date, "customer": line.customer.code, "line": line.line_number,
                "sku": line.product.sku, "quantity": str(Decimal(line.quantity_milli) / THOUSAND),
                "net_amount_minor": line.net_amount_minor, "counted": counted, "reason": reason,
            })
    count = sum(t["lines"] for t in totals.values())
    return {"lines": listed, "total_lines": count, "truncated": count > len(listed), "by_reason": dict(totals)}


def reconcile(*, policy_codes: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Recompute every settled figure from raw sales and compare with the statements.

    A difference with documents recorded after the last statement is a pending adjustment
    (the next settlement run issues it); a difference without is drift and needs a look.
    """
    from fanli.sales.models import SalesDocument

    from .models import Statement

    statements = Statement.objects.select_related("policy_version", "policy", "customer").order_by("id")
    if policy_codes:
        statements = statements.filter(policy__code__in=list(policy_codes))
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for statement in statements:
        groups[(statement.policy_id, statement.period_key)].append(statement)
    items = []
    include: dict[int, set[int]] = defaultdict(set)
    for group in groups.values():
        first = group[0]
        document = parsed(first.policy_version)
        items.append(PolicyPeriod(first.policy_version, document, parse_period(first.period_key),
                                  max(s.as_of for s in group)))
        include[first.policy_version_id] |= {s.customer_id for s in group}
    recomputed = {(c.item.version.policy_id, c.item.period.key, c.customer_id): c.amount_minor
                  for c in compute_results(items, include_customers=include)}
    settled: dict[tuple[int, str, int], list[Any]] = defaultdict(list)
    for group in groups.values():
        for statement in group:
            settled[(statement.policy_id, statement.period_key, statement.customer_id)].append(statement)
    rows = []
    for key in sorted(set(settled) | {k for k in recomputed if (k[0], k[1]) in groups}):
        history = settled.get(key, [])
        # manual adjustments (agreed in a dispute) are outside what the rules compute
        settled_minor = sum(s.amount_minor for s in history if s.kind != "manual")
        now = recomputed.get(key, 0)
        if now == settled_minor:
            continue
        policy_id, period_key, customer_id = key
        sample = history[-1] if history else groups[(policy_id, period_key)][0]
        late = 0
        if history:
            late = SalesDocument.objects.filter(
                customer_id=customer_id, basis_date__gte=sample.period_start, basis_date__lte=sample.period_end,
                recorded_at__gt=history[-1].created_at,
            ).count()
        rows.append({
            "policy": sample.policy.code, "period": period_key,
            "customer": history[-1].customer.code if history else Customer.objects.get(pk=customer_id).code,
            "settled_minor": settled_minor, "recomputed_minor": now, "difference_minor": now - settled_minor,
            "late_documents": late,
            "status": "pending adjustment" if late or not history else "drift",
        })
    return rows


UNPAID = ("draft", "approved", "disputed")


def statements_issued() -> Any:
    """A filter for statements issued to their customer: approved (whatever happened since: paid,
    disputed), and manual adjustments, which exist only once a second person approved them in the
    customer's dispute. Drafts, and drafts disputed inside the company, are not shown to customers."""
    from django.db.models import Q

    from .models import Statement

    return Q(approved_on__isnull=False) | Q(kind=Statement.Kind.MANUAL)


def statements_overdue(today: date) -> Any:
    """A filter for statements not paid by their due date (payout deadline passed)."""
    from django.db.models import Q

    return Q(state__in=UNPAID, due_date__lt=today)


def statement_figures(today: date, *, customers: Any = None) -> dict[str, int]:
    """Counts and sums for the dashboard: drafts to review, approved to pay, overdue; over
    ``customers`` (a queryset) when given, else every customer."""
    from django.db.models import Count, Sum

    from .models import Statement

    statements = Statement.objects.all() if customers is None else Statement.objects.filter(customer__in=customers)

    def figures(**filters: Any) -> tuple[int, int]:
        row = statements.filter(**filters).aggregate(n=Count("id"), total=Sum("amount_minor"))
        return row["n"] or 0, row["total"] or 0

    drafts, drafts_minor = figures(state="draft")
    approved, approved_minor = figures(state="approved")
    disputed, disputed_minor = figures(state="disputed")
    overdue = statements.filter(statements_overdue(today))
    overdue_row = overdue.aggregate(n=Count("id"), total=Sum("amount_minor"))
    return {
        "draft": drafts, "draft_minor": drafts_minor, "approved": approved, "approved_minor": approved_minor,
        "disputed": disputed, "disputed_minor": disputed_minor,
        "overdue": overdue_row["n"] or 0, "overdue_minor": overdue_row["total"] or 0,
    }

