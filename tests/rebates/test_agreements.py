"""Agreements the customer sees and accepts: the terms in plain words, acceptance of the exact
version in force kept as evidence, a new version asking again, and the notice that asks."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from fanli.accounts.services import portal_user_create
from fanli.common.exceptions import Forbidden, StateError
from fanli.common.models import AuditEvent
from fanli.customers.models import ContactPerson
from fanli.notices.models import Notice
from fanli.notices.services import deliveries_send
from fanli.rebates.agreement_terms import agreement_terms
from fanli.rebates.agreements import agreement_accept, customer_agreements, version_acceptance
from fanli.rebates.document import load_policy_text
from fanli.rebates.models import AgreementAcceptance, PolicyVersion
from fanli.rebates.services import enrolment_set, policy_apply
from tests.builders import catalog, customer

pytestmark = pytest.mark.django_db

POLICY = """
code: dist-q
name: Distributor quarterly tiers
valid_from: 2026-01-01
valid_until: 2026-12-31
eligibility: {kinds: [distributor]}
scope: {include: {brands: [acme]}, exclude: {skus: [RICE-1]}}
settlement: {period: quarter, due_days: 30}
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2.5}]
campaigns: [{name: Spring, from: 2026-03-01, until: 2026-03-15, extra_rate_percent: 1}]
caps: {rebate_cap: "50000.00"}
payout: {form: rebate_account, max_offset_percent_per_order: 30, credit_expiry_days: 365}
"""


def test_the_terms_read_in_plain_words_in_either_language():
    document = load_policy_text(POLICY)
    with translation.override("en"):
        sections = agreement_terms(document)
        assert [(s.heading, s.sentences) for s in sections] == [
            ("Who takes part", ["Customer kinds: distributor."]),
            ("What counts", ["Purchases of the brands acme count.", "Except the products RICE-1.",
                             "Invoices count net of returns, by the date of the invoice.",
                             "The rebate is measured on the amount purchased."]),
            ("How much", ["The rate of the highest tier reached applies to everything counted in the period."]),
            ("Limits", ["At most ¥50,000.00 of rebate per period."]),
            ("Campaigns", ["Spring: from 2026-03-01 to 2026-03-15, 1% more on purchases in those days."]),
            ("When and how it is paid", [
                "Settled each quarter; paid within 30 days after the period ends.",
                "Credited to your rebate account, usable against your next orders.",
                "Credit pays at most 30% of an order.", "Credit expires 365 days after it is paid.",
                "Valid from 2026-01-01 until 2026-12-31."]),
        ]
        assert sections[2].table == [("¥0.00", "1%"), ("¥100,000.00", "2.5%")]
        own = agreement_terms(document, {"tiers": [{"from": "0", "rate_percent": "1.5"}]})
        assert own[2].table == [("¥0.00", "1.5%")]
        assert own[2].sentences[-1] == "These are your own terms, agreed for you in place of the standard ones."
    with translation.override("zh-hans"):
        sections = agreement_terms(document)
        assert sections[0].heading == "参与客户"
        assert sections[0].sentences == ["客户类型：distributor。"]
        assert sections[-1].sentences[0] == "每季度结算；期末后 30 天内支付。"


@pytest.fixture
def portal(db):
    catalog()
    acme = customer("C001")
    customer("R001", kind="retailer")  # not a distributor: not in the agreement
    ContactPerson.objects.create(customer=acme, name="Buyer", email="buyer@c001.example", language="en",
                                 notices=["agreement"])
    policy_apply(text=POLICY, actor=None)
    user = portal_user_create(username="acme", password="acme-pass-123", customer_code="C001", actor=None)
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (test)")
    client.force_login(user)
    return {"customer": acme, "user": user, "client": client}


def test_a_customer_accepts_a_new_version_in_the_portal_and_the_acceptance_names_that_version(portal):
    client = portal["client"]
    page = client.get("/portal/agreements/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    first = PolicyVersion.objects.get(number=1)
    assert "Distributor quarterly tiers" in page and "Purchases of the brands acme count." in page
    assert "1 agreement waits for your acceptance." in page

    assert client.post(f"/portal/agreements/{first.pk}/accept/", {}).status_code == 302  # not confirmed: nothing
    assert not AgreementAcceptance.objects.exists()
    client.post(f"/portal/agreements/{first.pk}/accept/", {"confirm": "1"})
    accepted = AgreementAcceptance.objects.get()
    assert (accepted.customer.code, accepted.policy_version.number, accepted.accepted_by.username) == ("C001", 1, "acme")
    assert accepted.document_sha256 == first.document_sha256
    assert (accepted.ip_address, accepted.user_agent) == ("127.0.0.1", "Mozilla/5.0 (test)")
    event = AuditEvent.objects.get(action="agreement.accept")
    assert event.data["version"] == 1 and event.data["customer"] == "C001"
    client.post(f"/portal/agreements/{first.pk}/accept/", {"confirm": "1"})  # again: still one acceptance
    assert AgreementAcceptance.objects.count() == 1

    policy_apply(text=POLICY.replace("rate_percent: 2.5", "rate_percent: 3"), actor=None)
    second = PolicyVersion.objects.get(number=2)
    page = client.get("/portal/agreements/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You accepted version 1; this version changed the terms and asks for your acceptance again." in page
    assert client.post(f"/portal/agreements/{first.pk}/accept/", {"confirm": "1"}).status_code == 302
    assert AgreementAcceptance.objects.count() == 1  # the retired version is no longer accepted
    client.post(f"/portal/agreements/{second.pk}/accept/", {"confirm": "1"})
    latest = AgreementAcceptance.objects.order_by("-id").first()
    assert latest.policy_version == second and latest.document_sha256 == second.document_sha256
    [agreement] = customer_agreements(portal["customer"], date(2026, 5, 1))
    assert agreement.acceptance == latest

    staff = version_acceptance(second, date(2026, 5, 1))
    assert [a.customer.code for a in staff["accepted"]] == ["C001"] and staff["waiting"] == []


def test_only_the_customers_own_login_accepts_and_only_an_agreement_it_is_in(portal, staff_user):
    version = PolicyVersion.objects.get(number=1)
    with pytest.raises(Forbidden):
        agreement_accept(customer_code="C001", version_id=version.pk, actor=staff_user, day=date(2026, 5, 1))
    retailer = portal_user_create(username="shop", password="shop-pass-123", customer_code="R001", actor=None)
    with pytest.raises(StateError):
        agreement_accept(customer_code="R001", version_id=version.pk, actor=retailer, day=date(2026, 5, 1))
    assert not AgreementAcceptance.objects.exists()


def test_a_published_version_asks_the_customers_it_concerns_with_a_notice(portal):
    first = Notice.objects.get(kind="agreement")
    assert first.key == f"agreement:{PolicyVersion.objects.get(number=1).pk}:{portal['customer'].pk}"
    policy_apply(text=POLICY.replace("due_days: 30", "due_days: 20"), actor=None)
    second = PolicyVersion.objects.get(number=2)
    assert sorted(Notice.objects.filter(kind="agreement").values_list("key", flat=True)) == sorted(
        [first.key, f"agreement:{second.pk}:{portal['customer'].pk}"])  # not the retailer's
    # what the job sends once the publications commit (the test's transaction never does)
    assert deliveries_send() == {"sent": 2, "failed": 0}
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("buyer@c001.example", "New rebate agreement to accept: Distributor quarterly tiers (version 1)"),
        ("buyer@c001.example", "New rebate agreement to accept: Distributor quarterly tiers (version 2)")]


def test_an_enrolment_required_policy_is_an_agreement_only_for_the_enrolled(portal):
    policy_apply(text=POLICY.replace("code: dist-q", "code: by-contract").replace(
        "name: Distributor quarterly tiers", "name: By contract").replace(
        "eligibility: {kinds: [distributor]}", "eligibility: {enrolment_required: true}"), actor=None)
    names = [a.item.document.name for a in customer_agreements(portal["customer"], date(2026, 5, 1))]
    assert names == ["Distributor quarterly tiers"]
    enrolment_set(policy_code="by-contract", customer_code="C001", actor=None)
    names = [a.item.document.name for a in customer_agreements(portal["customer"], date(2026, 5, 1))]
    assert names == ["By contract", "Distributor quarterly tiers"]
