"""Agreements the customer sees and accepts (返利协议): each published policy that admits the
customer, its terms in plain words with the customer's own overrides, the customer's progress,
and the acceptance of the exact version in force, kept as evidence. A new version asks again.
Staff see, per version, who accepted and who has not yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from fanli.accounts.selectors import portal_customer, portal_customers
from fanli.common.exceptions import Forbidden, NotFound, StateError
from fanli.common.services import audit_record
from fanli.customers.models import Customer, NoticeKind
from fanli.notices.services import notices_raise

from .agreement_terms import Section, agreement_terms
from .compile import customer_eligible
from .models import AgreementAcceptance, Enrolment, PolicyVersion
from .selectors import PolicyPeriod, customer_facts, published_items


@dataclass(frozen=True)
class Agreement:
    item: PolicyPeriod
    overrides: dict[str, Any]
    acceptance: AgreementAcceptance | None  # of this exact version
    accepted_before: AgreementAcceptance | None  # of an earlier version, when this one is new to the customer

    @property
    def version(self) -> PolicyVersion:
        return self.item.version

    def terms(self) -> list[Section]:
        """In the active language (call it where the reader's language is active)."""
        return agreement_terms(self.item.document, self.overrides)


def customer_agreements(customer: Customer, day: date) -> list[Agreement]:
    """Each policy published and valid on ``day`` whose eligibility admits the customer, by name."""
    items = published_items(day)
    if not items:
        return []
    facts = customer_facts([customer.pk])[customer.pk]
    enrolments = {e.policy_id: e for e in Enrolment.objects.filter(customer=customer)}
    accepted: dict[int, list[AgreementAcceptance]] = {}
    for acceptance in (AgreementAcceptance.objects.filter(customer=customer).select_related("policy_version", "accepted_by")
                       .order_by("-policy_version__number")):
        accepted.setdefault(acceptance.policy_version.policy_id, []).append(acceptance)
    found = []
    for item in items:
        enrolment = enrolments.get(item.version.policy_id)
        in_force = enrolment is not None and (enrolment.valid_from is None or enrolment.valid_from <= item.counted_until) \
            and (enrolment.valid_until is None or enrolment.valid_until >= item.counted_from)
        eligible, _reason = customer_eligible(item.document, facts, period_end=item.period.end, enrolled=in_force)
        if not eligible:
            continue
        theirs = accepted.get(item.version.policy_id, [])
        this = next((a for a in theirs if a.policy_version_id == item.version.pk), None)
        earlier = None if this else next((a for a in theirs if a.policy_version.number < item.version.number), None)
        found.append(Agreement(item, dict(enrolment.overrides) if in_force and enrolment else {}, this, earlier))
    return sorted(found, key=lambda a: a.item.document.name)


def agreement_accept(*, customer_code: str, version_id: int, actor: Any, day: date, ip_address: str | None = None,
                     user_agent: str = "") -> AgreementAcceptance:
    """The customer's own login accepts the version in force of an agreement it is in; once
    (accepting again answers the first acceptance). Staff cannot accept for a customer."""
    own = portal_customer(actor)
    customer = portal_customers(own).filter(code=customer_code).first() if own is not None else None
    if own is None:
        raise Forbidden("only the customer's own login accepts its agreements", code="not_the_customer")
    if customer is None:
        raise NotFound(f"no customer {customer_code!r}")
    agreement = next((a for a in customer_agreements(customer, day) if a.version.pk == version_id), None)
    if agreement is None:
        raise StateError(f"version {version_id} is not an agreement in force for {customer.code}: "
                         "reload the page to see the current one", code="not_in_force")
    if agreement.acceptance is not None:
        return agreement.acceptance
    try:
        with transaction.atomic():
            acceptance = AgreementAcceptance.objects.create(
                customer=customer, policy_version=agreement.version, document_sha256=agreement.version.document_sha256,
                accepted_by=actor, ip_address=ip_address or None, user_agent=user_agent[:300])
            audit_record(actor=actor, action="agreement.accept", object_type="policy_version",
                         object_id=agreement.version.pk, data={
                             "customer": customer.code, "policy": agreement.item.document.code,
                             "version": agreement.version.number, "sha256": agreement.version.document_sha256,
                             "ip_address": ip_address, "user_agent": user_agent[:300]})
    except IntegrityError:  # accepted at the same moment in another tab
        return AgreementAcceptance.objects.get(customer=customer, policy_version=agreement.version)
    return acceptance


def version_acceptance(version: PolicyVersion, day: date) -> dict[str, list[Any]]:
    """Who accepted this version and which customers it concerns have not yet (staff)."""
    accepted = list(AgreementAcceptance.objects.filter(policy_version=version)
                    .select_related("customer", "accepted_by").order_by("customer__code"))
    done = {a.customer_id for a in accepted}
    concerned = agreement_customers(version, day)
    waiting = list(Customer.objects.filter(pk__in=concerned - done).order_by("code"))
    return {"accepted": accepted, "waiting": waiting}


def agreement_customers(version: PolicyVersion, day: date) -> set[int]:
    """The active customers a published version's eligibility admits on ``day`` (one query for
    the customers, one for the enrolments)."""
    item = next((i for i in published_items(day) if i.version.pk == version.pk), None)
    if item is None:
        return set()
    enrolled = set(Enrolment.objects.filter(policy_id=version.policy_id).values_list("customer_id", flat=True))
    return {pk for pk, facts in customer_facts().items()
            if customer_eligible(item.document, facts, period_end=item.period.end, enrolled=pk in enrolled)[0]}


def agreement_notices(version: PolicyVersion, day: date) -> int:
    """A "new agreement to accept" notice to each customer a newly published version concerns;
    answers how many. Called when the version is published."""
    params = {"policy_name": version.policy.name, "version": version.number,
              "valid_from": str(version.document.get("valid_from", ""))}
    return notices_raise(kind=NoticeKind.AGREEMENT, events=[
        (customer_id, f"agreement:{version.pk}:{customer_id}", params, "")
        for customer_id in sorted(agreement_customers(version, day))])
