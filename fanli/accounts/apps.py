from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "fanli.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"


class FanliAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with ``fanli.accounts.adminsite.FanliAdminSite`` as ``admin.site``."""

    default = False  # the accounts app keeps AccountsConfig
    default_site = "fanli.accounts.adminsite.FanliAdminSite"
