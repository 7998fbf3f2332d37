"""Reads shared by every app: API tokens (never their secret)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken


def api_tokens(*, user: Any = None) -> QuerySet[ApiToken]:
    """Tokens, newest first; only ``user``'s when given."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return tokens.filter(user=user) if user is not None else tokens
