"""Every URL of the web interface, for every role, an anonymous visitor and a customer.

The guard test fails when a URL is added without a row here, so no page escapes the matrix.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from fanli.notices.models import Delivery, Notice
from fanli.rebates.models import Dispute, PaymentBatch, PolicyVersion

pytestmark = pytest.mark.django_db
ALL = frozenset({"administrator", "channel_manager", "finance", "customer_service", "auditor"})
EDITORS = frozenset({"administrator", "channel_manager"})
SETTLERS = frozenset({"administrator", "finance"})
PUBLISHERS = frozenset({"administrator", "finance"})
AUDITORS = frozenset({"administrator", "finance", "auditor"})
IMPORTERS = frozenset({"administrator", "channel_manager", "finance"})
DISPUTERS = frozenset({"administrator", "finance", "customer_service"})
CRM = frozenset({"administrator", "channel_manager", "finance", "customer_service"})
PAYERS = frozenset({"administrator", "finance"})
READ_ALL = frozenset({"administrator", "finance", "customer_service", "auditor"})

# url name -> (arguments, roles that may open it); everyone else on staff gets 403
PAGES = {
    "dashboard": ((), ALL), "statements": ((), ALL), "statements_export": ((), ALL),
    "statement": (("statement",), ALL), "statement_print": (("statement",), ALL),
    "statement_pdf": (("statement",), ALL),
    "customers": ((), ALL), "customer": (("C001",), ALL),
    "policies": ((), ALL), "policy_new": ((), EDITORS), "policy": (("dist-q",), ALL),
    "policy_edit": (("dist-q",), EDITORS), "policy_diff": (("dist-q",), ALL),
    "policy_version": (("dist-q", 1), ALL), "policy_preview": (("dist-q", 1), EDITORS),
    "discounts": ((), ALL), "discount_quote": ((), ALL), "audit": ((), AUDITORS),
    "settlement": ((), SETTLERS), "imports": ((), IMPORTERS), "disputes": ((), ALL), "dispute": (("dispute",), ALL),
    "loyalty": ((), ALL), "loyalty_members": (("club",), ALL), "loyalty_member": (("club", "C001"), ALL),
    "warnings": ((), ALL), "contacts": ((), ALL), "complaints": ((), ALL), "notices": ((), ALL),
    "scorecards": ((), ALL), "policy_effectiveness": (("dist-q",), ALL), "approvals": ((), ALL),
    "policy_effectiveness_export": (("dist-q",), ALL),
    "payment_batches": ((), READ_ALL), "payment_batch": (("batch",), READ_ALL),
    "payment_batch_csv": (("batch",), PAYERS), "payment_batch_xlsx": (("batch",), PAYERS),
}
# url name -> (arguments, roles allowed to post); everyone else on staff gets 403
ACTIONS = {
    "statements_approve": ((), SETTLERS), "statement_approve": (("statement",), SETTLERS),
    "statement_pay": (("statement",), SETTLERS), "statement_dispute": (("statement",), DISPUTERS),
    "policy_publish": (("dist-q", 1), PUBLISHERS), "policy_submit": (("dist-q", 1), EDITORS),
    "policy_reject": (("dist-q", 1), PUBLISHERS), "approval_decide": ((), PUBLISHERS),
    "settlement_run": ((), SETTLERS),
    "import_upload": ((), IMPORTERS), "import_commit": ((), IMPORTERS),
    "dispute_message": (("dispute",), DISPUTERS), "dispute_propose": (("dispute",), DISPUTERS),
    "dispute_decide": (("dispute",), SETTLERS), "dispute_confirm": (("dispute",), DISPUTERS),
    "warning_acknowledge": ((1,), ALL), "warnings_acknowledge": ((), ALL),
    "interaction_log": (("C001",), CRM), "complaint_open": (("C001",), CRM), "survey_record": (("C001",), CRM),
    "customer_relationship": (("C001",), CRM), "follow_up_done": ((1,), CRM), "complaint_progress": ((1,), CRM),
    "customer_rating": (("C001",), CRM), "segments_recompute": ((), CRM),
    "scorecard_edit": (("dealer",), EDITORS),
    "statements_batch": ((), PAYERS), "payment_batch_confirm": (("batch",), PAYERS),
    "payment_batch_cancel": (("batch",), PAYERS), "customer_bank_verify": (("C001",), PAYERS),
    "payment_batch_remove": (("batch",), PAYERS), "notice_resend": (("delivery",), CRM),
}
PORTAL = {"portal": (), "portal_statement": ("statement",), "portal_statement_print": ("statement",),
          "portal_statement_pdf": ("statement",),
          "portal_dispute": ("statement",), "portal_dispute_message": ("statement",), "portal_survey": (),
          "portal_inbox": (), "portal_notice": ("notice",), "portal_notice_preferences": (),
          "portal_agreements": (), "portal_agreement_accept": (1,)}
PORTAL_ACTIONS = {"portal_dispute", "portal_dispute_message", "portal_survey", "portal_notice_preferences",
                  "portal_agreement_accept"}
PUBLIC = {"home", "login", "logout"}
ELSEWHERE = {"job": "tests/common/test_jobs.py (the starter and auditors only)"}


def url(world, name: str, arguments: tuple) -> str:
    notice = Notice.objects.get_or_create(key="matrix", defaults={"customer": world["acme_statement"].customer,
                                                                  "kind": "statement"})[0]
    delivery = Delivery.objects.get_or_create(notice=notice, address="matrix@example.cn", defaults={
        "contact_name": "Matrix", "language": "en", "next_attempt_at": timezone.now(), "state": "failed"})[0]
    objects = {"statement": world["acme_statement"].pk, "dispute": Dispute.objects.get().pk,
               "batch": PaymentBatch.objects.get_or_create(reference="PB-MATRIX")[0].pk,
               "notice": notice.pk, "delivery": delivery.pk}
    return reverse(f"web:{name}", args=[objects.get(a, a) if isinstance(a, str) else a for a in arguments])


def test_every_web_url_is_in_the_matrix():
    names = {p.name for p in get_resolver().url_patterns[0].url_patterns}  # the web app comes first
    assert names == set(PAGES) | set(ACTIONS) | set(PORTAL) | PUBLIC | set(ELSEWHERE)


@pytest.mark.parametrize("role", sorted(ALL))
def test_each_role_opens_exactly_the_pages_it_should(client, disputed, role):
    client.force_login(disputed["users"][role])
    got = {name: client.get(url(disputed, name, arguments)).status_code for name, (arguments, _) in PAGES.items()}
    expected = {name: 200 if role in allowed else 403 for name, (_, allowed) in PAGES.items()}
    assert got == expected


@pytest.mark.parametrize("role", sorted(ALL))
def test_each_role_is_refused_exactly_the_actions_it_may_not_take(client, disputed, role):
    client.force_login(disputed["users"][role])
    for name, (arguments, allowed) in ACTIONS.items():
        status = client.post(url(disputed, name, arguments), {}).status_code
        assert (status == 403) == (role not in allowed), (name, status)
    if role not in EDITORS:
        assert PolicyVersion.objects.get().status == "published"


def test_anonymous_visitors_are_sent_to_log_in_everywhere(client, disputed):
    for name, (arguments, _) in {**PAGES, **ACTIONS}.items():
        target = url(disputed, name, arguments)
        response = client.post(target) if name in ACTIONS else client.get(target)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), name
    for name, arguments in PORTAL.items():
        target = url(disputed, name, arguments)
        response = client.post(target) if name in PORTAL_ACTIONS else client.get(target)
        assert response.status_code == 302, name


def test_customers_never_reach_the_back_office(client, disputed):
    client.force_login(disputed["users"]["portal"])
    for name, (arguments, _) in {**PAGES, **ACTIONS}.items():
        target = url(disputed, name, arguments)
        response = client.post(target) if name in ACTIONS else client.get(target)
        assert response.status_code == 403, name


def test_every_form_is_refused_without_its_csrf_token(disputed):
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(disputed["users"]["administrator"])
    for name, (arguments, _) in ACTIONS.items():
        assert staff.post(url(disputed, name, arguments), {}).status_code == 403, name
    customer = Client(enforce_csrf_checks=True)
    customer.force_login(disputed["users"]["portal"])
    for name in PORTAL_ACTIONS:
        assert customer.post(url(disputed, name, PORTAL[name]), {"reason": "x", "body": "x"}).status_code == 403
    assert Dispute.objects.get().messages.count() == 1


def test_every_page_has_a_plain_title(client, disputed):
    client.force_login(disputed["users"]["administrator"])
    for name, (arguments, _) in PAGES.items():
        response = client.get(url(disputed, name, arguments))
        if not response["Content-Type"].startswith("text/html"):
            continue  # the XLSX export
        page = response.content.decode()
        if "<title>" in page:
            title = page.split("<title>", 1)[1].split("</title>", 1)[0]
            assert "<" not in title and "&lt;" not in title and len(title) < 120, name
    client.force_login(disputed["users"]["portal"])
    portal = client.get("/portal/").content.decode().split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in portal and "&lt;" not in portal
