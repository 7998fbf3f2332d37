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


def nul_characters(request: HttpRequest) -> list[dict[str, str]]:
    """Where a request's path, query or JSON body holds a NUL character, which no text column
    stores (PostgreSQL refuses it; Django's forms refuse it on the pages): one error per place."""
    found = []
    if "\x00" in request.path:
        found.append({"path": "(path)", "message": "must not contain NUL characters"})
    found += [{"path": name, "message": "must not contain NUL characters"}
              for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)]
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            return found  # not JSON: the parser answers 400
        found += [{"path": path or "(body)", "message": "must not contain NUL characters"}
                  for path in _nul_paths(body, "")]
    return found


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        items = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(str(index), item) for index, item in enumerate(value)]
    else:
        return []
    found = []
    for key, item in items:
        inner = f"{path}.{key}" if path else key
        found += [inner] if "\x00" in key else _nul_paths(item, inner)
    return found
