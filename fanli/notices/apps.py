from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "fanli.notices"
    label = "notices"
    verbose_name = "Notices to customers"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the delivery job)
