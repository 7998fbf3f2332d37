"""Which periods a settlement run recomputes, and why. Pure Python over the stored stamps.

A settlement run recomputes a period (an earlier settled one, or its own on a re-run) only when
something that feeds it changed since its last computation. What feeds a period is read off the
policy document it is computed with (``feeds``): the sales of the months its counted range
covers (last year's too for growth; the paid amounts too for a paid basis), the customer facts
its eligibility reads (status always; the parent when it pools), the catalog facts its scope
reads, and its enrolments. Each is a revision counter (``fanli.common.revisions``); the lock row
of the period (``SettlementLock``) keeps the counters, the version and the cut-off of its last
computation (the *stamp*). ``reasons`` compares a stamp with now and answers why the period must
be recomputed, or nothing when it is unchanged. Reasons are stored as data (a code and its
figures) and put into words by ``reason_text`` in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from fanli.common.periods import Period
from fanli.common.revisions import catalog_key, customer_key, enrolments_key, months_between

from .document import BasisSource, Metric, PolicyDocument


def _years_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def counted_range(document: PolicyDocument, period: Period, as_of: date) -> tuple[date, date]:
    """The dates whose sales a computation of ``period`` counts (as ``PolicyPeriod`` does)."""
    start = max(period.start, document.valid_from)
    end = min(as_of, period.end)
    if document.valid_until is not None:
        end = min(end, document.valid_until)
    return start, end


def feeds(document: PolicyDocument, period: Period, as_of: date, *, policy_id: int) -> set[str]:
    """The revision keys whose change can change this period's figures."""
    start, end = counted_range(document, period, as_of)
    months: list[str] = []
    if start <= end:
        months = months_between(start, end)
        if document.metric is Metric.GROWTH:
            months += months_between(_years_earlier(start), _years_earlier(end))
    keys = {f"sales:{month}" for month in months}
    if document.basis_source is BasisSource.PAID:
        keys |= {f"paid:{month}" for month in months}
    rules = document.eligibility
    facts = {"status"}  # an inactive customer is never eligible
    for fact, rule in (("kind", rules.kinds), ("grade", rules.grades), ("region", rules.regions),
                       ("tags", rules.tags_any), ("abc", rules.abc_classes), ("lifecycle", rules.lifecycle_stages),
                       ("relationship", rules.relationships), ("start_date", rules.min_tenure_days),
                       ("parent", document.pooling == "parent")):
        if rule:
            facts.add(fact)
    keys |= {customer_key(fact) for fact in facts}
    scope = document.scope
    if scope.include.categories or scope.exclude.categories:
        keys.add(catalog_key("category"))
    if scope.include.brands or scope.exclude.brands:
        keys.add(catalog_key("brand"))
    keys.add(enrolments_key(policy_id))
    return keys


@dataclass(frozen=True)
class Stamp:
    """What the last computation of a (policy, period) saw."""

    as_of: date | None  # None: never computed since stamps were kept
    version_id: int | None
    version_number: int | None
    version_pinned: bool  # the period has statements, so it keeps that version
    settled: bool  # a final settlement computed it
    revisions: Mapping[str, int]


def reasons(stamp: Stamp, *, version_id: int, version_number: int, as_of: date, final: bool, keys: set[str],
            revisions: Mapping[str, int], enrolment_codes: Mapping[str, str]) -> list[dict[str, Any]]:
    """Why the period must be recomputed; empty when nothing that feeds it changed.

    ``version_id``/``version_number``: the version it would be computed with now (its pinned one
    if it has statements); ``keys``: what feeds it with that version; ``revisions``: the counters
    read now, before computing; ``enrolment_codes``: policy code by enrolment key, for the words.
    """
    if stamp.as_of is None:  # settled before stamps were kept, or never computed
        return [{"code": "unrecorded" if stamp.settled else "first"}]
    found: list[dict[str, Any]] = []
    if stamp.version_id != version_id:
        found.append({"code": "version", "from": stamp.version_number, "to": version_number})
    if stamp.as_of != as_of:
        found.append({"code": "as_of", "from": stamp.as_of.isoformat(), "to": as_of.isoformat()})
    elif final and not stamp.settled:
        found.append({"code": "closing"})
    # A key the stamp lacks is new to a computation with another version or cut-off (said above);
    # otherwise (what feeds a period was widened since) it counts as changed.
    renewed = any(reason["code"] in ("version", "as_of") for reason in found)
    changed = sorted(key for key in keys if (key in stamp.revisions and revisions.get(key, 0) != stamp.revisions[key])
                     or (key not in stamp.revisions and not renewed))
    by_kind: dict[str, list[str]] = {}
    for key in changed:
        kind, _colon, name = key.partition(":")
        by_kind.setdefault(kind, []).append(enrolment_codes.get(key, name) if kind == "enrolments" else name)
    for kind, code in (("sales", "sales"), ("paid", "payments"), ("customer", "customers"), ("catalog", "catalog"),
                       ("enrolments", "enrolments")):
        if kind in by_kind:
            field = "months" if kind in ("sales", "paid") else "facts" if kind in ("customer", "catalog") else "policies"
            found.append({"code": code, field: by_kind[kind]})
    return found


def reason_text(reason: Mapping[str, Any]) -> str:
    """One reason in the reader's language."""
    code = reason.get("code")
    if code == "first":
        return _("first computation of the period")
    if code == "unrecorded":
        return _("no record of an earlier computation")
    if code == "version":
        return _("computed with version %(to)s now (was version %(from)s)") % reason
    if code == "as_of":
        return _("counts sales up to %(to)s now (was %(from)s)") % reason
    if code == "closing":
        return _("the final settlement of a period settled on account")
    if code == "sales":
        return _("sales dated in %(months)s changed") % {"months": ", ".join(reason["months"])}
    if code == "payments":
        return _("payments on sales dated in %(months)s changed") % {"months": ", ".join(reason["months"])}
    if code == "customers":
        return _("customers' %(facts)s changed") % {"facts": ", ".join(_fact(f) for f in reason["facts"])}
    if code == "catalog":
        return _("products' %(facts)s changed") % {"facts": ", ".join(_fact(f) for f in reason["facts"])}
    if code == "enrolments":
        return _("enrolments of %(policies)s changed") % {"policies": ", ".join(reason["policies"])}
    if code == "stacked":
        return _("recomputed with %(policy)s: one of them stacks after the other") % reason
    return str(code)


def reasons_text(found: list[Mapping[str, Any]]) -> str:
    return "; ".join(reason_text(reason) for reason in found)


def _fact(name: str) -> str:
    words = {
        "status": _("status"), "kind": _("kind"), "grade": _("grade"), "region": _("region"), "tags": _("tags"),
        "start_date": _("start date"), "parent": _("parent"), "relationship": _("relationship"),
        "abc": _("ABC class"), "lifecycle": _("lifecycle stage"), "category": _("category"), "brand": _("brand"),
    }
    return words.get(name, name)
