"""URLs: the web UI (back office and portal), the Django admin and the JSON API."""

from django.contrib import admin
from django.urls import include, path

from fanli.api import api

admin.site.site_header = "Fanli 返利"
admin.site.site_title = "Fanli"
admin.site.index_title = "Back office"

urlpatterns = [
    path("", include("fanli.web.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
