"""URLs: the web UI (back office and portal), the Django admin (read-only, administrators only;
see fanli/accounts/adminsite.py) and the JSON API."""

from django.contrib import admin
from django.urls import include, path

from fanli.api import api

urlpatterns = [
    path("", include("fanli.web.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
