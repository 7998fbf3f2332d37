"""Paging of API lists: one definition of ``limit`` and ``offset`` for every list that pages.

An operation takes ``page: Query[Page]`` (``FewPage`` for lists of heavy items) and answers
``page.of(rows)``. A negative offset, a limit of 0 or above the list's maximum, and anything
that is not a whole number are refused before any query with 400 ``invalid_paging``:
``fanli.api`` turns validation errors in these two query parameters into that answer, so every
list reports bad paging the same way.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from .exceptions import BadRequest

PAGING_FIELDS = frozenset({"limit", "offset"})
MAX_OFFSET = 1_000_000_000  # far past any list, and within every database's OFFSET


class Page(Schema):
    limit: int = Field(100, ge=1, le=1000, description="rows to answer, 1 to 1000")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip, 0 or more")

    def of(self, rows: Any) -> Any:
        """The page's slice of a query set or a list."""
        return rows[self.offset: self.offset + self.limit]


class FewPage(Page):
    """For lists whose rows are large (an import carries its errors)."""

    limit: int = Field(20, ge=1, le=200, description="rows to answer, 1 to 200")


def paging_error(errors: list[dict[str, Any]]) -> BadRequest:
    return BadRequest(
        "bad paging: limit must be a whole number from 1 to the list's maximum, offset a whole number from 0",
        details={"errors": errors}, code="invalid_paging",
    )
