from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fanli.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
