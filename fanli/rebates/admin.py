"""Policies, versions, enrolments, runs and statements in the admin: read-only. Statements are
approved in the back office (or with ``fanli statement approve``), where the role checks and the
four-eyes rules live; the admin has no action that changes them."""

from __future__ import annotations

from django.contrib import admin

from fanli.accounts.adminsite import ReadOnlyAdmin, ReadOnlyInline

from .models import Enrolment, Policy, PolicyVersion, Run, Statement

__all__ = ["ReadOnlyAdmin"]  # also imported from here by fanli.common.admin


class VersionInline(ReadOnlyInline):
    model = PolicyVersion
    fields = ("number", "status", "document_sha256", "published_at")
    readonly_fields = fields


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "created_at")
    inlines = [VersionInline]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("policy", "number", "status", "published_at")
    list_filter = ("status",)


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("policy", "customer", "valid_from", "valid_until")
    list_filter = ("policy",)
    search_fields = ("customer__code", "customer__name")


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "period_key", "as_of", "started_at", "finished_at")
    list_filter = ("kind",)


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("id", "policy", "period_key", "customer", "sequence", "kind", "amount_minor", "state", "due_date")
    list_filter = ("state", "kind", "policy", "period_key")
    search_fields = ("customer__code", "customer__name")
