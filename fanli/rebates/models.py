from __future__ import annotations

from django.conf import settings
from django.db import models

from fanli.customers.models import Customer


class Policy(models.Model):
    """A rebate policy (返利政策): a name over a series of immutable published versions."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PolicyVersion(models.Model):
    """One version of a policy document. Published versions are never edited."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    document_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique"),
            models.UniqueConstraint(
                fields=["policy"], condition=models.Q(status="published"), name="policy_one_published_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code} v{self.number}"


class Enrolment(models.Model):
    """A customer's rebate agreement (返利协议) under a policy, optionally overriding its terms."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="enrolments")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="enrolments")
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    overrides = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "customer"], name="enrolment_policy_customer_unique")]


class SettlementLock(models.Model):
    """One row per (policy, period): settlements lock it so two runs never post twice."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    period_key = models.CharField(max_length=10)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "period_key"], name="settlement_lock_unique")]


class Run(models.Model):
    """An accrual or settlement run, for progress and history."""

    class Kind(models.TextChoices):
        ACCRUAL = "accrual", "Accrual"
        SETTLEMENT = "settlement", "Settlement"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    period_key = models.CharField(max_length=10)
    as_of = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]


class Statement(models.Model):
    """A settlement statement (or adjustment) for one customer, policy and period.

    ``amount_minor`` is what this statement adds: the rebate earned as of ``as_of`` minus
    everything earlier statements of the same customer, policy and period already settled.
    Amount and explanation never change after creation; only ``state`` moves on.
    """

    class Kind(models.TextChoices):
        SETTLEMENT = "settlement", "Settlement / 结算"
        INTERIM = "interim", "Interim / 预付"
        ADJUSTMENT = "adjustment", "Adjustment / 调整"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft / 草稿"
        APPROVED = "approved", "Approved / 已审批"
        PAID = "paid", "Paid / 已支付"
        DISPUTED = "disputed", "Disputed / 争议中"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="statements")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="statements")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="statements")
    period_key = models.CharField(max_length=10)
    period_start = models.DateField()
    period_end = models.DateField()
    as_of = models.DateField(help_text="Sales up to this date counted.")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    currency = models.CharField(max_length=3, default="CNY")
    basis_minor = models.BigIntegerField(default=0)
    earned_minor = models.BigIntegerField(help_text="Rounded rebate earned for the period as of this statement.")
    previously_settled_minor = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField(help_text="earned - previously settled; negative is a clawback.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    due_date = models.DateField()
    explanation = models.JSONField()
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.PROTECT, related_name="statements")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_start", "policy_id", "customer_id", "sequence"]
        indexes = [models.Index(fields=["policy", "period_key"]), models.Index(fields=["state", "due_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "policy", "period_key", "sequence"], name="statement_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor=models.F("earned_minor") - models.F("previously_settled_minor")),
                name="statement_amount_is_earned_minus_previous",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code} {self.period_key} {self.customer.code} #{self.sequence}"
