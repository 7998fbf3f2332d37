from fanli.common.exceptions import FanliError, StateError, ValidationFailed

__all__ = ["FanliError", "LedgerError", "StateError", "ValidationFailed"]


class LedgerError(FanliError):
    code = "ledger_error"
