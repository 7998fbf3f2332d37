"""Writes shared by every app: audit events, API tokens, idempotent replays."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .exceptions import Conflict, NotFound, StateError, ValidationFailed
from .models import ApiToken, AuditEvent, IdempotencyRecord


def audit_record(
    *, actor: Any, action: str, object_type: str, object_id: object = "", data: dict | None = None
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


TOKEN_NAME_MAX = 100
TOKEN_EXPIRY_DAYS_MAX = 3650


def api_token_create(*, user: Any, name: str, actor: Any = None, expires_days: int | None = None) -> str:
    """Create a token for ``user`` and return it in clear text; it is shown once and stored hashed.

    ``expires_days`` (1 to 3650) makes it stop working that many days from now; without it, it works
    until revoked."""
    problems = []
    if not name.strip() or len(name) > TOKEN_NAME_MAX:
        problems.append({"path": "name", "message": f"must be 1 to {TOKEN_NAME_MAX} characters"})
    if expires_days is not None and not 1 <= expires_days <= TOKEN_EXPIRY_DAYS_MAX:
        problems.append({"path": "expires_days", "message": f"must be a whole number from 1 to {TOKEN_EXPIRY_DAYS_MAX}"})
    if problems:
        raise ValidationFailed(f"the token cannot be made: {problems[0]['path']} {problems[0]['message']}",
                               details={"errors": problems})
    raw = "fanli_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days is not None else None
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, token_sha256=sha256_text(raw), expires_at=expires_at)
        audit_record(actor=actor if actor is not None else user, action="api_token.create", object_type="api_token",
                     object_id=token.pk, data={"user": user.get_username(), "name": name,
                                               "expires_at": expires_at.isoformat() if expires_at else None})
    return raw


def api_token_revoke(*, token_id: int, actor: Any) -> ApiToken:
    """Revoke a token at once: its very next request is refused.

    A user revokes their own tokens; an administrator (permission ``tokens``) anyone's; the
    command line without ``--as-user`` acts as the operator of the machine. Another user's token
    answers "not found", as an unknown id does."""
    from fanli.accounts.selectors import can

    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
        if token is None or not (actor is None or token.user_id == actor.pk or can(actor, "tokens")):
            raise NotFound(f"no API token {token_id}", details={"id": token_id})
        if token.revoked_at is not None:
            raise StateError(f"API token {token_id} was already revoked at {token.revoked_at.isoformat()}",
                             details={"id": token_id}, code="already_revoked")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", object_type="api_token", object_id=token.pk,
                     data={"user": token.user.get_username(), "name": token.name})
    return token


def api_token_user(raw: str) -> Any | None:
    """The active user behind a token that is neither revoked nor expired, or None."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_sha256=sha256_text(raw), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def idempotent_call(
    *, scope: str, key: str, request_body: Any, call: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run ``call`` once per (scope, key); a replay returns the first answer.

    A replay whose body differs from the first request is a ``Conflict``. The unique
    constraint, not a prior read, decides who wins when two requests race.
    """
    request_hash = sha256_text(canonical_json(request_body))
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is not None:
        return _replay(existing, request_hash)
    try:
        with transaction.atomic():
            status, body = call()
            IdempotencyRecord.objects.create(
                scope=scope, key=key, request_sha256=request_hash, response_status=status,
                response_body=json.loads(canonical_json(body)),
            )
            return status, body
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None:
            raise
        return _replay(existing, request_hash)


def _replay(record: IdempotencyRecord, request_hash: str) -> tuple[int, Any]:
    if record.request_sha256 != request_hash:
        raise Conflict(
            "this Idempotency-Key was already used with a different request body",
            details={"key": record.key},
            code="idempotency_key_reused",
        )
    return record.response_status, record.response_body
