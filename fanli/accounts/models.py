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


class PortalAccess(models.Model):
    """A customer's own login to the portal: one user, one customer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_access")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="portal_users")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} -> {self.customer.code}"
