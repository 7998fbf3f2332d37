from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "fanli.catalog"
    label = "catalog"
