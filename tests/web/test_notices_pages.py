"""The notices pages: the customer's portal inbox and its contacts' notice choices, and the
staff's delivery log with "send again"; each reaches only what its user may see."""

from __future__ import annotations

import pytest
from django.core import mail

from fanli.common.models import AuditEvent
from fanli.customers.models import ContactPerson, Customer
from fanli.notices.models import Delivery, Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(world, django_capture_on_commit_callbacks):
    """Both statements issued; C001's finance contact reads Chinese, its buyer takes no statements."""
    from datetime import date

    from fanli.rebates.services import statement_approve

    acme, other = Customer.objects.get(code="C001"), Customer.objects.get(code="C002")
    ContactPerson.objects.create(customer=acme, name="李娜", email="li@c001.example", language="zh-hans",
                                 notices=["statement", "payout"])
    ContactPerson.objects.create(customer=acme, name="Tom Buyer", email="tom@c001.example", language="en",
                                 notices=["tier"])
    ContactPerson.objects.create(customer=other, name="陈刚", email="chen@c002.example", language="zh-hans",
                                 notices=["statement"])
    with django_capture_on_commit_callbacks(execute=True):
        for key in ("acme_statement", "other_statement"):
            statement_approve(statement_id=world[key].pk, actor=world["users"]["finance"], today=date(2026, 4, 5))
    return world


def _inbox_link(html: str) -> str:
    return html.split('id="inbox-link">', 1)[1].split("</a>", 1)[0]


def test_the_portal_inbox_lists_the_customers_own_notices_and_opening_one_marks_it_read(client, told):
    client.force_login(told["users"]["portal"])
    Notice.objects.exclude(kind="statement").delete()  # the agreement notices of the policy's publication
    home = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _inbox_link(home) == 'Inbox <span class="badge">1</span>'
    page = client.get("/portal/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    acme = Notice.objects.get(customer__code="C001")
    other = Notice.objects.get(customer__code="C002")
    assert f"Rebate statement #{told['acme_statement'].pk}: 经销商季度阶梯返利, 2026-Q1" in page
    assert f"#{told['other_statement'].pk}:" not in page

    opened = client.get(f"/portal/inbox/{acme.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "has been issued" in opened
    assert f"/portal/statements/{told['acme_statement'].pk}/statement.pdf" in opened
    assert Notice.objects.get(pk=acme.pk).read_at is not None
    assert _inbox_link(client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()) == "Inbox"
    assert client.get(f"/portal/inbox/{other.pk}/").status_code == 404  # another customer's notice
    assert Notice.objects.get(pk=other.pk).read_at is None


def test_the_customer_chooses_which_notices_its_contacts_take_and_cannot_touch_another_customers(client, told):
    li = ContactPerson.objects.get(name="李娜")
    tom = ContactPerson.objects.get(name="Tom Buyer")
    chen = ContactPerson.objects.get(name="陈刚")
    client.force_login(told["users"]["portal"])
    response = client.post("/portal/inbox/choices/", {
        f"notices-{li.pk}": ["payout"], f"notices-{tom.pk}": ["tier", "agreement", "bogus"],
        f"notices-{chen.pk}": [],  # another customer's contact: not this customer's to change
    })
    assert response.status_code == 302
    assert ContactPerson.objects.get(pk=li.pk).notices == ["payout"]
    assert ContactPerson.objects.get(pk=tom.pk).notices == ["tier", "agreement"]
    assert ContactPerson.objects.get(pk=chen.pk).notices == ["statement"]
    assert AuditEvent.objects.filter(action="contact.notices").count() == 2


def test_staff_see_what_was_sent_to_whom_and_send_a_failed_one_again(client, told, django_capture_on_commit_callbacks):
    assert sorted(Delivery.objects.values_list("address", "state")) == [
        ("chen@c002.example", "sent"), ("li@c001.example", "sent")]
    delivery = Delivery.objects.get(address="li@c001.example")
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=5, last_error="SMTPRecipientsRefused")
    mail.outbox.clear()

    client.force_login(told["users"]["customer_service"])
    page = client.get("/office/notices/?state=failed", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "li@c001.example" in page and "chen@c002.example" not in page
    assert "发送失败" in page and "SMTPRecipientsRefused" in page and "重新发送" in page
    with django_capture_on_commit_callbacks(execute=True):  # the job starts once the request commits
        response = client.post(f"/office/notices/{delivery.pk}/resend/", {"state": "failed"})
    assert response.status_code == 302 and response["Location"] == "/office/notices/?state=failed"
    assert Delivery.objects.get(pk=delivery.pk).state == "sent"
    assert [m.to for m in mail.outbox] == [["li@c001.example"]]

    # A sales rep sees only their own customers' e-mails, and cannot reach another's.
    rep = told["users"]["channel_manager"]  # owns C001 only
    client.force_login(rep)
    page = client.get("/office/notices/").content.decode()
    assert "li@c001.example" in page and "chen@c002.example" not in page
    chen = Delivery.objects.get(address="chen@c002.example")
    Delivery.objects.filter(pk=chen.pk).update(state="failed")
    assert client.post(f"/office/notices/{chen.pk}/resend/").status_code == 404
    assert Delivery.objects.get(pk=chen.pk).state == "failed"
