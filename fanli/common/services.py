"""Writes shared by every app: audit events, API tokens, idempotent replays."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .exceptions import Conflict
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


def api_token_create(*, user: Any, name: str) -> str:
    """Create a token and return it in clear text; it is shown once and stored hashed."""
    raw = "fanli_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, token_sha256=sha256_text(raw))
    audit_record(actor=user, action="api_token.create", object_type="user", object_id=user.pk, data={"name": name})
    return raw


def api_token_user(raw: str) -> Any | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_sha256=sha256_text(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
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
