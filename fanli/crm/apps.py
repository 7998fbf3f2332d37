from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "fanli.crm"
    label = "crm"
    verbose_name = "Customer management"
