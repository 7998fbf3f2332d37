"""What every app's API shares: the one error shape, how an operation declares its errors, and
the refusal of NUL characters in any input.

Each operation's OpenAPI entry names the error answers it can give, so that a client (and the
fuzzing pass in the suite) can rely on the document: ``fanli.api`` adds what every operation can
answer (401 without credentials, 403 for a role that may not, 422 for input that fails its schema);
an operation names its own beside its success answer, ``response={200: StatementOut, **errors(404, 409)}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(description="Stable, machine-readable error code, e.g. not_found, invalid_state.")
    message: str = Field(description="A sentence for a person.")
    details: dict[str, Any] = Field(description="Machine-readable details; input errors list each in `errors`.")


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``{404: ErrorOut, 409: ErrorOut}`` for ``errors(404, 409)``, to merge into a ``response=``."""
    return {status: ErrorOut for status in statuses}


JSON_MAX_DEPTH = 64
"""Deepest nesting of a JSON request body (documents inside are limited further, to 20)."""


def nul_characters(request: HttpRequest) -> list[dict[str, str]]:
    """Where a request's path, query or JSON body holds a NUL character, which no text column
    stores (PostgreSQL refuses it; Django's forms refuse it on the pages): one error per place.
    A JSON body nested deeper than ``JSON_MAX_DEPTH`` is refused here too, before any parser
    recurses into it."""
    found = []
    if "\x00" in request.path:
        found.append({"path": "(path)", "message": "must not contain NUL characters"})
    found += [{"path": name, "message": "must not contain NUL characters"}
              for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)]
    if request.content_type == "application/json" and request.body:
        too_deep = {"path": "(body)", "message": f"nested more than {JSON_MAX_DEPTH} levels"}
        try:
            body = json.loads(request.body)
        except RecursionError:
            return [*found, too_deep]
        except ValueError:
            return found  # not JSON: the parser answers 400
        paths, deepest = _nul_paths(body)
        found += [{"path": path or "(body)", "message": "must not contain NUL characters"} for path in paths]
        if deepest > JSON_MAX_DEPTH:
            found.append(too_deep)
    return found


def _nul_paths(value: Any) -> tuple[list[str], int]:
    """The paths of strings and keys holding NUL, and the deepest nesting (walked without recursion)."""
    found: list[str] = []
    deepest = 0
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, str):
            if "\x00" in item:
                found.append(path)
            continue
        if isinstance(item, dict):
            children = [(str(key), child) for key, child in item.items()]
        elif isinstance(item, list):
            children = [(str(index), child) for index, child in enumerate(item)]
        else:
            continue
        for key, child in reversed(children):
            inner = f"{path}.{key}" if path else key
            if "\x00" in key:
                found.append(inner)
            else:
                stack.append((child, inner, depth + 1))
    return found, deepest
