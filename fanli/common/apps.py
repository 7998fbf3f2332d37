from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "fanli.common"
    label = "common"
    verbose_name = "Common"
