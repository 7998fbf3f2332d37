"""API tokens in the JSON API: the caller's own tokens, and revoking one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from fanli.accounts.permissions import permission

from .models import ApiToken
from .paging import Page
from .schemas import errors
from .selectors import api_tokens
from .services import api_token_revoke

router = Router(tags=["tokens"])


class TokenOut(Schema):
    id: int
    user: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {"id": token.pk, "user": token.user.get_username(), "name": token.name, "created_at": token.created_at,
            "last_used_at": token.last_used_at, "expires_at": token.expires_at, "revoked_at": token.revoked_at}


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens, newest first (never their secret)")
@permission("view")
def token_list(request: HttpRequest, page: Query[Page]) -> list[dict[str, Any]]:
    return [_token_out(t) for t in page.of(api_tokens(user=request.user))]


@router.delete("/tokens/{token_id}", response={200: TokenOut, **errors(404, 409)},
               summary="Revoke a token: yours, or anyone's as an administrator; refused from its next request")
@permission("view")
def token_revoke(request: HttpRequest, token_id: int) -> dict[str, Any]:
    return _token_out(api_token_revoke(token_id=token_id, actor=request.user))
