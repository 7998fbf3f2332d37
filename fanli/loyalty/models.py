"""Loyalty programmes, members, and the points ledger: lots with their own expiry, and every
movement (earn, redeem, take back, expire) that changed them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from fanli.customers.models import Customer


class Programme(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    document = models.JSONField()
    document_sha256 = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Member(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="memberships")
    tier_code = models.CharField(max_length=30)
    tier_since = models.DateField()
    joined_on = models.DateField()
    email_opt_in = models.BooleanField(default=False)
    below_since = models.DateField(null=True, blank=True,
                                   help_text="First review that found the spend below the tier; downgrade after the grace.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "customer"], name="member_programme_customer")]


class PointLot(models.Model):
    """Points earned together, expiring together. ``remaining`` is kept by every movement, so
    a member's balance is the sum of remainders and expiry is one set-based statement."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", pgettext_lazy("points source", "Purchase")
        BONUS = "bonus", pgettext_lazy("points source", "Bonus")
        REBATE = "rebate", pgettext_lazy("points source", "Rebate paid in points")
        DEBT = "debt", pgettext_lazy("points source", "Taken back beyond the balance")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="lots")
    source = models.CharField(max_length=10, choices=Source.choices)
    source_ref = models.CharField(max_length=120, help_text="invoice:line, or the bonus event")
    earned_on = models.DateField()
    expires_on = models.DateField()
    points = models.BigIntegerField()
    remaining = models.BigIntegerField()
    net_minor = models.BigIntegerField(default=0, help_text="The purchase amount that earned the points.")

    class Meta:
        indexes = [models.Index(fields=["expires_on"], name="lot_expires_on"),
                   models.Index(fields=["member", "expires_on"], name="lot_member_expiry")]
        constraints = [
            models.UniqueConstraint(fields=["member", "source_ref"], name="lot_member_source_unique"),
            models.CheckConstraint(condition=models.Q(remaining__lte=models.F("points")) | models.Q(source="debt"),
                                   name="lot_remaining_at_most_points"),
            models.CheckConstraint(condition=models.Q(remaining__gte=0) | models.Q(source="debt"),
                                   name="lot_remaining_not_negative"),
        ]


class PointMovement(models.Model):
    """One change to one lot. Never edited; the sum over a lot is its remainder."""

    class Kind(models.TextChoices):
        EARN = "earn", pgettext_lazy("points movement", "Earned")
        REDEEM = "redeem", pgettext_lazy("points movement", "Redeemed")
        TAKE_BACK = "take_back", pgettext_lazy("points movement", "Taken back (return)")
        EXPIRE = "expire", pgettext_lazy("points movement", "Expired")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="movements")
    lot = models.ForeignKey(PointLot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    day = models.DateField()
    points = models.BigIntegerField(help_text="Signed: earning positive, the rest negative.")
    reference = models.CharField(max_length=120)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["member", "day"], name="movement_member_day")]


class TierChange(models.Model):
    """The history of a member's tier: every upgrade and downgrade, with the spend behind it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="tier_changes")
    day = models.DateField()
    from_tier = models.CharField(max_length=30, blank=True)
    to_tier = models.CharField(max_length=30)
    qualifying_spend_minor = models.BigIntegerField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["day", "id"]


class Redemption(models.Model):
    """What points were spent on: money off an order, a coupon, or goods."""

    class Form(models.TextChoices):
        DISCOUNT = "discount", pgettext_lazy("redemption form", "Money off an order")
        COUPON = "coupon", pgettext_lazy("redemption form", "Coupon")
        GOODS = "goods", pgettext_lazy("redemption form", "Goods")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="redemptions")
    form = models.CharField(max_length=10, choices=Form.choices)
    reference = models.CharField(max_length=120)
    day = models.DateField()
    points = models.BigIntegerField()
    value_minor = models.BigIntegerField(help_text="What the points were worth at the programme's point value.")
    sku = models.CharField(max_length=60, blank=True)
    quantity = models.PositiveIntegerField(default=0)
    coupon_code = models.CharField(max_length=20, blank=True, db_index=True)
    coupon_expires_on = models.DateField(null=True, blank=True)
    coupon_used_invoice = models.CharField(max_length=60, blank=True, help_text="The invoice the coupon paid towards.")
    coupon_used_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "reference"], name="redemption_member_reference")]
