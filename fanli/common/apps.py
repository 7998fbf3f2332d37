from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "fanli.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")  # each app's job handlers register themselves
