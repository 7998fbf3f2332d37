"""The kinds of file ``import_file`` accepts: each app registers its own, this app knows none.

An ``ImportKind`` names a planner (``plan(table=..., partial=..., progress=..., **options)``
answering an ``ImportPlan``) and how to prepare the planner's options for the acting user
(``options(actor)``: for instance the customers a sales rep may reach; it raises ``Forbidden``
when the user may not import that kind at all). The sales, customers and catalog apps register
their kinds in their ``importing`` modules, which their ``AppConfig.ready`` loads: an explicit
registry, no dynamic imports by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .tabular import ImportPlan

Planner = Callable[..., ImportPlan]


def _no_options(actor: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class ImportKind:
    name: str
    plan: Planner
    options: Callable[[Any], dict[str, Any]] = _no_options
    # The kind takes ``allow_unmatched_returns`` (sales): asking for it needs the ``settle`` right.
    unmatched_returns: bool = False
    # ``writes_while_reading(table, partial)``: True when the planner should write what it accepts
    # as it reads (a large load: sales on PostgreSQL), in one transaction with the apply. The
    # planner is then called with ``writing_batch=`` the import's batch, and raises
    # ``WritingAbandoned`` when the file needs the usual way after all (planned again from the start).
    writes_while_reading: Callable[[Any, bool], bool] | None = None


_KINDS: dict[str, ImportKind] = {}


def import_kind_register(kind: ImportKind) -> ImportKind:
    """Add (or replace, on a module reload) the kind ``kind.name``."""
    _KINDS[kind.name] = kind
    return kind


def import_kinds() -> dict[str, ImportKind]:
    """Every registered kind by name."""
    return dict(_KINDS)


class ImportRaceLost(Exception):
    """Raised by a plan's ``apply``: the stored data changed between planning and writing (a
    concurrent import); the import is rolled back and answers ``Conflict`` ``import_concurrent``."""


class WritingAbandoned(Exception):
    """Raised by a planner that writes while it reads: this file needs planning the usual way
    (its transaction is rolled back and the file is read again)."""
