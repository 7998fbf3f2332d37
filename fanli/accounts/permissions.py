"""Roles in the JSON API: each operation names the permission it needs, as the pages do.

``@permission("settle")`` under a router decorator marks the operation; ``fanli.api`` checks the
mark on every request, after authentication, and refuses (403, ``forbidden``) a token or session
whose user's roles do not grant it. Reading needs ``view``. An operation without a mark stops the
API from starting. A customer's own login has no back-office role, so it reaches no operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .selectors import PERMISSIONS

Operation = Callable[..., Any]


def permission(name: str) -> Callable[[Operation], Operation]:
    if not any(name in granted for granted in PERMISSIONS.values()):
        raise ValueError(f"no role grants {name!r}")

    def mark(operation: Operation) -> Operation:
        operation.required_permission = name  # type: ignore[attr-defined]
        return operation

    return mark
