"""Warnings (预警): something about a customer that a person should look at, with its owner."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fanli.customers.models import Customer


class Warning(models.Model):
    class Kind(models.TextChoices):
        OVERDUE_RECEIVABLE = "overdue_receivable", "Overdue receivable / 应收逾期"
        CHURN_RISK = "churn_risk", "Churn risk / 流失风险"
        PAYOUT_OVERDUE = "payout_overdue", "Payout overdue / 返利逾期未付"
        POINTS_EXPIRING = "points_expiring", "Points expiring / 积分即将过期"
        DISCOUNT_BUDGET = "discount_budget", "Discount budget nearly used / 折扣预算将用完"

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
