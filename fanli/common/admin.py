from __future__ import annotations

from django.contrib import admin

from fanli.rebates.admin import ReadOnlyAdmin

from .models import ApiToken, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked_at")
