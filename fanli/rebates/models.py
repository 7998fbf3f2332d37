from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

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
    """One version of a policy document. Published versions are never edited.

    A draft is submitted by its author and published by another person (four eyes); editing a
    submitted version takes it back to draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("version status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("version status", "Submitted for approval")
        PUBLISHED = "published", pgettext_lazy("version status", "Published")
        RETIRED = "retired", pgettext_lazy("version status", "Retired")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    document_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

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
    """One row per (policy, period): settlements lock it so two runs never post twice, and it keeps
    the stamp of the period's last computation, so a later run recomputes the period only when
    something that feeds it changed (``fanli.rebates.rechecks``)."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    period_key = models.CharField(max_length=10)
    settled = models.BooleanField(
        default=False, help_text="A final settlement computed the period: later runs check it for late data.")
    computed_as_of = models.DateField(null=True, blank=True, help_text="Sales counted up to here; None: no stamp.")
    computed_version = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    version_pinned = models.BooleanField(default=False, help_text="The period has statements: it keeps that version.")
    computed_revisions = models.JSONField(default=dict, blank=True, help_text="Revision counters read before computing.")
    computed_run = models.ForeignKey("Run", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "period_key"], name="settlement_lock_unique")]


class Run(models.Model):
    """An accrual or settlement run, for progress and history."""

    class Kind(models.TextChoices):
        ACCRUAL = "accrual", pgettext_lazy("run kind", "Accrual")
        SETTLEMENT = "settlement", pgettext_lazy("run kind", "Settlement")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    period_key = models.CharField(max_length=10)
    as_of = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]


class PaymentBatch(models.Model):
    """Approved statements paid together (付款批次): one reference for the bank, one file of
    transfers (a row per payee), marked paid in one step once the bank confirms."""

    class State(models.TextChoices):
        PREPARED = "prepared", pgettext_lazy("payment batch state", "Prepared, waiting for the bank")
        PAID = "paid", pgettext_lazy("payment batch state", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("payment batch state", "Cancelled")

    reference = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREPARED)
    currency = models.CharField(max_length=3, default="CNY")
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    paid_on = models.DateField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.reference


class Statement(models.Model):
    """A settlement statement (or adjustment) for one customer, policy and period.

    ``amount_minor`` is what this statement adds: the rebate earned as of ``as_of`` minus
    everything earlier statements of the same customer, policy and period already settled.
    Amount and explanation never change after creation; only ``state`` moves on.
    """

    class Kind(models.TextChoices):
        SETTLEMENT = "settlement", pgettext_lazy("statement kind", "Settlement")
        INTERIM = "interim", pgettext_lazy("statement kind", "Interim")
        ADJUSTMENT = "adjustment", pgettext_lazy("statement kind", "Adjustment")
        MANUAL = "manual", pgettext_lazy("statement kind", "Manual adjustment")

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("statement state", "Draft")
        APPROVED = "approved", pgettext_lazy("statement state", "Approved")
        PAID = "paid", pgettext_lazy("statement state", "Paid")
        DISPUTED = "disputed", pgettext_lazy("statement state", "Disputed")

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
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_on = models.DateField(null=True, blank=True, help_text="Business date of the approval; no payout before it.")
    payment_batch = models.ForeignKey(PaymentBatch, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="statements",
                                      help_text="The batch it is being paid in, or was paid in; none once a batch is cancelled.")

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

    @property
    def counted_through(self) -> date:
        """The last day whose sales this statement pays for: the period's end, or an interim
        statement's cut-off. It is approved and paid only after that day."""
        return min(self.period_end, self.as_of)

    def counted_through_text(self) -> str:
        if self.counted_through == self.period_end:
            return f"its period {self.period_key} ended on {self.period_end}"
        return f"it counts sales up to {self.counted_through}"


class Dispute(models.Model):
    """A customer's objection to a statement (争议), its conversation and how it ended.

    It ends either with the figure confirmed, or with a manual adjustment: proposed by one
    person, approved by another, and booked as a statement of kind ``manual``.
    """

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("dispute state", "Open")
        PROPOSED = "proposed", pgettext_lazy("dispute state", "Adjustment proposed")
        RESOLVED = "resolved", pgettext_lazy("dispute state", "Resolved")

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", pgettext_lazy("dispute outcome", "Figure confirmed")
        ADJUSTED = "adjusted", pgettext_lazy("dispute outcome", "Adjusted")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="disputes")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    reason = models.TextField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    proposed_minor = models.BigIntegerField(null=True, blank=True)
    proposal_reason = models.TextField(blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    proposed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    adjustment = models.OneToOneField(Statement, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="settles_dispute")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["statement"], condition=~models.Q(state="resolved"),
                                    name="dispute_one_open_per_statement"),
            models.CheckConstraint(condition=~models.Q(proposed_minor=0), name="dispute_proposal_not_zero"),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on statement {self.statement_id}"


class DisputeMessage(models.Model):
    """One entry of a dispute's thread: a message, or an event the system wrote (``author`` None)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="Staff only: the customer never sees it.")
    event = models.CharField(max_length=20, blank=True, help_text="opened, proposed, rejected, resolved; empty for a message")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class AgreementAcceptance(models.Model):
    """A customer's acceptance of one exact version of a policy's agreement, kept as evidence:
    who accepted, when, from where (address and browser), and the version's content hash."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="agreement_acceptances")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acceptances")
    document_sha256 = models.CharField(max_length=64)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint(fields=["customer", "policy_version"], name="agreement_accepted_once")]

    def __str__(self) -> str:
        return f"{self.customer_id} accepted {self.policy_version_id}"
