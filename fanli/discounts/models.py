"""Discount rules as versioned documents, customers' contract percents, and the usage ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from fanli.customers.models import Customer


class DiscountRule(models.Model):
    """A discount rule (折扣规则): a code over a series of immutable versions."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DiscountRuleVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("version status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("version status", "Submitted for approval")
        PUBLISHED = "published", pgettext_lazy("version status", "Published")
        RETIRED = "retired", pgettext_lazy("version status", "Retired")

    rule = models.ForeignKey(DiscountRule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    document_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["rule_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="discount_version_number_unique"),
            models.UniqueConstraint(fields=["rule"], condition=models.Q(status="published"),
                                    name="discount_one_published_version"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.number}"


class DiscountContract(models.Model):
    """A customer's contract percent (协议折扣) under a rule: it replaces the rule's percent."""

    rule = models.ForeignKey(DiscountRule, on_delete=models.PROTECT, related_name="contracts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="discount_contracts")
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "customer"], name="discount_contract_unique"),
            models.CheckConstraint(condition=models.Q(percent__gte=0, percent__lte=100),
                                   name="discount_contract_percent_range"),
        ]


class DiscountRuleUse(models.Model):
    """How much a rule has been used in all: locked while an invoice's discounts are recorded."""

    rule = models.OneToOneField(DiscountRule, on_delete=models.PROTECT, related_name="use")
    invoices = models.PositiveIntegerField(default=0)
    spent_minor = models.BigIntegerField(default=0)


class DiscountCustomerUse(models.Model):
    """How many invoices of one customer a rule has discounted."""

    rule = models.ForeignKey(DiscountRule, on_delete=models.PROTECT, related_name="customer_uses")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    invoices = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "customer"], name="discount_customer_use_unique")]


class DiscountUsage(models.Model):
    """One applied discount on one invoice line (the usage ledger). Never edited."""

    rule = models.ForeignKey(DiscountRule, on_delete=models.PROTECT, related_name="usages")
    rule_version = models.ForeignKey(DiscountRuleVersion, on_delete=models.PROTECT, related_name="usages")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="discount_usages")
    invoice_number = models.CharField(max_length=60)
    line_number = models.PositiveIntegerField()
    invoice_date = models.DateField()
    percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice_number", "line_number", "id"]
        indexes = [models.Index(fields=["customer", "invoice_date"])]
        constraints = [
            models.UniqueConstraint(fields=["rule", "invoice_number", "line_number"], name="discount_usage_unique"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="discount_usage_positive"),
        ]


class DiscountedInvoice(models.Model):
    """An invoice whose discounts were recorded: its number is the idempotency key."""

    number = models.CharField(max_length=60, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    invoice_date = models.DateField()
    request_sha256 = models.CharField(max_length=64)
    gross_minor = models.BigIntegerField()
    discount_minor = models.BigIntegerField()
    quote = models.JSONField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
