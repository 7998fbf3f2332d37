from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "fanli.customers"
    label = "customers"
