from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "fanli.imports"
    label = "imports"
