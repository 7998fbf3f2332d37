"""Users and roles in the admin: read-only, like every model there.

Django's own user and group admin would let an administrator create users, grant superuser
status or change a password with no audit event. Users are managed with ``fanli user`` (create,
role, password, deactivate, activate), whose services record each change; the admin only shows
them, never a password hash.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .adminsite import ReadOnlyAdmin

User = get_user_model()

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "email", "roles", "is_active", "is_superuser", "last_login")
    list_filter = ("is_active", "is_superuser", "groups")
    search_fields = ("username", "email")
    fields = ("username", "first_name", "last_name", "email", "groups", "is_active", "is_staff", "is_superuser",
              "last_login", "date_joined")

    @admin.display(description="roles")
    def roles(self, user: Any) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all()))

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("name",)
    fields = ("name",)
