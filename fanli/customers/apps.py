from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "fanli.customers"
    label = "customers"

    def ready(self) -> None:
        from . import importing  # noqa: F401  registers this app's import kinds with fanli.imports
