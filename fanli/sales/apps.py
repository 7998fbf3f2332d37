from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "fanli.sales"
    label = "sales"

    def ready(self) -> None:
        from . import importing  # noqa: F401  registers this app's import kinds with fanli.imports
