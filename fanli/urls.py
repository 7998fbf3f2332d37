"""URLs: the web UI (back office and portal), the Django admin (read-only, administrators only;
see fanli/accounts/adminsite.py) and the JSON API."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views import defaults

from fanli import api as api_root
from fanli.api import api

urlpatterns = [
    path("", include("fanli.web.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api_root.unknown_path),  # before ninja's own root, which answers Django's HTML 404
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_root.unknown_path),  # the JSON error shape, never the HTML 404 page
]


def server_error(request: HttpRequest) -> HttpResponse:
    """A finished page (templates/500.html) or, under /api/, the JSON error shape; never a traceback."""
    if request.path.startswith("/api/"):
        return api_root.server_error(request)
    return defaults.server_error(request)


handler500 = server_error


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (too many fields, an unreadable body): the JSON
    error shape under /api/, a finished page (templates/400.html) elsewhere."""
    if request.path.startswith("/api/"):
        return api_root.bad_request(request)
    return defaults.bad_request(request, exception)


handler400 = bad_request
