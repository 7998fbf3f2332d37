from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "fanli.sales"
    label = "sales"
