from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy


class CustomerKind(models.TextChoices):
    DISTRIBUTOR = "distributor", pgettext_lazy("customer kind", "Distributor")
    DEALER = "dealer", pgettext_lazy("customer kind", "Dealer")
    RETAILER = "retailer", pgettext_lazy("customer kind", "Retailer")
    JOINT_VENTURE = "joint_venture", pgettext_lazy("customer kind", "Joint venture")
    MEMBER = "member", pgettext_lazy("customer kind", "Member")


class SizeClass(models.TextChoices):
    LARGE = "large", pgettext_lazy("customer size", "Large")
    SMALL = "small", pgettext_lazy("customer size", "Small")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("customer status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("customer status", "Suspended")
    CLOSED = "closed", pgettext_lazy("customer status", "Closed")


class Relationship(models.TextChoices):
    """How close the relationship is (客户关系层次), judged by the account's owner."""

    TRANSACTIONAL = "transactional", pgettext_lazy("relationship", "Transactional")
    PREFERRED = "preferred", pgettext_lazy("relationship", "Preferred supplier")
    PARTNER = "partner", pgettext_lazy("relationship", "Partner")
    STRATEGIC = "strategic", pgettext_lazy("relationship", "Strategic alliance")


class Grade(models.Model):
    """One rung of the customer-grade ladder (normal / VIP / super-VIP, or bronze / silver / gold)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher is better.")

    class Meta:
        ordering = ["rank", "code"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=CustomerKind.choices)
    grade = models.ForeignKey(Grade, null=True, blank=True, on_delete=models.PROTECT, related_name="customers")
    size_class = models.CharField(max_length=10, choices=SizeClass.choices, default=SizeClass.SMALL)
    start_date = models.DateField(help_text="Start of the relationship; tenure is counted from here.")
    region = models.CharField(max_length=60, blank=True, db_index=True)
    industry = models.CharField(max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_customers"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="branches")
    # db_default: rows written by SQL that knows nothing of these columns (older tools) still go in
    bank_name = models.CharField(max_length=100, blank=True, default="", db_default="",
                                 help_text="Bank and branch that rebates paid in cash go to.")
    bank_account_name = models.CharField(max_length=200, blank=True, default="", db_default="",
                                         help_text="Account holder's name as the bank knows it.")
    bank_account_number = models.CharField(max_length=40, blank=True, default="", db_default="")
    # Who last changed the bank details and who, another person, verified them: a bank file pays
    # only verified accounts (``fanli.customers.services.customer_bank_verify``).
    bank_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    bank_changed_at = models.DateTimeField(null=True, blank=True)
    bank_verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    bank_verified_at = models.DateTimeField(null=True, blank=True)
    tax_id = models.CharField(max_length=18, blank=True, default="", db_default="",
                              help_text="Unified social credit code (统一社会信用代码), checked by its check character.")
    registered_address = models.CharField(max_length=300, blank=True, default="", db_default="")
    billing_address = models.CharField(max_length=300, blank=True, default="", db_default="")
    shipping_address = models.CharField(max_length=300, blank=True, default="", db_default="")
    credit_limit_minor = models.BigIntegerField(default=0)
    payment_terms_days = models.PositiveIntegerField(default=30)
    tags = models.JSONField(default=list, blank=True)
    email_opt_in = models.BooleanField(default=False)
    sms_opt_in = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    relationship = models.CharField(max_length=14, choices=Relationship.choices, default=Relationship.TRANSACTIONAL,
                                    db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(credit_limit_minor__gte=0), name="customer_credit_limit_not_negative"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="customer_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def bank_verified(self) -> bool:
        """The bank details on record were verified since they last changed."""
        return bool(self.bank_account_number) and self.bank_verified_at is not None


class CustomerSegment(models.Model):
    """A customer's segments as last computed (``fanli segments``): ABC, RFM, lifecycle."""

    class Lifecycle(models.TextChoices):
        ACQUISITION = "acquisition", pgettext_lazy("lifecycle stage", "Acquisition")
        GROWTH = "growth", pgettext_lazy("lifecycle stage", "Growth")
        MATURITY = "maturity", pgettext_lazy("lifecycle stage", "Maturity")
        DECLINE = "decline", pgettext_lazy("lifecycle stage", "Decline")
        LOST = "lost", pgettext_lazy("lifecycle stage", "Lost")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="segment")
    computed_on = models.DateField()
    abc = models.CharField(max_length=1, db_index=True)
    recency = models.PositiveSmallIntegerField()
    frequency = models.PositiveSmallIntegerField()
    monetary = models.PositiveSmallIntegerField()
    lifecycle = models.CharField(max_length=12, choices=Lifecycle.choices, db_index=True)

    @property
    def rfm(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


class SalesTarget(models.Model):
    """What a customer is expected to buy over a period (销售目标), net of returns; imported with the
    ``targets`` kind. The sales-pace warning compares the sales so far with the share of it due by now."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="targets")
    start = models.DateField()
    end = models.DateField()
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["customer", "start"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "start", "end"], name="sales_target_unique"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="sales_target_end_after_start"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="sales_target_positive"),
        ]


class NoticeKind(models.TextChoices):
    """What a customer is told about (返利通知); each contact person chooses what they receive."""

    STATEMENT = "statement", pgettext_lazy("notice kind", "Statement issued")
    PAYOUT = "payout", pgettext_lazy("notice kind", "Payout made")
    DISPUTE = "dispute", pgettext_lazy("notice kind", "Dispute answered")
    TIER = "tier", pgettext_lazy("notice kind", "Close to the next tier")
    POINTS = "points", pgettext_lazy("notice kind", "Points expiring")
    AGREEMENT = "agreement", pgettext_lazy("notice kind", "Agreement to accept")
    CONTRACT = "contract", pgettext_lazy("notice kind", "Contract expiring")


class ContactLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class ContactPerson(models.Model):
    """A person at the customer (客户资料: 联系人): how to reach them, in which language, and which
    notices they take. Imported with the ``contacts`` kind, keyed by customer and name."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_persons")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(max_length=200, blank=True)
    wechat_id = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=8, choices=ContactLanguage.choices, default=ContactLanguage.ZH_HANS)
    notices = models.JSONField(default=list, blank=True, help_text="NoticeKind values this person receives.")

    class Meta:
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="contact_person_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer.code})"

    def notice_labels(self) -> list[str]:
        labels = dict(NoticeKind.choices)
        return [str(labels[kind]) for kind in self.notices if kind in labels]


class ScoreCard(models.Model):
    """A dealer score card (经销商评分卡): its document holds the criteria and weights."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    document = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CustomerRating(models.Model):
    """A person's rating (0 to 100) of a customer on a card's manual criterion."""

    card = models.ForeignKey(ScoreCard, on_delete=models.CASCADE, related_name="ratings")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.CharField(max_length=30)
    score = models.PositiveSmallIntegerField()
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    rated_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["card", "customer", "criterion"], name="rating_unique"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="rating_at_most_100"),
        ]


class DealerScore(models.Model):
    """A customer's score on a card as last computed, with each criterion's part."""

    card = models.ForeignKey(ScoreCard, on_delete=models.CASCADE, related_name="scores")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="scores")
    computed_on = models.DateField()
    total = models.PositiveSmallIntegerField(null=True, db_index=True)
    parts = models.JSONField(default=list)

    class Meta:
        ordering = ["card", "-total"]
        constraints = [models.UniqueConstraint(fields=["card", "customer"], name="dealer_score_unique")]
