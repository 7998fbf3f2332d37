from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "fanli.demo"
    label = "demo"
    verbose_name = "Demo data"
