from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fanli.accounts.selectors import can
from fanli.rebates.admin import ReadOnlyAdmin

from .exceptions import FanliError
from .models import ApiToken, AuditEvent
from .services import api_token_revoke


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")


@admin.action(description=gettext_lazy("Revoke selected tokens"), permissions=["revoke"])
def revoke(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    """Through the service, with its checks and audit event, one token at a time."""
    done = 0
    for token_id in queryset.order_by("id").values_list("id", flat=True):
        try:
            api_token_revoke(token_id=token_id, actor=request.user)
            done += 1
        except FanliError as exc:
            modeladmin.message_user(request, _("Token %(id)s was not revoked: %(why)s") % {"id": token_id,
                                                                                          "why": exc.message},
                                    messages.WARNING)
    modeladmin.message_user(request, _("%(count)d token(s) revoked") % {"count": done})


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    exclude = ("token_sha256",)
    actions = [revoke]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "tokens")
