"""Roles and portal access."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fanli.customers.models import Customer


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    FINANCE = "finance", _("Finance")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    AUDITOR = "auditor", _("Read-only auditor")


class Submission(models.Model):
    """A loyalty programme or score card document waiting for a second person's approval.

    (Policies and discount rules keep numbered versions with a ``submitted`` status instead.)
    At most one submission per document is pending; publishing or rejecting decides it once.
    """

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Loyalty programme")
        SCORECARD = "scorecard", _("Score card")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    document = models.JSONField()
    document_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], condition=models.Q(state="pending"),
                                               name="submission_one_pending_per_document")]

    def __str__(self) -> str:
        return f"{self.kind} {self.code} ({self.state})"


class PortalAccess(models.Model):
    """A customer's own login to the portal: one user, one customer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_access")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="portal_users")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} -> {self.customer.code}"
