from django.apps import AppConfig


class DiscountsConfig(AppConfig):
    name = "fanli.discounts"
    label = "discounts"
    verbose_name = "Discounts"
