from fanli.common.exceptions import Conflict, FanliError, NotFound, StateError, ValidationFailed

__all__ = ["Conflict", "FanliError", "NotFound", "PolicyError", "StateError", "ValidationFailed"]


class PolicyError(FanliError):
    code = "policy_error"
