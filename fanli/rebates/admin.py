"""Admin views. Published versions, statements and runs are read-only here: they change only
through the services (which audit), so the admin never edits an amount."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from fanli.common.exceptions import FanliError

from .models import Enrolment, Policy, PolicyVersion, Run, Statement
from .services import statement_approve


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = PolicyVersion
    fields = ("number", "status", "document_sha256", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


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


@admin.action(description="Approve selected draft statements")
def approve(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    done = 0
    for statement_id in queryset.values_list("id", flat=True):
        try:
            statement_approve(statement_id=statement_id, actor=request.user)
            done += 1
        except FanliError as exc:
            modeladmin.message_user(request, f"statement {statement_id}: {exc.message}", messages.WARNING)
    modeladmin.message_user(request, f"{done} statement(s) approved")


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("id", "policy", "period_key", "customer", "sequence", "kind", "amount_minor", "state", "due_date")
    list_filter = ("state", "kind", "policy", "period_key")
    search_fields = ("customer__code", "customer__name")
    actions = [approve]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # the list (and its actions) but never an edit form
