from __future__ import annotations

from django.contrib import admin

from fanli.accounts.adminsite import ReadOnlyAdmin

from .models import Brand, Category, Product


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")


@admin.register(Brand)
class BrandAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("sku", "name", "category", "brand", "unit", "list_price_minor", "active")
    list_filter = ("category", "brand", "active")
    search_fields = ("sku", "name")
