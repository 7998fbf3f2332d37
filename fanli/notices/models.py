"""A notice (one event for one customer) and its deliveries (one e-mail per contact person)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from fanli.customers.models import ContactLanguage, ContactPerson, Customer, NoticeKind


class Notice(models.Model):
    """One event told to one customer, once: ``key`` names the event (``statement:123``), so
    raising it again finds the notice made the first time. ``params`` holds the figures the
    words are made of (rendered in each reader's language when shown or sent); ``attachment``
    names a document sent with the e-mail (``statement_pdf:123``)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    key = models.CharField(max_length=80, unique=True)
    params = models.JSONField(default=dict)
    attachment = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="notice_customer_recent")]

    def __str__(self) -> str:
        return self.key


class Delivery(models.Model):
    """The e-mail of one notice to one contact person. It is queued when the notice is raised,
    sent by the ``notices_deliver`` job, and retried with growing waits when sending fails;
    after ``ATTEMPTS_MAX`` failures it stays failed until someone sends it again."""

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("delivery state", "Waiting to be sent")
        SENDING = "sending", pgettext_lazy("delivery state", "Being sent")
        SENT = "sent", pgettext_lazy("delivery state", "Sent")
        FAILED = "failed", pgettext_lazy("delivery state", "Failed")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    contact = models.ForeignKey(ContactPerson, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    contact_name = models.CharField(max_length=100)
    address = models.EmailField(max_length=200)
    language = models.CharField(max_length=8, choices=ContactLanguage.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-notice__created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["notice", "address"], name="delivery_once_per_address")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.notice.key} → {self.address}"
