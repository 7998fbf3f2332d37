"""The Django admin as a read-only window for administrators.

Only a user with the administrator role (or a superuser) reaches ``/admin/``: a visitor who is not
logged in is sent to the one login page (``/login/``, throttled), anyone else logged in gets the
plain 403 page at every admin address, so they learn nothing of what it holds. The admin's own
login form is never shown: ``/admin/login/`` sends to ``/login/`` with its ``next``.

Every model is shown through ``ReadOnlyAdmin``: no add, change or delete, so no bulk delete
either. Data changes only through the services, from the back office, the API or the commands,
where the permission checks and the four-eyes rules live. An admin action is allowed only when
it calls such a service (with ``allowed_permissions`` that check the same right).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from .models import Role
from .selectors import user_roles

View = TypeVar("View", bound=Callable[..., Any])


class FanliAdminSite(admin.AdminSite):
    site_header = "Fanli 返利"
    site_title = "Fanli"
    index_title = gettext_lazy("Read-only view for administrators")

    def has_permission(self, request: HttpRequest) -> bool:
        return Role.ADMINISTRATOR in user_roles(request.user)

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        """Every admin address: not logged in -> the login page; logged in without the role -> 403."""

        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        if not cacheable:
            inner = never_cache(inner)
        if not getattr(view, "csrf_exempt", False):
            inner = csrf_protect(inner)
        return cast(View, update_wrapper(inner, view))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """One login form for the whole site: the throttled one. Nothing posted here is checked."""
        return redirect_to_login(request.GET.get("next") or reverse("admin:index", current_app=self.name))

    def password_change(  # type: ignore[override]  # a redirect, not the admin's form
            self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        messages.info(request, _("Passwords are set with the command “fanli user password USERNAME”, which is audited."))
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))

    def password_change_done(  # type: ignore[override]
            self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Administrators see the model; nobody adds, changes or deletes it here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
