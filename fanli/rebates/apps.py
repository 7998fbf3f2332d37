from django.apps import AppConfig


class RebatesConfig(AppConfig):
    name = "fanli.rebates"
    label = "rebates"
