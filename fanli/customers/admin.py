from __future__ import annotations

from django.contrib import admin

from fanli.accounts.adminsite import ReadOnlyAdmin

from .models import Customer, Grade


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "rank")


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "grade", "region", "parent", "status", "start_date")
    list_filter = ("kind", "grade", "region", "status", "size_class")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "owner")
