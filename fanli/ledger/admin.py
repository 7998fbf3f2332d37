"""The ledger is append-only: the admin shows it and never edits it."""

from __future__ import annotations

from django.contrib import admin

from fanli.accounts.adminsite import ReadOnlyAdmin

from .models import LedgerEntry, OrderOffset, Payout


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "effective_date", "kind", "debit_account", "credit_account", "amount_minor", "customer",
                    "period_key", "reason")
    list_filter = ("kind", "debit_account", "credit_account")
    search_fields = ("customer__code", "idempotency_key")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("id", "statement", "customer", "form", "amount_minor", "goods_quantity", "points", "paid_on")
    list_filter = ("form",)


@admin.register(OrderOffset)
class OrderOffsetAdmin(ReadOnlyAdmin):
    list_display = ("customer", "order_reference", "order_amount_minor", "offset_minor", "effective_date")
