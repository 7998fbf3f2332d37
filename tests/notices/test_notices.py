"""Notices to customers: an issued statement, a payout and an answered dispute e-mail exactly
the contact persons who take that kind of notice, once, in their language; failures are retried
and then wait for staff; the schedule sends only when something waits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone

from fanli.common.exceptions import Forbidden, StateError
from fanli.common.models import AuditEvent, Job, ScheduledRun
from fanli.common.schedule import tick
from fanli.customers.models import ContactPerson, Customer
from fanli.notices.models import Delivery, Notice
from fanli.notices.services import ATTEMPTS_MAX, contact_notices_set, deliveries_send, delivery_resend
from fanli.rebates.disputes import dispute_confirm
from fanli.rebates.models import Statement
from fanli.rebates.payouts import payout_record
from fanli.rebates.services import policy_apply, settlement_run, statement_approve, statement_dispute
from tests.builders import catalog, customer, invoice

pytestmark = pytest.mark.django_db

POLICY = """
code: q-flat
name: Quarterly flat rebate
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
calculation: {type: flat_rate, rate_percent: 2}
payout: {form: rebate_account}
"""


def _contact(who: Customer, name: str, email: str, language: str, notices: list[str]) -> ContactPerson:
    return ContactPerson.objects.create(customer=who, name=name, email=email, language=language, notices=notices)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service and run what waited for its commit (the delivery job), as a commit would:
    the test's own transaction never commits."""
    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)
    return run


@pytest.fixture
def settled() -> dict[str, Statement]:
    """Two customers' statements for 2026-Q1, drafts; C01 has five contact persons."""
    catalog()
    policy_apply(text=POLICY, actor=None)
    first, second = customer("C01"), customer("C02")
    _contact(first, "李娜", "li.na@c01.example", "zh-hans", ["statement", "payout"])
    _contact(first, "John Smith", "john@c01.example", "en", ["statement"])
    _contact(first, "王强", "wang@c01.example", "zh-hans", ["payout", "dispute"])
    _contact(first, "赵敏", "", "zh-hans", ["statement"])  # no e-mail address: nothing to send
    _contact(first, "Li Na (office)", "LI.NA@c01.example", "zh-hans", ["statement"])  # the same mailbox as 李娜
    _contact(second, "陈刚", "chen@c02.example", "zh-hans", ["statement"])
    invoice(first, date(2026, 2, 1), ("TEA-1", "10000"))
    invoice(second, date(2026, 2, 3), ("TEA-1", "5000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    return {s.customer.code: s for s in Statement.objects.select_related("customer")}


def test_an_issued_statement_mails_exactly_the_contacts_who_take_statement_notices_once_in_their_language(committed, settled):
    statement = settled["C01"]
    assert mail.outbox == []  # a draft is not issued: nobody is told
    committed(statement_approve, statement_id=statement.pk, actor=None, on=date(2026, 4, 2))

    sent = sorted(mail.outbox, key=lambda m: m.to[0])
    assert [m.to for m in sent] == [["john@c01.example"], ["li.na@c01.example"]]
    english, chinese = sent
    assert english.subject == f"Rebate statement #{statement.pk}: Quarterly flat rebate, 2026-Q1"
    assert "This statement: ¥200.00" in english.body
    assert "has been issued" in english.body
    assert chinese.subject == f"返利结算单 #{statement.pk}：Quarterly flat rebate，2026-Q1"
    assert "本结算单: ¥200.00" in chinese.body
    assert "has been issued" not in chinese.body
    for message in sent:
        [(filename, content, mimetype)] = message.attachments
        assert (filename, mimetype) == (f"statement-{statement.pk}.pdf", "application/pdf")
        assert content.startswith(b"%PDF")

    notice = Notice.objects.get()
    assert (notice.key, notice.kind, notice.customer.code) == (f"statement:{statement.pk}", "statement", "C01")
    assert sorted(Delivery.objects.values_list("address", "language", "state", "attempts")) == [
        ("john@c01.example", "en", "sent", 1), ("li.na@c01.example", "zh-hans", "sent", 1)]

    # The same event again, and another round of sending: nothing more goes out.
    from fanli.rebates.services import statement_issued_notice

    statement_issued_notice(Statement.objects.get(pk=statement.pk))
    assert deliveries_send() == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 2
    assert Notice.objects.count() == 1


def test_a_payout_and_an_answered_dispute_reach_the_contacts_who_take_those_notices(committed, settled):
    statement = committed(statement_approve, statement_id=settled["C01"].pk, actor=None, on=date(2026, 4, 2))
    mail.outbox.clear()
    committed(payout_record, statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 3), today=date(2026, 4, 3))
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("li.na@c01.example", "返利已支付：¥200.00"), ("wang@c01.example", "返利已支付：¥200.00")]
    assert "已记入您的返利账户，可用于抵扣后续订单" in mail.outbox[0].body
    assert mail.outbox[0].attachments == []

    other = committed(statement_approve, statement_id=settled["C02"].pk, actor=None, on=date(2026, 4, 2))
    assert [m.to for m in mail.outbox[2:]] == [["chen@c02.example"]]  # C02's own contact only
    mail.outbox.clear()
    statement_dispute(statement_id=other.pk, reason="our February invoice counts twice?", actor=None)
    _contact(other.customer, "Ann Lee", "ann@c02.example", "en", ["dispute"])
    dispute = other.disputes.get()
    committed(dispute_confirm, dispute_id=dispute.pk, resolution="Each invoice is counted once; see the lines.", actor=None)
    [answer] = mail.outbox
    assert answer.to == ["ann@c02.example"]
    assert answer.subject == f"Your dispute of statement #{other.pk} is answered"
    assert "The figure is confirmed as stated." in answer.body
    assert "Our answer: Each invoice is counted once; see the lines." in answer.body


def test_a_contact_who_opts_out_of_statement_notices_gets_none_and_the_change_is_audited(committed, settled):
    li = ContactPerson.objects.get(name="李娜")
    contact_notices_set(contact=li, kinds=["payout"], actor=None)
    assert ContactPerson.objects.get(pk=li.pk).notices == ["payout"]
    event = AuditEvent.objects.get(action="contact.notices")
    assert event.data == {"customer": "C01", "name": "李娜", "before": ["statement", "payout"], "after": ["payout"]}

    committed(statement_approve, statement_id=settled["C01"].pk, actor=None, on=date(2026, 4, 2))
    # the office mailbox is the same address, and that contact still takes statements
    assert sorted(m.to[0] for m in mail.outbox) == ["john@c01.example", "li.na@c01.example"]
    assert [d.contact_name for d in Delivery.objects.filter(address="li.na@c01.example")] == ["Li Na (office)"]


class _Refusing:
    """A mail server that refuses every message (a test stand-in for an unreachable SMTP server)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise ConnectionRefusedError("mail server refused the connection")


def test_a_failed_e_mail_is_retried_later_then_waits_for_staff(committed, settled, settings):
    settings.EMAIL_BACKEND = "tests.notices.test_notices._Refusing"
    committed(statement_approve, statement_id=settled["C02"].pk, actor=None, on=date(2026, 4, 2))
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("queued", 1)
    assert delivery.last_error == "ConnectionRefusedError: mail server refused the connection"
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)

    now = timezone.now()
    assert deliveries_send(now=now) == {"sent": 0, "failed": 0}  # not due yet
    for attempt in range(2, ATTEMPTS_MAX + 1):
        now += timedelta(hours=3)
        assert deliveries_send(now=now) == {"sent": 0, "failed": 1}
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.state == "failed"  # given up after five attempts
    assert deliveries_send(now=now + timedelta(days=1)) == {"sent": 0, "failed": 0}

    clerk = User.objects.create_user("clerk")
    with pytest.raises(Forbidden):
        committed(delivery_resend, delivery_id=delivery.pk, actor=clerk)
    service = User.objects.create_user("service")
    service.groups.add(Group.objects.get_or_create(name="customer_service")[0])
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    committed(delivery_resend, delivery_id=delivery.pk, actor=service)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert [m.to for m in mail.outbox] == [["chen@c02.example"]]
    with pytest.raises(StateError):
        committed(delivery_resend, delivery_id=delivery.pk, actor=service)  # sent: nothing to send again


def test_the_schedule_starts_the_notices_job_only_while_e_mails_wait(committed, settled, settings):
    settings.FANLI_SCHEDULE = {"points-expiry": "off", "segments": "off", "warnings": "off",
                               "month-end-accruals": "off"}
    settings.EMAIL_BACKEND = "tests.notices.test_notices._Refusing"
    now = timezone.now()
    tick(now)
    assert not ScheduledRun.objects.filter(task="notices").exists()
    committed(statement_approve, statement_id=settled["C02"].pk, actor=None, on=date(2026, 4, 2))  # fails once, waits a minute
    jobs = Job.objects.filter(kind="notices_deliver").count()
    tick(now + timedelta(seconds=10))
    assert not ScheduledRun.objects.filter(task="notices").exists()
    assert Job.objects.filter(kind="notices_deliver").count() == jobs
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # its minute has passed
    tick(now + timedelta(minutes=6))
    assert ScheduledRun.objects.filter(task="notices").count() == 1
    assert Delivery.objects.get().state == "sent"
    assert [m.to for m in mail.outbox] == [["chen@c02.example"]]


def test_the_command_sends_what_is_due_and_lists_the_log(committed, settled, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.EMAIL_BACKEND = "tests.notices.test_notices._Refusing"
    committed(statement_approve, statement_id=settled["C02"].pk, actor=None, on=date(2026, 4, 2))
    listed = StringIO()
    call_command("notices", "list", "--state", "queued", stdout=listed)
    assert f"queued   C02        statement:{settled['C02'].pk}" in listed.getvalue()
    assert "chen@c02.example (zh-hans)  1 attempt(s): ConnectionRefusedError" in listed.getvalue()
    assert listed.getvalue().endswith("1 e-mail(s)\n")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    sent = StringIO()
    call_command("notices", "send", stdout=sent)
    assert sent.getvalue() == "1 sent, 0 failed\n"
    assert [m.to for m in mail.outbox] == [["chen@c02.example"]]


def test_one_month_end_of_approvals_starts_one_sending_job(settled, django_capture_on_commit_callbacks):
    """However many statements one transaction issues, sending starts once, after its commit."""
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for statement in settled.values():
            statement_approve(statement_id=statement.pk, actor=None, on=date(2026, 4, 2))
    assert len(callbacks) == 1
    assert Job.objects.filter(kind="notices_deliver").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["chen@c02.example", "john@c01.example", "li.na@c01.example"]
    # nothing waits any more: a later commit starts no job
    with django_capture_on_commit_callbacks(execute=True):
        from fanli.notices.services import _send_soon
        _send_soon()
    assert Job.objects.filter(kind="notices_deliver").count() == 1
