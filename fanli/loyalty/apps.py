from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "fanli.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"
