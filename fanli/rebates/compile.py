"""From a validated policy document to what the engine and the selectors need. Pure Python.

- ``terms_for``: the engine's ``Terms``, with a customer's enrolment overrides applied.
- ``product_in_scope``: include/exclude by category (sub-categories too), brand and SKU, with
  the reason a product is excluded, for explanations.
- ``customer_eligible``: kind, grade, region, tags, segments, tenure and enrolment, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from .document import Eligibility, FlatRate, PerUnit, PolicyDocument, Scope, TargetBonus, Tiers
from .engine import CampaignTerms, Terms, TierSpec


class Scoped(Protocol):
    """Any document with a product scope (rebate policies, discount rules)."""

    @property
    def scope(self) -> Scope: ...


class Restricted(Protocol):
    """Any document with customer eligibility rules (rebate policies, discount rules)."""

    @property
    def eligibility(self) -> Eligibility: ...


@dataclass(frozen=True, slots=True)
class ProductFacts:
    product_id: int
    sku: str
    category_codes: tuple[str, ...]  # the product's category and all its ancestors
    brand_code: str | None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    customer_id: int
    code: str
    kind: str
    grade_code: str | None
    region: str
    tags: tuple[str, ...]
    start_date: date
    parent_id: int | None
    status: str = "active"
    relationship: str = "transactional"
    abc: str = ""  # segments as last computed; empty before the first ``fanli segments``
    lifecycle: str = ""


def _tier_specs(raw: list[Any]) -> tuple[TierSpec, ...]:
    specs = []
    for tier in raw:
        get = tier.get if isinstance(tier, dict) else lambda k, t=tier: getattr(t, "from_" if k == "from" else k)
        rate = get("rate_percent")
        per_unit = get("amount_per_unit")
        specs.append(
            TierSpec(
                Decimal(str(get("from"))),
                None if rate is None else Decimal(str(rate)),
                None if per_unit is None else Decimal(str(per_unit)),
            )
        )
    return tuple(specs)


def terms_for(doc: PolicyDocument, overrides: dict[str, Any] | None = None) -> Terms:
    """The engine terms of ``doc``; an enrolment may override ``tiers``, ``rate_percent``,
    ``target`` and ``bonus`` (per-customer agreement terms)."""
    overrides = overrides or {}
    calc = doc.calculation
    common: dict[str, Any] = {
        "metric": doc.metric.value,
        "campaigns": tuple(
            CampaignTerms(c.name, c.from_, c.until, c.extra_rate_percent) for c in doc.campaigns
        ),
        "basis_cap": doc.caps.basis_cap,
        "rebate_cap": doc.caps.rebate_cap,
        "rebate_cap_percent": doc.caps.rebate_cap_percent,
        "minimum_payout": doc.caps.minimum_payout,
    }
    if doc.growth is not None:
        common["growth_applies_to"] = doc.growth.applies_to
        common["growth_no_prior_year"] = doc.growth.no_prior_year
    if isinstance(calc, FlatRate):
        rate = Decimal(str(overrides.get("rate_percent", calc.rate_percent)))
        return Terms(kind="flat_rate", rate_percent=rate, **common)
    if isinstance(calc, PerUnit):
        return Terms(kind="per_unit", amount_per_unit=calc.amount_per_unit, **common)
    if isinstance(calc, TargetBonus):
        return Terms(
            kind="target_bonus",
            target=Decimal(str(overrides.get("target", calc.target))),
            bonus=Decimal(str(overrides.get("bonus", calc.bonus))),
            **common,
        )
    assert isinstance(calc, Tiers)
    tiers = _tier_specs(overrides["tiers"]) if "tiers" in overrides else _tier_specs(list(calc.tiers))
    return Terms(kind="tiers", mode=overrides.get("mode", calc.mode.value), tiers=tiers, **common)


@dataclass(frozen=True, slots=True)
class ScopeSets:
    """A product scope as sets, for checking many products against one scope quickly."""

    include_skus: frozenset[str]
    include_brands: frozenset[str]
    include_categories: frozenset[str]
    exclude_skus: frozenset[str]
    exclude_brands: frozenset[str]
    exclude_categories: frozenset[str]

    @classmethod
    def of(cls, scope: Scope) -> ScopeSets:
        return cls(frozenset(scope.include.skus), frozenset(scope.include.brands), frozenset(scope.include.categories),
                   frozenset(scope.exclude.skus), frozenset(scope.exclude.brands), frozenset(scope.exclude.categories))

    def check(self, product: ProductFacts) -> tuple[bool, str]:
        """(counted?, reason). Exclusions win over inclusions."""
        if product.sku in self.exclude_skus:
            return False, f"SKU {product.sku} is excluded"
        if product.brand_code and product.brand_code in self.exclude_brands:
            return False, f"brand {product.brand_code} is excluded"
        for code in product.category_codes:
            if code in self.exclude_categories:
                return False, f"category {code} is excluded"
        if not (self.include_skus or self.include_brands or self.include_categories):
            return True, "all products count"
        if product.sku in self.include_skus:
            return True, f"SKU {product.sku} is included"
        if product.brand_code and product.brand_code in self.include_brands:
            return True, f"brand {product.brand_code} is included"
        for code in product.category_codes:
            if code in self.include_categories:
                return True, f"category {code} is included"
        return False, "not in the policy's product scope"


def product_in_scope(doc: Scoped, product: ProductFacts) -> tuple[bool, str]:
    """(counted?, reason). Exclusions win over inclusions."""
    return ScopeSets.of(doc.scope).check(product)


def customer_eligible(
    doc: Restricted, customer: CustomerFacts, *, period_end: date, enrolled: bool
) -> tuple[bool, str]:
    rules = doc.eligibility
    if customer.status != "active":
        return False, f"customer status is {customer.status}"
    if rules.enrolment_required and not enrolled:
        return False, "no enrolment (返利协议) under this policy"
    if rules.kinds and customer.kind not in rules.kinds:
        return False, f"kind {customer.kind} is not among {', '.join(rules.kinds)}"
    if rules.grades and customer.grade_code not in rules.grades:
        return False, f"grade {customer.grade_code or '-'} is not among {', '.join(rules.grades)}"
    if rules.regions and customer.region not in rules.regions:
        return False, f"region {customer.region or '-'} is not among {', '.join(rules.regions)}"
    if rules.tags_any and not set(rules.tags_any) & set(customer.tags):
        return False, f"none of the tags {', '.join(rules.tags_any)}"
    for name, allowed, value in (("ABC class", rules.abc_classes, customer.abc),
                                 ("lifecycle stage", rules.lifecycle_stages, customer.lifecycle),
                                 ("relationship", rules.relationships, customer.relationship)):
        if allowed and value not in allowed:
            return False, f"{name} {value or '-'} is not among {', '.join(allowed)}"
    if rules.min_tenure_days and customer.start_date > period_end - timedelta(days=rules.min_tenure_days):
        return False, f"customer since {customer.start_date}: less than {rules.min_tenure_days} days at period end"
    return True, "eligible"
