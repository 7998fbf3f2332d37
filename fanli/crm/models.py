"""Warnings (预警): something about a customer that a person should look at, with its owner."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fanli.customers.models import Customer


class Warning(models.Model):
    class Kind(models.TextChoices):
        OVERDUE_RECEIVABLE = "overdue_receivable", "Overdue receivable / 应收逾期"
        CHURN_RISK = "churn_risk", "Churn risk / 流失风险"
        PAYOUT_DUE = "payout_due", "Payout due soon / 返利即将到期"
        PAYOUT_OVERDUE = "payout_overdue", "Payout overdue / 返利逾期未付"
        POINTS_EXPIRING = "points_expiring", "Points expiring / 积分即将过期"
        DISCOUNT_BUDGET = "discount_budget", "Discount budget nearly used / 折扣预算将用完"
        REBATE_BUDGET = "rebate_budget", "Rebate cost over budget / 返利成本超预算"
        SALES_PACE = "sales_pace", "Sales behind target / 销售进度落后"
        NEAR_TIER = "near_tier", "Near the next tier / 接近下一档"
        FOLLOW_UP_DUE = "follow_up_due", "Follow-up due / 待跟进"

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
        PHONE = "T", "Phone (T) / 电话"
        EMAIL = "E", "E-mail (E) / 邮件"
        MEETING = "M", "Meeting (M) / 会议"
        VISIT = "V", "Visit (V) / 拜访"
        MESSAGE = "S", "Message (S) / 短信"

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
        QUALITY = "quality", "Product quality / 产品质量"
        DELIVERY = "delivery", "Delivery / 交货"
        BILLING = "billing", "Billing / 账单"
        REBATE = "rebate", "Rebate / 返利"
        SERVICE = "service", "Service / 服务"
        OTHER = "other", "Other / 其他"

    class Status(models.TextChoices):
        OPEN = "open", "Open / 待处理"
        IN_PROGRESS = "in_progress", "In progress / 处理中"
        RESOLVED = "resolved", "Resolved / 已解决"

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
