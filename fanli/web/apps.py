from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fanli.web"
    label = "web"
    verbose_name = "Web"
