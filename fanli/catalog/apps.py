from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "fanli.catalog"
    label = "catalog"

    def ready(self) -> None:
        from . import importing  # noqa: F401  registers this app's import kinds with fanli.imports
