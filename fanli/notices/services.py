"""Raising notices and sending them.

``notice_raise`` is called by the service that makes the event, inside its transaction: the
notice and its deliveries are written with the event or not at all, and the delivery job starts
once the transaction commits, so sending never holds up the request. ``deliveries_send`` (the
``notices_deliver`` job, and the schedule every few minutes) sends what is due: each delivery
is claimed first, so two workers never send the same e-mail; a failure waits longer each time
(``RETRY_MINUTES``) and gives up after ``ATTEMPTS_MAX`` attempts, when staff can send it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fanli.accounts.controls import require
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.money import format_minor
from fanli.common.services import audit_record
from fanli.customers.models import ContactPerson, NoticeKind

from .models import Delivery, Notice

log = logging.getLogger("fanli.notices")

ATTEMPTS_MAX = 5
RETRY_MINUTES = (1, 5, 30, 120)  # the wait after the 1st, 2nd, 3rd and 4th failure
CLAIM_STALE = timedelta(minutes=10)  # a claim older than this is taken to have died with its process
BATCH = 50

# Documents attached to e-mails, by name: ``statement_pdf`` → render(object id) gives
# (file name, content, MIME type) in the active language. Registered by the app that owns the
# document (the web app registers the statement PDF), so sending needs no import of it.
Attachment = tuple[str, bytes, str]
_ATTACHMENTS: dict[str, Callable[[int], Attachment]] = {}


def attachment_renderer(name: str) -> Callable[[Callable[[int], Attachment]], Callable[[int], Attachment]]:
    def register(render: Callable[[int], Attachment]) -> Callable[[int], Attachment]:
        _ATTACHMENTS[name] = render
        return render
    return register


def notice_raise(*, customer_id: int, kind: str, key: str, params: dict[str, Any], attachment: str = "") -> Notice:
    """The notice of the event ``key`` for the customer, made once: raising the same event again
    answers the notice made the first time and queues nothing. Each contact person who takes
    ``kind`` and has an e-mail address gets one delivery (one per address), in their language."""
    notices_raise(kind=kind, events=[(customer_id, key, params, attachment)])
    return Notice.objects.get(key=key)


def notices_raise(*, kind: str, events: list[tuple[int, str, dict[str, Any], str]]) -> int:
    """``notice_raise`` for many events of one kind at once, set-wise (a version published to
    every customer it concerns): (customer id, key, params, attachment) each. Answers how many
    notices were new."""
    if kind not in NoticeKind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    existing = set(Notice.objects.filter(key__in=[key for _, key, _, _ in events]).values_list("key", flat=True))
    new = {key: Notice(customer_id=customer_id, kind=kind, key=key, params=params, attachment=attachment)
           for customer_id, key, params, attachment in events if key not in existing}
    if not new:
        return 0
    Notice.objects.bulk_create(new.values(), batch_size=500, ignore_conflicts=True)
    created = {n.key: n for n in Notice.objects.filter(key__in=list(new))}
    by_customer: dict[int, list[Notice]] = {}
    for notice in created.values():
        by_customer.setdefault(notice.customer_id, []).append(notice)
    now = timezone.now()
    deliveries: dict[tuple[int, str], Delivery] = {}
    contacts = (ContactPerson.objects.filter(customer_id__in=list(by_customer)).exclude(email="")
                .order_by("customer_id", "name"))
    for contact in contacts:
        if kind not in contact.notices:
            continue
        address = contact.email.strip().lower()
        for notice in by_customer[contact.customer_id]:
            if (notice.pk, address) not in deliveries:
                deliveries[(notice.pk, address)] = Delivery(
                    notice=notice, contact=contact, contact_name=contact.name, address=address,
                    language=contact.language, next_attempt_at=now)
    Delivery.objects.bulk_create(deliveries.values(), batch_size=500, ignore_conflicts=True)
    if deliveries:
        _send_after_commit()
    return len(new)


class _SendSoon:
    """The after-commit call that starts sending; it knows whether it has run."""

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        self.done = True
        _send_soon()


def _send_after_commit() -> None:
    """Start sending once the transaction commits: once per transaction, however many notices
    it raised (a month end approves hundreds of statements)."""
    waiting = (entry[1] for entry in connection.run_on_commit)  # (savepoints, callback, robust)
    if not any(isinstance(callback, _SendSoon) and not callback.done for callback in waiting):
        transaction.on_commit(_SendSoon())


def _send_soon() -> None:
    """Start the delivery job unless one is waiting to start (a running one may have read the
    queue already: the next is started; the schedule sends anything left within minutes)."""
    from fanli.common.jobs import job_start
    from fanli.common.models import Job

    if not Delivery.objects.filter(due_now(timezone.now())).exists():
        return  # nothing left to send (an earlier job sent it, or the demo dated it in the past)
    if Job.objects.filter(kind="notices_deliver", state=Job.State.QUEUED).exists():
        return
    try:
        job_start(kind="notices_deliver", params={}, actor=None, title="Send notices to customers")
    except Exception:  # the event is recorded and its deliveries are queued: the schedule sends them
        log.exception("the notices job could not start; the schedule will send the queued notices")


def _words(notice: Notice) -> dict[str, Any]:
    """What the templates show, money formatted."""
    params = dict(notice.params)
    currency = params.get("currency", "CNY")
    for name in [name for name in params if name.endswith("_minor")]:
        params[name.removesuffix("_minor")] = format_minor(int(params[name]), currency)
    return {"notice": notice, "customer": notice.customer, **params}


def notice_text(notice: Notice, *, language: str | None = None) -> tuple[str, str]:
    """The notice's subject and body in ``language`` (the active one when not given)."""
    with translation.override(language or translation.get_language()):
        context = _words(notice)
        subject = " ".join(render_to_string(f"notices/{notice.kind}_subject.txt", context).split())
        body = render_to_string(f"notices/{notice.kind}_body.txt", context).strip() + "\n"
    return subject, body


def _attachment(notice: Notice, language: str) -> Attachment | None:
    if not notice.attachment:
        return None
    name, _, object_id = notice.attachment.partition(":")
    render = _ATTACHMENTS.get(name)
    if render is None:
        raise StateError(f"no renderer for the attachment {name!r}", code="attachment_unknown")
    with translation.override(language):
        return render(int(object_id))


def due_now(now: datetime) -> Q:
    """Deliveries to send now: queued and due, or claimed by a process that died sending them."""
    return (Q(state=Delivery.State.QUEUED, next_attempt_at__lte=now)
            | Q(state=Delivery.State.SENDING, claimed_at__lt=now - CLAIM_STALE))


def _claim(now: datetime) -> list[Delivery]:
    with transaction.atomic():
        ids = list(Delivery.objects.select_for_update(skip_locked=True).filter(due_now(now))
                   .order_by("next_attempt_at", "id").values_list("id", flat=True)[:BATCH])
        Delivery.objects.filter(pk__in=ids).update(state=Delivery.State.SENDING, claimed_at=now)
    return list(Delivery.objects.filter(pk__in=ids).select_related("notice__customer").order_by("id"))


def deliveries_send(*, now: datetime | None = None, progress: Callable[[int, int], None] | None = None
                    ) -> dict[str, int]:
    """Send every delivery that is due; answers how many were sent and how many failed."""
    now = now or timezone.now()
    sent = failed = 0
    waiting = Delivery.objects.filter(due_now(now)).count()
    mail = get_connection(fail_silently=False)
    while True:
        batch = _claim(now)
        if not batch:
            break
        for delivery in batch:
            error = _send_one(delivery, mail)
            if error is None:
                sent += 1
                Delivery.objects.filter(pk=delivery.pk).update(
                    state=Delivery.State.SENT, sent_at=timezone.now(), attempts=delivery.attempts + 1, last_error="")
            else:
                failed += 1
                attempts = delivery.attempts + 1
                gave_up = attempts >= ATTEMPTS_MAX
                wait = timedelta(minutes=RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1])
                Delivery.objects.filter(pk=delivery.pk).update(
                    state=Delivery.State.FAILED if gave_up else Delivery.State.QUEUED, attempts=attempts,
                    last_error=error[:300], next_attempt_at=now + wait)
                log.warning("notice %s to %s failed (attempt %d%s): %s", delivery.notice.key, delivery.address,
                            attempts, ", given up" if gave_up else "", error)
            if progress is not None:
                progress(sent + failed, max(waiting, sent + failed))
    return {"sent": sent, "failed": failed}


def _send_one(delivery: Delivery, mail: Any) -> str | None:
    """Send one e-mail; answers the reason it could not be sent, or None."""
    notice = delivery.notice
    try:
        subject, body = notice_text(notice, language=delivery.language)
        message = EmailMessage(subject=subject, body=body, to=[delivery.address], connection=mail)
        attachment = _attachment(notice, delivery.language)
        if attachment is not None:
            message.attach(*attachment)
        message.send()
    except Exception as error:  # any failure of the mail server or the document: recorded and retried
        return f"{type(error).__name__}: {error}"
    return None


def delivery_resend(*, delivery_id: int, actor: Any) -> Delivery:
    """Queue a failed delivery again, now (staff, after fixing the address or the mail server)."""
    require(actor, "crm")
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound(f"no delivery {delivery_id}")
        if delivery.state != Delivery.State.FAILED:
            raise StateError(f"delivery {delivery_id} is {delivery.state}: only a failed one is sent again",
                             code="not_failed")
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.QUEUED, next_attempt_at=timezone.now(),
                                                       attempts=0)
        audit_record(actor=actor, action="notice.resend", object_type="delivery", object_id=delivery.pk,
                     data={"notice": delivery.notice.key, "to": delivery.address})
    _send_after_commit()
    delivery.refresh_from_db()
    return delivery


def notice_read(*, notice: Notice) -> None:
    """The customer opened the notice in the portal inbox."""
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())


def contact_notices_set(*, contact: ContactPerson, kinds: list[str], actor: Any) -> ContactPerson:
    """Which notices the contact person takes (opting out of a kind is leaving it out). The
    caller has checked the actor may change this customer's contacts (staff with ``crm``, or
    the customer in the portal)."""
    unknown = [kind for kind in kinds if kind not in NoticeKind.values]
    if unknown:
        raise ValidationFailed(f"unknown notice kind(s): {', '.join(unknown)}",
                               details={"errors": [{"path": "notices", "message": f"choose from {', '.join(NoticeKind.values)}"}]})
    chosen = [kind for kind in NoticeKind.values if kind in kinds]
    with transaction.atomic():
        before = list(contact.notices)
        ContactPerson.objects.filter(pk=contact.pk).update(notices=chosen)
        audit_record(actor=actor, action="contact.notices", object_type="contact_person", object_id=contact.pk,
                     data={"customer": contact.customer.code, "name": contact.name, "before": before, "after": chosen})
    contact.notices = chosen
    return contact
