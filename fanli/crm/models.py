"""Warnings (预警): something about a customer that a person should look at, with its owner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from fanli.customers.models import Customer


class Warning(models.Model):
    class Kind(models.TextChoices):
        OVERDUE_RECEIVABLE = "overdue_receivable", pgettext_lazy("warning kind", "Overdue receivable")
        CHURN_RISK = "churn_risk", pgettext_lazy("warning kind", "Churn risk")
        PAYOUT_DUE = "payout_due", pgettext_lazy("warning kind", "Payout due soon")
        PAYOUT_OVERDUE = "payout_overdue", pgettext_lazy("warning kind", "Payout overdue")
        POINTS_EXPIRING = "points_expiring", pgettext_lazy("warning kind", "Points expiring")
        DISCOUNT_BUDGET = "discount_budget", pgettext_lazy("warning kind", "Discount budget nearly used")
        REBATE_BUDGET = "rebate_budget", pgettext_lazy("warning kind", "Rebate cost over budget")
        SALES_PACE = "sales_pace", pgettext_lazy("warning kind", "Sales behind target")
        NEAR_TIER = "near_tier", pgettext_lazy("warning kind", "Near the next tier")
        FOLLOW_UP_DUE = "follow_up_due", pgettext_lazy("warning kind", "Follow-up due")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120, help_text="What the warning is about; the same key never warns twice.")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="warnings")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="warnings")
    reason = models.CharField(max_length=400)
    amount_minor = models.BigIntegerField(default=0)
    raised_on = models.DateField()
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="warning_kind_key_unique")]


class Interaction(models.Model):
    """One contact with a customer (客户接触记录): what was said, what came of it, what comes next."""

    class Channel(models.TextChoices):
        PHONE = "T", pgettext_lazy("contact channel", "Phone (T)")
        EMAIL = "E", pgettext_lazy("contact channel", "E-mail (E)")
        MEETING = "M", pgettext_lazy("contact channel", "Meeting (M)")
        VISIT = "V", pgettext_lazy("contact channel", "Visit (V)")
        MESSAGE = "S", pgettext_lazy("contact channel", "Message (S)")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(max_length=1, choices=Channel.choices)
    happened_on = models.DateField()
    summary = models.CharField(max_length=500)
    outcome = models.CharField(max_length=300, blank=True)
    next_follow_up = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["happened_on", "customer"])]


class FollowUp(models.Model):
    """A task to get back to a customer by a date; its owner is reminded when it falls due."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    interaction = models.ForeignKey(Interaction, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="follow_ups")
    title = models.CharField(max_length=300)
    due_on = models.DateField(db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="follow_ups")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]


class Complaint(models.Model):
    """A customer's complaint (客户投诉), from opening to resolution."""

    class Category(models.TextChoices):
        QUALITY = "quality", pgettext_lazy("complaint category", "Product quality")
        DELIVERY = "delivery", pgettext_lazy("complaint category", "Delivery")
        BILLING = "billing", pgettext_lazy("complaint category", "Billing")
        REBATE = "rebate", pgettext_lazy("complaint category", "Rebate")
        SERVICE = "service", pgettext_lazy("complaint category", "Service")
        OTHER = "other", pgettext_lazy("complaint category", "Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("complaint state", "Open")
        IN_PROGRESS = "in_progress", pgettext_lazy("complaint state", "In progress")
        RESOLVED = "resolved", pgettext_lazy("complaint state", "Resolved")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="complaints")
    category = models.CharField(max_length=12, choices=Category.choices)
    summary = models.CharField(max_length=500)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    opened_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    resolution = models.CharField(max_length=500, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(resolved_on__isnull=True) | models.Q(resolved_on__gte=models.F("opened_on")),
            name="complaint_resolved_after_opened")]

    @property
    def resolution_days(self) -> int | None:
        return None if self.resolved_on is None else (self.resolved_on - self.opened_on).days


class SurveyResponse(models.Model):
    """One answer to a satisfaction survey (满意度调查): a score from 1 (very unhappy) to 5."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_responses")
    answered_on = models.DateField()
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=1000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-answered_on", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5),
                                              name="survey_score_1_to_5")]
