"""Rebate writes: policies, enrolments, accrual and settlement runs, statement lifecycle.

Settlement in one paragraph. ``settlement_run`` takes a period key. For every published policy
whose settlement period (or interim period) has that kind, it computes the period, and it checks
every earlier period of the policy that was already settled, so late invoices and returns become
*adjustments* (true-ups or clawbacks) instead of edits. Before computing, it locks one
``SettlementLock`` row per (policy, period) in id order, so two runs started at once queue behind
each other and the second finds nothing new. Each lock row keeps the stamp of the period's last
computation (``rechecks``): a period, the run's own included, is recomputed only when a revision
counter that feeds it, its version or its cut-off moved since. A statement is written only where
the rebate earned differs from what earlier statements of that customer, policy and period
already settled; its amount is the difference. The ledger then releases the accrued estimate and
books the payable, each entry keyed by the statement so it is posted once.

Accruals estimate the liability of the current period at the run rate so far; each month's run
posts only the change against what is already accrued and not yet settled.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from fanli.accounts.controls import require
from fanli.accounts.selectors import customers_for
from fanli.catalog.models import Product
from fanli.common.bulk import ids_reserve, rows_insert
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.periods import Period, PeriodKind, parse_period, period_containing
from fanli.common.revisions import enrolments_key, revisions_bump, revisions_read
from fanli.common.services import audit_record, canonical_json, sha256_text
from fanli.common.versions import SUBMITTED, version_publish, version_reject, version_store, version_submit
from fanli.customers.models import Customer, NoticeKind
from fanli.ledger.models import Account, EntryKind
from fanli.ledger.selectors import accrued_by_customer
from fanli.ledger.services import Posting, entries_post
from fanli.notices.services import notice_raise

from . import rechecks
from .agreements import agreement_notices
from .disputes import dispute_close_for_statement, dispute_open
from .document import (
    FlatRate,
    PolicyDocument,
    TargetBonus,
    Tier,
    Tiers,
    document_to_json,
    load_policy_text,
    parse_policy_document,
)
from .explain import build_explanation, explanation_frame
from .models import Enrolment, Policy, PolicyVersion, Run, SettlementLock, Statement
from .selectors import Computed, PolicyPeriod, compute_results, parsed

# ---------------------------------------------------------------- policies and enrolments


@dataclass(frozen=True)
class PolicyApplied:
    version: PolicyVersion
    created: bool


def policy_apply(*, text: str, actor: Any, publish: bool = True) -> PolicyApplied:
    """Validate a YAML/JSON policy document and store it as a new version.

    Applying the same document again changes nothing. Publishing retires the version in force;
    published versions are never edited, and statements keep pointing at the version they used.
    Under four eyes a person's ``publish`` submits the version instead: another person with the
    ``publish`` right puts it in force (``policy_version_publish``).
    """
    require(actor, "policies")
    document = load_policy_text(text)
    _check_references(document)
    with transaction.atomic():
        policy, _ = Policy.objects.get_or_create(code=document.code, defaults={"name": document.name})
        version, created = version_store(versions=PolicyVersion, parent=policy, parent_field="policy",
                                         body=document_to_json(document), name=document.name, actor=actor,
                                         publish=publish, audit_prefix="policy")
        if created and version.status == PolicyVersion.Status.PUBLISHED:
            agreement_notices(version, timezone.localdate())
        return PolicyApplied(version, created=created)


def _versioned(version: PolicyVersion) -> dict[str, Any]:
    return {"versions": PolicyVersion, "parent": version.policy, "parent_field": "policy", "version": version,
            "audit_prefix": "policy"}


def _version_for_update(version_id: int) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().select_related("policy").filter(pk=version_id).first()
    if version is None:
        raise NotFound(f"no policy version {version_id}")
    return version


def policy_draft_save(*, data: dict[str, Any], actor: Any, policy_code: str | None = None) -> PolicyVersion:
    """Save a document from the policy editor as the policy's working draft.

    ``policy_code`` is the policy being edited (None for a new one): its code cannot change, and
    a new policy cannot take an existing code. The draft is one version, updated in place until
    it is published; a document equal to the latest version saves nothing. Changing a submitted
    version takes it back to draft (it must be submitted again).
    """
    require(actor, "policies")
    document = parse_policy_document(data)
    _check_references(document)
    taken = Policy.objects.filter(code=document.code).exists()
    if policy_code is not None and document.code != policy_code:
        raise ValidationFailed("the code of a policy cannot change",
                               details={"errors": [{"path": "code", "message": f"must stay {policy_code}"}]})
    if policy_code is None and taken:
        raise ValidationFailed(f"a policy with code {document.code} exists already", details={"errors": [
            {"path": "code", "message": "already used by another policy; edit that policy or choose another code"}]})
    body = document_to_json(document)
    digest = sha256_text(canonical_json(body))
    with transaction.atomic():
        policy, _ = Policy.objects.get_or_create(code=document.code, defaults={"name": document.name})
        Policy.objects.select_for_update().filter(pk=policy.pk).first()
        latest = policy.versions.order_by("-number").first()
        if latest is not None and latest.document_sha256 == digest:
            return latest
        withdrawn = latest is not None and latest.status == SUBMITTED
        if latest is not None and latest.status in (PolicyVersion.Status.DRAFT, SUBMITTED):
            PolicyVersion.objects.filter(pk=latest.pk).update(document=body, document_sha256=digest,
                                                              status=PolicyVersion.Status.DRAFT, submitted_by=None,
                                                              submitted_at=None)
            latest.refresh_from_db()
            version, action = latest, "policy.draft_update"
        else:
            version = PolicyVersion.objects.create(
                policy=policy, number=(latest.number + 1) if latest else 1, document=body, document_sha256=digest,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            action = "policy.version_create"
        if policy.name != document.name:
            Policy.objects.filter(pk=policy.pk).update(name=document.name)
        audit_record(actor=actor, action=action, object_type="policy_version", object_id=version.pk,
                     data={"policy": policy.code, "number": version.number, "sha256": digest, "published": False,
                           **({"withdrawn": True} if withdrawn else {})})
        return version


def policy_version_submit(*, version_id: int, actor: Any) -> PolicyVersion:
    """The author hands a draft over for approval; it cannot change until it is decided."""
    require(actor, "policies")
    with transaction.atomic():
        version = _version_for_update(version_id)
        _check_references(parsed(version))
        version_submit(**_versioned(version), actor=actor)
        return version


def policy_version_publish(*, version_id: int, actor: Any) -> PolicyVersion:
    """Publish a version: it becomes the version in force and the one it replaces is retired.

    Under four eyes only a submitted version is published, by a person with the ``publish`` right
    who neither wrote nor submitted it.
    """
    with transaction.atomic():
        version = _version_for_update(version_id)
        _check_references(parsed(version))
        version_publish(**_versioned(version), actor=actor)
        version.refresh_from_db()
        agreement_notices(version, timezone.localdate())
        return version


def policy_version_reject(*, version_id: int, actor: Any, note: str) -> PolicyVersion:
    """Send a submitted version back to its author as a draft, with the reason."""
    if not note.strip():
        raise ValidationFailed("say why the version is rejected",
                               details={"errors": [{"path": "note", "message": "empty"}]})
    with transaction.atomic():
        version = _version_for_update(version_id)
        version_reject(**_versioned(version), actor=actor, note=note.strip())
        return version


def _check_references(document: PolicyDocument) -> None:
    """Codes the document names must exist, so a typo is an error now, not a silent zero later."""
    errors = []
    if document.payout.goods_sku and not Product.objects.filter(sku=document.payout.goods_sku).exists():
        errors.append({"path": "payout.goods_sku", "message": f"no product with SKU {document.payout.goods_sku}"})
    programme = document.payout.points_programme
    if programme:
        from fanli.loyalty.models import Programme

        if not Programme.objects.filter(code=programme).exists():
            errors.append({"path": "payout.points_programme", "message": f"no loyalty programme {programme}"})
    published = {
        v.policy.code: parsed(v).stacks_after
        for v in PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).select_related("policy")
    }
    published[document.code] = document.stacks_after
    for index, code in enumerate(document.stacks_after):
        if code not in published:
            errors.append({"path": f"stacks_after.{index}", "message": f"no published policy {code}"})
            continue
        trail, todo = [document.code, code], list(published.get(code, []))
        while todo:
            step = todo.pop()
            if step == document.code:
                errors.append({"path": f"stacks_after.{index}",
                               "message": f"policies would stack in a circle through {code}"})
                break
            if step not in trail:
                trail.append(step)
                todo += published.get(step, [])
    if errors:
        raise ValidationFailed(f"the policy document has {len(errors)} error(s)", details={"errors": errors})


OVERRIDE_KEYS = {"tiers", "rate_percent", "target", "bonus"}


def enrolment_set(
    *,
    policy_code: str,
    customer_code: str,
    actor: Any,
    valid_from: date | None = None,
    valid_until: date | None = None,
    overrides: dict[str, Any] | None = None,
) -> Enrolment:
    """Create or replace a customer's agreement (返利协议) under a policy."""
    require(actor, "policies")
    policy = Policy.objects.filter(code=policy_code).first()
    if policy is None:
        raise NotFound(f"no policy {policy_code}")
    customer = customers_for(actor).filter(code=customer_code).first()
    if customer is None:  # unknown, or another sales rep's: the same answer
        raise NotFound(f"no customer {customer_code}")
    overrides = _valid_overrides(policy, overrides or {})
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationFailed("valid_until must not be before valid_from",
                               details={"errors": [{"path": "valid_until", "message": "before valid_from"}]})
    with transaction.atomic():
        before = Enrolment.objects.filter(policy=policy, customer=customer).values_list(
            "valid_from", "valid_until", "overrides").first()
        enrolment, created = Enrolment.objects.update_or_create(
            policy=policy, customer=customer,
            defaults={"valid_from": valid_from, "valid_until": valid_until, "overrides": overrides},
        )
        if before != (valid_from, valid_until, overrides):
            revisions_bump([enrolments_key(policy.pk)])  # the policy's settled periods are rechecked
        audit_record(
            actor=actor, action="enrolment.set", object_type="enrolment", object_id=enrolment.pk,
            data={"policy": policy_code, "customer": customer_code, "created": created, "overrides": overrides,
                  "valid_from": str(valid_from or ""), "valid_until": str(valid_until or "")},
        )
    return enrolment


def _valid_overrides(policy: Policy, overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides must fit the policy's calculation: ``tiers`` for a tier table (same unit as the
    policy's tiers), ``rate_percent`` for a flat rate, ``target``/``bonus`` for a target bonus."""
    version = policy.versions.filter(status=PolicyVersion.Status.PUBLISHED).first()
    calculation = parsed(version).calculation if version is not None else None
    fits = {"tiers": Tiers, "rate_percent": FlatRate, "target": TargetBonus, "bonus": TargetBonus}
    errors = []
    for key in overrides:
        if key not in OVERRIDE_KEYS:
            errors.append({"path": f"overrides.{key}",
                           "message": f"cannot be overridden; use one of {', '.join(sorted(OVERRIDE_KEYS))}"})
        elif calculation is not None and not isinstance(calculation, fits[key]):
            errors.append({"path": f"overrides.{key}", "message": f"the policy's calculation is {calculation.type}"})
    clean = dict(overrides)
    checks: dict[str, Any] = {
        "rate_percent": TypeAdapter(Decimal),
        "target": TypeAdapter(Decimal),
        "bonus": TypeAdapter(Decimal),
    }
    for key, adapter in checks.items():
        if key in overrides and not any(e["path"] == f"overrides.{key}" for e in errors):
            try:
                value = adapter.validate_python(str(overrides[key]))
                if key == "rate_percent" and not 0 <= value <= 100:
                    raise ValueError("must be a percentage between 0 and 100")
                if value < 0 or (key == "target" and value == 0):
                    raise ValueError("must be positive")
                if key == "bonus" and value != value.quantize(Decimal("0.01")):
                    raise ValueError("has more than two decimal places")
                clean[key] = str(value)
            except (PydanticValidationError, ValueError) as exc:
                message = str(exc).splitlines()[-1].strip() if isinstance(exc, PydanticValidationError) else str(exc)
                errors.append({"path": f"overrides.{key}", "message": message})
    if "tiers" in overrides and isinstance(calculation, Tiers) and not errors:
        try:
            tiers = TypeAdapter(list[Tier]).validate_python(overrides["tiers"])
            Tiers(type="tiers", mode=calculation.mode, tiers=tiers)  # thresholds ascending, first at 0
            if (tiers[0].rate_percent is None) != (calculation.tiers[0].rate_percent is None):
                raise ValueError("use the same unit as the policy's tiers (rate_percent or amount_per_unit)")
            clean["tiers"] = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tiers]
        except PydanticValidationError as exc:
            errors += [{"path": "overrides.tiers." + ".".join(str(p) for p in e["loc"]),
                        "message": e["msg"].removeprefix("Value error, ")} for e in exc.errors(include_url=False)]
        except ValueError as exc:
            errors.append({"path": "overrides.tiers", "message": str(exc)})
    if errors:
        raise ValidationFailed(f"the enrolment has {len(errors)} error(s)", details={"errors": errors})
    return clean


# ---------------------------------------------------------------- runs: shared parts


def _period_or_error(key: str) -> Period:
    try:
        return parse_period(key)
    except ValueError:
        raise ValidationFailed(
            f"{key!r} is not a period: use 2026, 2026-H1, 2026-Q1 or 2026-03",
            details={"errors": [{"path": "period", "message": "unknown period key"}]},
        ) from None


def _published_versions(policy_codes: list[str] | None) -> list[PolicyVersion]:
    qs = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).select_related("policy")
    if policy_codes:
        qs = qs.filter(policy__code__in=policy_codes)
        missing = set(policy_codes) - set(qs.values_list("policy__code", flat=True))
        if missing:
            raise NotFound(f"no published policy {', '.join(sorted(missing))}")
    return list(qs.order_by("policy__code"))


def _overlaps(document: PolicyDocument, period: Period) -> bool:
    return document.valid_from <= period.end and (document.valid_until is None or document.valid_until >= period.start)


def _lock(keys: set[tuple[int, str]]) -> dict[tuple[int, str], SettlementLock]:
    """Lock one row per (policy, period) in id order; concurrent runs queue here. Answers the
    locked rows (with the stamp of each period's last computation) by key."""
    if not keys:
        return {}
    SettlementLock.objects.bulk_create([SettlementLock(policy_id=policy_id, period_key=period_key)
                                        for policy_id, period_key in sorted(keys)], ignore_conflicts=True)
    wanted = Q()
    for policy_id, period_key in keys:
        wanted |= Q(policy_id=policy_id, period_key=period_key)
    rows = SettlementLock.objects.select_for_update().filter(wanted).order_by("pk")
    return {(lock.policy_id, lock.period_key): lock for lock in rows}


@dataclass(frozen=True, slots=True)
class _Settled:
    """What an earlier statement settled; read as plain values, never as a model."""

    sequence: int
    kind: str
    as_of: date
    amount_minor: int


def _statement_history(keys: set[tuple[int, str]]) -> dict[tuple[int, str, int], list[_Settled]]:
    history: dict[tuple[int, str, int], list[_Settled]] = defaultdict(list)
    if not keys:
        return history
    rows = (
        Statement.objects.filter(policy_id__in={p for p, _ in keys}, period_key__in={k for _, k in keys})
        .order_by("sequence")
        .values_list("policy_id", "period_key", "customer_id", "sequence", "kind", "as_of", "amount_minor")
    )
    for policy_id, period_key, customer_id, sequence, kind, as_of, amount_minor in rows.iterator(chunk_size=5000):
        if (policy_id, period_key) in keys:
            history[(policy_id, period_key, customer_id)].append(_Settled(sequence, kind, as_of, amount_minor))
    return history


def _settled_by_rules(previous: list[_Settled]) -> int:
    """What earlier statements settled by recomputing the policy. Manual adjustments (a dispute's
    agreed settlement) are outside it: a recomputation never claws them back."""
    return sum(s.amount_minor for s in previous if s.kind != Statement.Kind.MANUAL)


def _pinned_versions(keys: set[tuple[int, str]]) -> dict[tuple[int, str], PolicyVersion]:
    """Each period keeps the version its first statement used (one indexed look-up per period)."""
    version_of = {}
    for policy_id, period_key in sorted(keys):
        first = (Statement.objects.filter(policy_id=policy_id, period_key=period_key, sequence=1).order_by()
                 .values_list("policy_version_id", flat=True)[:1])
        if first:
            version_of[(policy_id, period_key)] = first[0]
    versions = PolicyVersion.objects.select_related("policy").in_bulk(set(version_of.values()))
    return {key: versions[version_id] for key, version_id in version_of.items()}


# ---------------------------------------------------------------- settlement


@dataclass(frozen=True)
class _Planned:
    version: PolicyVersion
    document: PolicyDocument
    period: Period  # the policy's settlement period the statements belong to
    as_of: date  # sales counted up to here
    final: bool  # False for an interim (on-account) statement


Stage = Callable[[str], None]
SETTLEMENT_STAGES = (gettext_noop("planning"), gettext_noop("locking the periods"), gettext_noop("computing"),
                     gettext_noop("writing statements"), gettext_noop("posting the ledger"))
ACCRUAL_STAGES = (gettext_noop("planning"), gettext_noop("locking the periods"), gettext_noop("computing"),
                  gettext_noop("posting the ledger"))


def _no_stage(name: str) -> None:
    return None


def settlement_run(
    *, period_key: str, actor: Any, today: date | None = None, policy_codes: list[str] | None = None,
    stage: Stage = _no_stage,
) -> Run:
    """Settle ``period_key`` for every policy that settles (or pays on account) on that period.

    Earlier settled periods of those policies, and the run's own on a re-run, are recomputed only
    when something that feeds them changed since their last computation (``rechecks``); the
    summary lists each period rechecked with its reasons and each left alone as unchanged.
    ``stage`` is told each step as it starts (``SETTLEMENT_STAGES``), for a progress display.
    """
    require(actor, "settle")
    period = _period_or_error(period_key)
    today = today or timezone.localdate()
    if period.end >= today:
        raise StateError(
            f"period {period.key} ends on {period.end}: it can be settled from {period.end + timedelta(days=1)}",
            code="period_not_ended",
        )
    stage("planning")
    plans, skipped = _settlement_plan(period, _published_versions(policy_codes))
    # Earlier settled periods of these policies: candidates for true-ups and clawbacks.
    plans += _true_up_plans(plans)
    with transaction.atomic():
        stage("locking the periods")
        locks = _lock({(p.version.policy_id, p.period.key) for p in plans})  # all at once, in id order
        plans = _not_behind(plans, skipped, locks)
        checks = _rechecks(plans, locks)  # reads the revision counters before anything is computed
        run = Run.objects.create(kind=Run.Kind.SETTLEMENT, period_key=period.key, as_of=today,
                                 actor=actor if getattr(actor, "pk", None) else None)
        rechecked = [check.plan for check in checks if check.reasons]
        statements: list[_Written] = []
        if rechecked:
            statements = _settle(rechecked, run=run, run_period=period, today=today, actor=actor, stage=stage)
        _stamp([check for check in checks if check.reasons], locks, run=run)
        summary = _run_summary(statements, rechecked, skipped, checks)
        Run.objects.filter(pk=run.pk).update(summary=summary, finished_at=timezone.now())
        run.refresh_from_db()
        audit_record(actor=actor, action="settlement.run", object_type="run", object_id=run.pk, data=summary)
    return run


def _settlement_plan(period: Period, versions: list[PolicyVersion]) -> tuple[list[_Planned], list[dict[str, str]]]:
    plans: list[_Planned] = []
    skipped: list[dict[str, str]] = []
    for version in versions:
        document = parsed(version)
        settles_on = PeriodKind(document.settlement.period.value)
        interim = PeriodKind(document.settlement.interim.value) if document.settlement.interim else None
        if period.kind is settles_on:
            target, final = period, True
        elif period.kind is interim:
            target, final = period_containing(period.start, settles_on), period.end == period_containing(
                period.start, settles_on).end
        else:
            skipped.append({"policy": document.code, "reason": f"settles by {settles_on.value}, not {period.kind.value}"})
            continue
        if not _overlaps(document, period):
            skipped.append({"policy": document.code, "reason": f"not valid in {period.key}"})
            continue
        plans.append(_Planned(version, document, target, period.end, final))
    return plans, skipped


def _not_behind(plans: list[_Planned], skipped: list[dict[str, str]],
                locks: dict[tuple[int, str], SettlementLock]) -> list[_Planned]:
    """Drop interim plans older than what the period already settled on account: re-running Q1
    after Q2 was paid on account must not undo Q2 (late Q1 data goes into the next interim)."""
    kept = []
    for plan in plans:
        if not plan.final:
            key = (plan.version.policy_id, plan.period.key)
            latest = Statement.objects.filter(policy_id=key[0], period_key=key[1]).aggregate(
                latest=Max("as_of"))["latest"]
            stamped = locks[key].computed_as_of if key in locks else None
            latest = max(filter(None, (latest, stamped)), default=None)
            if latest is not None and latest > plan.as_of:
                skipped.append({"policy": plan.document.code,
                                "reason": f"{plan.period.key} already settled on account up to {latest}"})
                continue
        kept.append(plan)
    return kept


def _true_up_plans(plans: list[_Planned]) -> list[_Planned]:
    """The earlier periods of each planned policy that a final settlement computed before."""
    if not plans:
        return []
    settled: dict[int, list[str]] = defaultdict(list)
    for policy_id, key in SettlementLock.objects.filter(
            policy_id__in={p.version.policy_id for p in plans}, settled=True).values_list("policy_id", "period_key"):
        settled[policy_id].append(key)
    extra: list[_Planned] = []
    for plan in plans:
        for key in sorted(settled[plan.version.policy_id]):
            earlier = parse_period(key)
            if earlier.end < plan.period.start:
                extra.append(_Planned(plan.version, plan.document, earlier, earlier.end, True))
    return extra


@dataclass(frozen=True)
class _Check:
    plan: _Planned
    reasons: list[dict[str, Any]]  # empty: unchanged since its last computation, not recomputed
    revisions: dict[str, int]  # what feeds it, as read before computing


def _rechecks(plans: list[_Planned], locks: dict[tuple[int, str], SettlementLock]) -> list[_Check]:
    """Compare each planned period's stamp with the revision counters, read now (under the
    locks, before computing): a write committed after this read can only cause an unneeded
    recheck next time, never a missed one. Policies stacking on each other for a period are
    recomputed together, as one's figure reduces the other's basis."""
    stamps: dict[tuple[int, str], rechecks.Stamp] = {}
    computed_with: dict[tuple[int, str], tuple[PolicyVersion, PolicyDocument]] = {}
    feeds: dict[tuple[int, str], set[str]] = {}
    versions = PolicyVersion.objects.in_bulk({lock.computed_version_id for lock in locks.values()
                                               if lock.computed_version_id})
    for plan in plans:
        key = (plan.version.policy_id, plan.period.key)
        lock = locks[key]
        stamped = versions.get(lock.computed_version_id) if lock.computed_version_id else None
        stamps[key] = rechecks.Stamp(
            as_of=lock.computed_as_of, version_id=lock.computed_version_id,
            version_number=stamped.number if stamped else None, version_pinned=lock.version_pinned,
            settled=lock.settled, revisions=lock.computed_revisions or {},
        )
        # A period with statements keeps its version; one without takes the version in force.
        version = stamped if stamped is not None and lock.version_pinned else plan.version
        document = plan.document if version.pk == plan.version.pk else parsed(version)
        computed_with[key] = (version, document)
        feeds[key] = rechecks.feeds(document, plan.period, plan.as_of, policy_id=plan.version.policy_id)
    now = revisions_read(set().union(*feeds.values()) if feeds else set())
    codes = {enrolments_key(p.version.policy_id): p.document.code for p in plans}
    found: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for plan in plans:
        key = (plan.version.policy_id, plan.period.key)
        version, _document = computed_with[key]
        found[key] = rechecks.reasons(stamps[key], version_id=version.pk, version_number=version.number,
                                      as_of=plan.as_of, final=plan.final, keys=feeds[key], revisions=now,
                                      enrolment_codes=codes)
    policy_of = {p.document.code: p.version.policy_id for p in plans}
    spreading = True
    while spreading:  # stacking: policies stacked on each other are recomputed together
        spreading = False
        for plan in plans:
            key = (plan.version.policy_id, plan.period.key)
            for other_code in plan.document.stacks_after:
                other_key = (policy_of.get(other_code, 0), plan.period.key)
                if other_key not in found or bool(found[key]) == bool(found[other_key]):
                    continue
                if found[key]:
                    found[other_key] = [{"code": "stacked", "policy": plan.document.code}]
                else:
                    found[key] = [{"code": "stacked", "policy": other_code}]
                spreading = True
    return [_Check(plan, found[(plan.version.policy_id, plan.period.key)],
                   {k: now[k] for k in feeds[(plan.version.policy_id, plan.period.key)]}) for plan in plans]


def _stamp(checks: list[_Check], locks: dict[tuple[int, str], SettlementLock], *, run: Run) -> None:
    """Record on each recomputed period what its computation saw: the counters read before it,
    its cut-off, the version it used and whether statements now pin that version."""
    keys = {(c.plan.version.policy_id, c.plan.period.key) for c in checks}
    pinned = _pinned_versions(keys)
    for check in checks:
        key = (check.plan.version.policy_id, check.plan.period.key)
        lock = locks[key]
        version = pinned.get(key, check.plan.version)
        SettlementLock.objects.filter(pk=lock.pk).update(
            computed_as_of=check.plan.as_of, computed_version=version, version_pinned=key in pinned,
            computed_revisions=check.revisions, computed_run=run, settled=lock.settled or check.plan.final,
        )


def _settle(plans: list[_Planned], *, run: Run, run_period: Period, today: date, actor: Any,
            stage: Stage = _no_stage) -> list[_Written]:
    keys = {(p.version.policy_id, p.period.key) for p in plans}
    history = _statement_history(keys)
    pinned = _pinned_versions(keys)
    items: list[PolicyPeriod] = []
    include: dict[int, set[int]] = defaultdict(set)
    final: dict[tuple[int, str], bool] = {}
    for plan in plans:
        version = pinned.get((plan.version.policy_id, plan.period.key), plan.version)
        document = plan.document if version.pk == plan.version.pk else parsed(version)
        items.append(PolicyPeriod(version, document, plan.period, plan.as_of))
        final[(version.policy_id, plan.period.key)] = plan.final
    for policy_id, period_key, customer_id in history:
        pinned_version = pinned.get((policy_id, period_key))
        if pinned_version is not None:
            include[pinned_version.pk].add(customer_id)
    stage("computing")
    computed = compute_results(items, include_customers=include)
    stage("writing statements")
    codes = dict(Customer.objects.filter(id__in={c.customer_id for c in computed}).values_list("id", "code"))
    changed: list[tuple[Computed, list[_Settled]]] = []
    for result in computed:
        item = result.item
        previous = history.get((item.version.policy_id, item.period.key, result.customer_id), [])
        if result.amount_minor != _settled_by_rules(previous):
            changed.append((result, previous))
    written = _statements_write(changed, codes=codes, final=final, run=run, run_period=run_period)
    stage("posting the ledger")
    _post_settlement(written, today=today, actor=actor)
    _release_leftover_accruals(
        {key for key, is_final in final.items() if is_final}, {(s.policy_id, s.period_key, s.customer_id) for s in written},
        run=run, today=today, actor=actor,
    )
    return written


def _release_leftover_accruals(
    periods: set[tuple[int, str]], settled: set[tuple[int, str, int]], *, run: Run, today: date, actor: Any
) -> None:
    """A closed period owes nothing more than its statements: release estimates left for
    customers who ended up with no new statement (e.g. returns brought them to zero)."""
    postings = []
    for policy_id, period_key in sorted(periods):
        for customer_id, balance in accrued_by_customer(policy_id=policy_id, period_key=period_key).items():
            if balance and (policy_id, period_key, customer_id) not in settled:
                postings.append(Posting(
                    EntryKind.ACCRUAL_RELEASE, Account.ACCRUED_REBATES, Account.REBATE_EXPENSE, balance,
                    f"release:{policy_id}:{period_key}:{customer_id}:run{run.pk}", today, customer_id=customer_id,
                    policy_id=policy_id, period_key=period_key, reason="period closed: estimate not needed",
                ))
    entries_post(postings=postings, actor=actor)


@dataclass(frozen=True, slots=True)
class _Written:
    """A statement this run wrote, as its ledger postings and the run's summary need it."""

    pk: int
    customer_id: int
    policy_id: int
    period_key: str
    kind: str
    sequence: int
    amount_minor: int


_STATEMENT_FIELDS = (
    "id", "customer", "policy", "policy_version", "period_key", "period_start", "period_end", "as_of", "sequence",
    "kind", "currency", "basis_minor", "earned_minor", "previously_settled_minor", "amount_minor", "state", "due_date",
    "explanation", "run", "created_at",
)


def _statements_write(changed: list[tuple[Computed, list[_Settled]]], *, codes: dict[int, str],
                      final: dict[tuple[int, str], bool], run: Run, run_period: Period) -> list[_Written]:
    """Write one statement per changed result, set-wise: ids reserved first (the ledger entries
    point at them), each explanation serialised to JSON text once, the rows sent in one go."""
    ids = ids_reserve(Statement, len(changed))
    adapt_date = connection.ops.adapt_datefield_value
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    frames: dict[int, dict[str, Any]] = {}
    rows: list[tuple[Any, ...]] = []
    written: list[_Written] = []
    for pk, (result, previous) in zip(ids, changed, strict=True):
        item = result.item
        document = item.document
        frame = frames.get(id(item))
        if frame is None:
            frame = frames[id(item)] = explanation_frame(item)
        previously_settled = sum(s.amount_minor for s in previous)
        agreed = previously_settled - _settled_by_rules(previous)  # manual adjustments stay paid
        is_final = final[(item.version.policy_id, item.period.key)]
        if not is_final:
            kind = Statement.Kind.INTERIM.value
            due_from = item.as_of
        elif any(s.kind not in (Statement.Kind.INTERIM, Statement.Kind.MANUAL) for s in previous):
            kind = Statement.Kind.ADJUSTMENT.value
            due_from = run_period.end
        else:
            kind = Statement.Kind.SETTLEMENT.value
            due_from = item.period.end
        prior = [
            {"sequence": s.sequence, "kind": s.kind, "as_of": s.as_of.isoformat(), "amount_minor": s.amount_minor}
            for s in previous
        ]
        earned = result.amount_minor + agreed
        explanation = build_explanation(result, customer_code=codes[result.customer_id], previous=prior,
                                        earned_minor=earned, agreed_minor=agreed, frame=frame)
        sequence = len(previous) + 1
        rows.append((
            pk, result.customer_id, item.version.policy_id, item.version.pk, item.period.key,
            adapt_date(item.period.start), adapt_date(item.period.end), adapt_date(item.counted_until), sequence,
            kind, document.currency, int(result.basis.amount * 100), earned, previously_settled,
            earned - previously_settled, Statement.State.DRAFT.value,
            adapt_date(due_from + timedelta(days=document.settlement.due_days)), json.dumps(explanation), run.pk,
            created_at,
        ))
        written.append(_Written(pk, result.customer_id, item.version.policy_id, item.period.key, kind, sequence,
                                earned - previously_settled))
    if rows:
        rows_insert(Statement, _STATEMENT_FIELDS, rows)
    return written


def _post_settlement(statements: list[_Written], *, today: date, actor: Any) -> None:
    """Release what was accrued for the period, then book the statement's amount as payable."""
    postings: list[Posting] = []
    by_period: dict[tuple[int, str], list[_Written]] = defaultdict(list)
    for statement in statements:
        by_period[(statement.policy_id, statement.period_key)].append(statement)
    for (policy_id, period_key), group in by_period.items():
        accrued = accrued_by_customer(policy_id=policy_id, period_key=period_key,
                                      customer_ids={s.customer_id for s in group})
        for statement in group:  # positional: (kind, debit, credit, amount, key, day, customer, policy, period, statement)
            released = accrued.get(statement.customer_id, 0)
            if released:  # nothing accrued: no release entry (a zero posting writes nothing anyway)
                postings.append(Posting(
                    EntryKind.ACCRUAL_RELEASE, Account.ACCRUED_REBATES, Account.REBATE_EXPENSE, released,
                    f"statement:{statement.pk}:release", today, statement.customer_id, policy_id, period_key,
                    statement.pk, reason="accrual released at settlement",
                ))
            postings.append(Posting(
                EntryKind.SETTLEMENT, Account.REBATE_EXPENSE, Account.REBATES_PAYABLE, statement.amount_minor,
                f"statement:{statement.pk}:settle", today, statement.customer_id, policy_id, period_key, statement.pk,
                reason=f"{statement.kind} #{statement.sequence}",
            ))
    entries_post(postings=postings, actor=actor)


def _run_summary(statements: list[_Written], plans: list[_Planned], skipped: list[dict[str, str]],
                 checks: list[_Check]) -> dict[str, Any]:
    per_policy: dict[str, dict[str, int]] = {}
    codes = {p.version.policy_id: p.document.code for p in plans}
    for statement in statements:
        row = per_policy.setdefault(codes[statement.policy_id], defaultdict(int))  # type: ignore[arg-type]
        row[statement.kind] += 1
        row["amount_minor"] += statement.amount_minor
    ordered = sorted(checks, key=lambda c: (c.plan.document.code, c.plan.period.start))
    return {
        "periods": sorted({f"{p.document.code} {p.period.key}" for p in plans}),
        "statements": len(statements),
        "amount_minor": sum(s.amount_minor for s in statements),
        "by_policy": {code: dict(row) for code, row in sorted(per_policy.items())},
        "skipped": skipped,
        "rechecked": [{"policy": c.plan.document.code, "period": c.plan.period.key, "reasons": c.reasons}
                      for c in ordered if c.reasons],
        "unchanged": [{"policy": c.plan.document.code, "period": c.plan.period.key} for c in ordered if not c.reasons],
    }


# ---------------------------------------------------------------- accrual


def accrual_run(*, month_key: str, actor: Any, today: date | None = None, policy_codes: list[str] | None = None,
                stage: Stage = _no_stage) -> Run:
    """Post, per customer and policy, the change in the estimated liability at the month's end.

    Estimate = the period's rebate projected at the run rate so far, less what statements
    already settled for it; never below zero. Only the difference to the accrued balance is
    posted, so running the month again posts nothing unless the data changed.
    """
    require(actor, "settle")
    month = _period_or_error(month_key)
    if month.kind is not PeriodKind.MONTH:
        raise ValidationFailed("accruals run per month, e.g. 2026-03",
                               details={"errors": [{"path": "month", "message": "not a month"}]})
    today = today or timezone.localdate()
    if month.end >= today:
        raise StateError(f"month {month.key} ends on {month.end}: accrue it from {month.end + timedelta(days=1)}",
                         code="period_not_ended")
    stage("planning")
    items: list[PolicyPeriod] = []
    for version in _published_versions(policy_codes):
        document = parsed(version)
        period = period_containing(month.end, PeriodKind(document.settlement.period.value))
        if _overlaps(document, month):
            items.append(PolicyPeriod(version, document, period, month.end))
    with transaction.atomic():
        stage("locking the periods")
        keys = {(i.version.policy_id, i.period.key) for i in items}
        _lock(keys)
        pinned = _pinned_versions(keys)  # a period keeps the version its statements used
        items = [
            PolicyPeriod(pinned[key], parsed(pinned[key]), i.period, i.as_of)
            if (key := (i.version.policy_id, i.period.key)) in pinned else i
            for i in items
        ]
        run = Run.objects.create(kind=Run.Kind.ACCRUAL, period_key=month.key, as_of=today,
                                 actor=actor if getattr(actor, "pk", None) else None)
        history = _statement_history(keys)
        accrued = {
            (i.version.policy_id, i.period.key): accrued_by_customer(policy_id=i.version.policy_id, period_key=i.period.key)
            for i in items
        }
        include: dict[int, set[int]] = defaultdict(set)
        for item in items:
            include[item.version.pk] |= set(accrued[(item.version.policy_id, item.period.key)])
        stage("computing")
        computed = compute_results(items, include_customers=include, projected=True)
        postings = []
        seen: set[tuple[int, str, int]] = set()
        for result in computed:
            key = (result.item.version.policy_id, result.item.period.key)
            seen.add((*key, result.customer_id))
            settled = _settled_by_rules(history.get((*key, result.customer_id), []))
            target = max(result.amount_minor - settled, 0)
            postings.append(_accrual_posting(key, result.customer_id, target, accrued[key].get(result.customer_id, 0),
                                             month))
        for key, balances in accrued.items():  # customers no longer eligible: release to zero
            for customer_id, balance in balances.items():
                if (*key, customer_id) not in seen:
                    postings.append(_accrual_posting(key, customer_id, 0, balance, month))
        stage("posting the ledger")
        entries = entries_post(postings=[p for p in postings if p.amount_minor], actor=actor)
        summary = {
            "month": month.key,
            "policies": sorted({i.document.code for i in items}),
            "entries": len(entries),
            "change_minor": sum(p.amount_minor for p in postings),
            "estimated_outstanding_minor": sum(
                max(r.amount_minor - _settled_by_rules(history.get(
                    (r.item.version.policy_id, r.item.period.key, r.customer_id), [])), 0) for r in computed
            ),
        }
        Run.objects.filter(pk=run.pk).update(summary=summary, finished_at=timezone.now())
        run.refresh_from_db()
        audit_record(actor=actor, action="accrual.run", object_type="run", object_id=run.pk, data=summary)
    return run


def _accrual_posting(key: tuple[int, str], customer_id: int, target: int, balance: int, month: Period) -> Posting:
    policy_id, period_key = key
    return Posting(
        EntryKind.ACCRUAL, Account.REBATE_EXPENSE, Account.ACCRUED_REBATES, target - balance,
        f"accrual:{policy_id}:{period_key}:{customer_id}:{month.key}:{balance}", month.end,
        customer_id=customer_id, policy_id=policy_id, period_key=period_key,
        reason=f"estimate at {month.end}: {target} accrued, was {balance}",
    )


# ---------------------------------------------------------------- statement lifecycle


def _statement_for_update(statement_id: int) -> Statement:
    statement = Statement.objects.select_for_update().filter(pk=statement_id).first()
    if statement is None:
        raise NotFound(f"no statement {statement_id}")
    return statement


def _move(statement_id: int, *, allowed: set[str], to: str, actor: Any, action: str, data: dict | None = None) -> Statement:
    with transaction.atomic():
        statement = _statement_for_update(statement_id)
        if statement.state not in allowed:
            raise StateError(
                f"statement {statement_id} is {statement.state}; {action} needs {' or '.join(sorted(allowed))}",
                details={"state": statement.state},
            )
        Statement.objects.filter(pk=statement.pk).update(state=to)
        audit_record(actor=actor, action=f"statement.{action}", object_type="statement", object_id=statement.pk,
                     data={"from": statement.state, "to": to, **(data or {})})
        statement.state = to
        return statement


def statement_approve(*, statement_id: int, actor: Any, on: date | None = None, today: date | None = None
                      ) -> Statement:
    """Approve a draft statement for payment. ``on`` is the business date of the approval: today
    unless given, after the statement's period and not after ``today``; no payout may be dated
    before it. Under four eyes the person who approves may not pay it (``payout_record`` checks)."""
    require(actor, "approve")
    today = today or timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationFailed(f"an approval cannot be dated {on}, after today ({today})",
                               details={"errors": [{"path": "on", "message": f"on or before {today}"}]})
    draft = Statement.objects.filter(pk=statement_id).only("period_key", "period_end", "as_of").first()
    if draft is not None and on <= draft.counted_through:
        raise ValidationFailed(f"an approval of statement {statement_id} cannot be dated {on}: "
                               f"{draft.counted_through_text()}",
                               details={"errors": [{"path": "on", "message": f"after {draft.counted_through}"}]})
    with transaction.atomic():
        statement = _move(statement_id, allowed={Statement.State.DRAFT}, to=Statement.State.APPROVED, actor=actor,
                          action="approve", data={"on": on.isoformat()})
        approver = actor if getattr(actor, "pk", None) else None
        Statement.objects.filter(pk=statement.pk).update(approved_by=approver, approved_on=on)
        statement.approved_by, statement.approved_on = approver, on
        statement_issued_notice(statement)
        return statement


def statement_issued_notice(statement: Statement) -> None:
    """Tell the customer's contacts who take statement notices (once per statement), with the
    statement's PDF; called where a statement becomes visible to its customer."""
    notice_raise(customer_id=statement.customer_id, kind=NoticeKind.STATEMENT, key=f"statement:{statement.pk}",
                 attachment=f"statement_pdf:{statement.pk}", params={
                     "statement": statement.pk, "policy_name": statement.policy.name,
                     "period_key": statement.period_key, "amount_minor": statement.amount_minor,
                     "earned_minor": statement.earned_minor, "currency": statement.currency,
                     "due_date": statement.due_date.isoformat()})


def statement_dispute(*, statement_id: int, reason: str, actor: Any) -> Statement:
    _require_dispute_right(actor, statement_id)
    if not reason.strip():
        raise ValidationFailed("a dispute needs a reason", details={"errors": [{"path": "reason", "message": "empty"}]})
    with transaction.atomic():
        statement = _move(statement_id, allowed={Statement.State.DRAFT, Statement.State.APPROVED},
                          to=Statement.State.DISPUTED, actor=actor, action="dispute", data={"reason": reason})
        dispute_open(statement=statement, reason=reason.strip(), actor=actor)
        return statement


def _require_dispute_right(actor: Any, statement_id: int) -> None:
    """Staff with the ``dispute`` right, or the customer's own portal login for its statements."""
    from fanli.accounts.controls import is_person
    from fanli.accounts.selectors import can, portal_customer, portal_customers

    if not is_person(actor) or can(actor, "dispute"):
        return
    customer = portal_customer(actor)
    if customer is None or not Statement.objects.filter(
            pk=statement_id, customer__in=portal_customers(customer)).exists():
        require(actor, "dispute")  # refuses with the permission named


def statement_resolve(*, statement_id: int, resolution: str, actor: Any) -> Statement:
    """Close a dispute with the figure confirmed: the statement goes back to approved.

    A dispute that shows wrong data is fixed by correcting the data; the next settlement
    run then issues the adjustment. The statement itself never changes.
    """
    require(actor, "dispute")
    if not resolution.strip():
        raise ValidationFailed("say how the dispute was resolved",
                               details={"errors": [{"path": "resolution", "message": "empty"}]})
    with transaction.atomic():
        statement = _move(statement_id, allowed={Statement.State.DISPUTED}, to=Statement.State.APPROVED, actor=actor,
                          action="resolve", data={"resolution": resolution})
        dispute_close_for_statement(statement_id=statement.pk, resolution=resolution.strip(), actor=actor)
        return statement
