from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "fanli.ledger"
    label = "ledger"
