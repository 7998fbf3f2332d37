from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from fanli.catalog.models import Product
from fanli.customers.models import Customer
from fanli.imports.models import ImportBatch


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", pgettext_lazy("sales document kind", "Invoice")
    RETURN = "return", pgettext_lazy("sales document kind", "Return")


class SalesDocument(models.Model):
    number = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    document_date = models.DateField()
    basis_date = models.DateField(help_text="Date deciding the period: the reversed invoice's date for a return.")
    # indexed by (customer, document_date) below; a separate index would only slow imports
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents", db_index=False)
    currency = models.CharField(max_length=3, default="CNY")
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="returns",
        help_text="For a return: the invoice it reverses.",
    )
    total_minor = models.BigIntegerField(help_text="Signed sum of the lines' net amounts.")
    due_date = models.DateField(null=True, blank=True)
    paid_minor = models.BigIntegerField(
        default=0, help_text="Paid so far, never beyond the total: negative (refunded) on a return."
    )
    content_sha256 = models.CharField(max_length=64)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_date", "number"]
        indexes = [models.Index(fields=["customer", "document_date"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="invoice", total_minor__gte=0) | models.Q(kind="return", total_minor__lte=0)),
                name="sales_document_total_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | models.Q(kind="return"),
                name="sales_document_only_returns_reverse",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="invoice", paid_minor__gte=0, paid_minor__lte=models.F("total_minor"))
                    | models.Q(kind="return", paid_minor__lte=0, paid_minor__gte=models.F("total_minor"))
                ),
                name="sales_document_paid_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class SalesLine(models.Model):
    # indexed by the unique (document, line_number) below
    document = models.ForeignKey(SalesDocument, on_delete=models.PROTECT, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity_milli = models.BigIntegerField(help_text="Quantity x 1000, negative on returns.")
    unit_price_minor = models.BigIntegerField()
    net_amount_minor = models.BigIntegerField(help_text="After line discounts, excluding tax; negative on returns.")
    # Denormalised from the document so that aggregations scan one table.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)  # see indexes
    basis_date = models.DateField()
    is_return = models.BooleanField(default=False)

    class Meta:
        ordering = ["document_id", "line_number"]
        indexes = [
            # A period's aggregations read only this index: the date range, then every column they
            # group, sum or join on (fanli.rebates.selectors.aggregation_sql, count_orders), never
            # the table's pages, whatever order the lines were written in.
            models.Index(fields=["basis_date", "customer", "product", "net_amount_minor", "quantity_milli", "is_return",
                                 "document"], name="sales_line_basis_cover"),
            models.Index(fields=["customer", "basis_date"], name="sales_line_customer_basis"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["document", "line_number"], name="sales_line_document_line_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(is_return=False, quantity_milli__gte=0, net_amount_minor__gte=0)
                    | models.Q(is_return=True, quantity_milli__lte=0, net_amount_minor__lte=0)
                ),
                name="sales_line_sign_matches_kind",
            ),
            models.CheckConstraint(condition=models.Q(unit_price_minor__gte=0), name="sales_line_unit_price_not_negative"),
        ]
