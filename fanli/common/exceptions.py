"""One error type for the whole project.

Every error Fanli raises on purpose is a ``FanliError`` with a stable ``code``, a human
``message`` and machine-readable ``details``. The API answers ``{"code", "message", "details"}``
with ``http_status``; the CLI prints the message and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class FanliError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else {}
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(FanliError):
    """Input is wrong; ``details["errors"]`` lists every problem found, not just the first."""

    code = "validation_failed"
    http_status = 422


class NotFound(FanliError):
    code = "not_found"
    http_status = 404


class Conflict(FanliError):
    """The request contradicts what is stored (e.g. same idempotency key, other content)."""

    code = "conflict"
    http_status = 409


class Forbidden(FanliError):
    """The acting user may not do this: their role lacks the right, or the four-eyes rule asks
    for a second person (``code`` ``four_eyes``)."""

    code = "forbidden"
    http_status = 403


class StateError(FanliError):
    """The object is not in a state that allows this action."""

    code = "invalid_state"
    http_status = 409


class CurrencyMismatch(FanliError):
    code = "currency_mismatch"


class BadRequest(FanliError):
    """The request itself is malformed (bad paging parameters, say), whatever is stored."""

    code = "bad_request"
    http_status = 400
