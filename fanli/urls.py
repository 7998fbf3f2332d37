"""URLs: the back office (Django admin, until the web UI lands) and the JSON API."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from fanli.api import api

admin.site.site_header = "Fanli 返利"
admin.site.site_title = "Fanli"
admin.site.index_title = "Back office"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
