"""Controls every write goes through: the acting user's right, and the four-eyes rule.

Services call ``require(actor, "approve")`` before they change anything, so a page, an API call,
an admin action or a command reaches the same check. ``actor`` None is the system itself: the
schedule, the demo loader and ``fanli`` commands run on the server without ``--as-user`` (whoever
can run them holds the database too); the audit log records such changes without a user.

Four eyes (``settings.FANLI_FOUR_EYES``, on by default): what one person prepares another
approves. ``require_second_person`` refuses a person who is one of the makers of the thing they
are about to approve; the system is never a person and is not refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from fanli.common.exceptions import Forbidden

from .selectors import can


def is_person(actor: Any) -> bool:
    return getattr(actor, "pk", None) is not None


def require(actor: Any, permission: str) -> None:
    """Refuse a person whose roles do not grant ``permission``; the system may do anything."""
    if is_person(actor) and not can(actor, permission):
        raise Forbidden(f"your role does not allow this ({permission})", details={"permission": permission})


def four_eyes() -> bool:
    return bool(getattr(settings, "FANLI_FOUR_EYES", True))


def needs_second_person(actor: Any) -> bool:
    """True when ``actor``'s work must be approved by someone else before it takes effect."""
    return four_eyes() and is_person(actor)


def second_person(actor: Any, makers: Iterable[int | None]) -> bool:
    """Whether ``actor`` counts as the second person for work made by ``makers`` (always, with four
    eyes off or for the system). Pages use it to offer the decision only to those who may take it."""
    return not needs_second_person(actor) or actor.pk not in {maker for maker in makers if maker is not None}


def require_second_person(actor: Any, makers: Iterable[int | None], *, doing: str, made: str) -> None:
    """Refuse ``actor`` when they are among ``makers`` (user ids) and four eyes are on.

    ``doing`` and ``made`` complete the message: "you cannot publish a version you wrote or
    submitted: another person with the right must do it".
    """
    if not second_person(actor, makers):
        raise Forbidden(f"four eyes: you cannot {doing} {made}; another person with the right must do it",
                        details={"rule": "four_eyes"}, code="four_eyes")
