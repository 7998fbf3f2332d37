"""A side-by-side comparison of two policy documents, one row per leaf value.

Documents are flattened to dotted paths (``calculation.tiers.1.rate_percent``), the same paths
validation errors use, so a reader sees exactly which setting changed between two versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DiffRow:
    path: str
    left: str | None  # None: the setting is absent on that side
    right: str | None

    @property
    def change(self) -> str:
        if self.left == self.right:
            return "same"
        if self.left is None:
            return "added"
        if self.right is None:
            return "removed"
        return "changed"


def flatten(document: Any, prefix: str = "") -> dict[str, str]:
    """Leaf values by path, in document order. Lists of plain values stay one row ("a, b");
    empty lists and unset (None) values are left out, so "unset" reads the same everywhere."""
    rows: dict[str, str] = {}
    if isinstance(document, dict):
        for key, value in document.items():
            rows.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(document, list):
        if document and all(isinstance(item, dict | list) for item in document):
            for index, item in enumerate(document):
                rows.update(flatten(item, f"{prefix}.{index}"))
        elif document:
            rows[prefix] = ", ".join(_text(item) for item in document)
    elif document is not None:
        rows[prefix] = _text(document)
    return rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def document_diff(left: dict[str, Any], right: dict[str, Any]) -> list[DiffRow]:
    """Every path of either document: the left's order first, then what only the right has."""
    a, b = flatten(left), flatten(right)
    paths = list(a) + [path for path in b if path not in a]
    return [DiffRow(path, a.get(path), b.get(path)) for path in paths]
