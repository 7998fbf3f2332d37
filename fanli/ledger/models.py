from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from fanli.catalog.models import Product
from fanli.customers.models import Customer


class Account(models.TextChoices):
    REBATE_EXPENSE = "rebate_expense", pgettext_lazy("ledger account", "Rebate expense")
    ACCRUED_REBATES = "accrued_rebates", pgettext_lazy("ledger account", "Accrued rebates")
    REBATES_PAYABLE = "rebates_payable", pgettext_lazy("ledger account", "Rebates payable")
    REBATE_ACCOUNT = "rebate_account", pgettext_lazy("ledger account", "Customer rebate account")
    CASH = "cash", pgettext_lazy("ledger account", "Cash and bank")
    GOODS_ISSUED = "goods_issued", pgettext_lazy("ledger account", "Goods issued as rebate")
    POINTS_LIABILITY = "points_liability", pgettext_lazy("ledger account", "Points liability")
    RECEIVABLES = "receivables", pgettext_lazy("ledger account", "Receivables")


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", pgettext_lazy("ledger entry kind", "Accrual")
    ACCRUAL_RELEASE = "accrual_release", pgettext_lazy("ledger entry kind", "Accrual release")
    SETTLEMENT = "settlement", pgettext_lazy("ledger entry kind", "Settlement")
    PAYOUT = "payout", pgettext_lazy("ledger entry kind", "Payout")
    ORDER_OFFSET = "order_offset", pgettext_lazy("ledger entry kind", "Order offset")
    CREDIT_EXPIRY = "credit_expiry", pgettext_lazy("ledger entry kind", "Credit expiry")
    REVERSAL = "reversal", pgettext_lazy("ledger entry kind", "Reversal")


class LedgerEntry(models.Model):
    effective_date = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    debit_account = models.CharField(max_length=20, choices=Account.choices)
    credit_account = models.CharField(max_length=20, choices=Account.choices)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="CNY")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    policy = models.ForeignKey("rebates.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period_key = models.CharField(max_length=10, blank=True)
    statement = models.ForeignKey("rebates.Statement", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    payout = models.ForeignKey("Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["customer", "credit_account"]),
            models.Index(fields=["customer", "debit_account"]),
            models.Index(fields=["policy", "period_key"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(debit_account=models.F("credit_account")), name="ledger_accounts_differ"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.debit_account}->{self.credit_account} {self.amount_minor}"


class PayoutForm(models.TextChoices):
    REBATE_ACCOUNT = "rebate_account", pgettext_lazy("payout form", "Rebate-account credit")
    CASH = "cash", pgettext_lazy("payout form", "Cash")
    GOODS = "goods", pgettext_lazy("payout form", "Goods")
    POINTS = "points", pgettext_lazy("payout form", "Points")


class Payout(models.Model):
    """Payment of one statement, in the form its policy names."""

    statement = models.OneToOneField("rebates.Statement", on_delete=models.PROTECT, related_name="payout")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payouts")
    form = models.CharField(max_length=20, choices=PayoutForm.choices)
    amount_minor = models.BigIntegerField(help_text="The statement's amount; negative recovers a clawback.")
    recovered_from_credit_minor = models.BigIntegerField(default=0, help_text="Clawback taken from rebate-account credit.")
    goods_product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    goods_quantity = models.PositiveIntegerField(default=0)
    goods_value_minor = models.BigIntegerField(default=0)
    remainder_credit_minor = models.BigIntegerField(default=0)
    points = models.BigIntegerField(default=0)
    reference = models.CharField(max_length=100, blank=True)
    paid_on = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_minor=0), name="payout_amount_not_zero"),
            models.CheckConstraint(
                condition=models.Q(
                    goods_value_minor__gte=0, remainder_credit_minor__gte=0, points__gte=0,
                    recovered_from_credit_minor__gte=0,
                ),
                name="payout_parts_not_negative",
            ),
        ]


class OrderOffset(models.Model):
    """Rebate-account credit used against a customer's order, spread over its lines."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="order_offsets")
    order_reference = models.CharField(max_length=60)
    order_amount_minor = models.BigIntegerField()
    offset_minor = models.BigIntegerField()
    line_split = models.JSONField(default=list)
    effective_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "order_reference"], name="order_offset_once_per_order"),
            models.CheckConstraint(condition=models.Q(offset_minor__gt=0), name="order_offset_positive"),
        ]


class CreditLot(models.Model):
    """Rebate-account credit from one payout. Use consumes the earliest-expiring lot first."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_lots")
    payout = models.OneToOneField(Payout, on_delete=models.PROTECT, related_name="credit_lot")
    amount_minor = models.BigIntegerField()
    expires_on = models.DateField(null=True, blank=True, help_text="Last day the credit can be used; empty: never.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "expires_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="credit_lot_amount_positive")]


class CreditUse(models.Model):
    """Credit taken from a lot: by an order, by a clawback recovery, or by expiry."""

    class Kind(models.TextChoices):
        ORDER = "order", pgettext_lazy("credit use", "Used on an order")
        CLAWBACK = "clawback", pgettext_lazy("credit use", "Recovered for a clawback")
        EXPIRY = "expiry", pgettext_lazy("credit use", "Expired")

    lot = models.ForeignKey(CreditLot, on_delete=models.PROTECT, related_name="uses")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_minor = models.BigIntegerField()
    order_offset = models.ForeignKey(OrderOffset, null=True, blank=True, on_delete=models.PROTECT, related_name="uses")
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_uses")
    effective_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="credit_use_amount_positive"),
            models.UniqueConstraint(fields=["lot"], condition=models.Q(kind="expiry"), name="credit_lot_expires_once"),
        ]
