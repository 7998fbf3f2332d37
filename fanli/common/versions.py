"""Documents kept as immutable, numbered versions (rebate policies, discount rules).

A parent row (``code``, ``name``) owns versions (``number``, ``document``, ``document_sha256``,
``status`` draft / published / retired, ``created_by``, ``published_at``). Storing the same
content again stores nothing; publishing retires the version in force. Callers validate the
document first and hold the transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils import timezone

from .services import audit_record, canonical_json, sha256_text

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"


def version_store(*, versions: type[Model], parent: Model, parent_field: str, body: dict[str, Any], name: str,
                  actor: Any, publish: bool, audit_prefix: str) -> tuple[Any, bool]:
    """Store ``body`` as the parent's next version (and publish it); answer (version, created).

    The parent row is locked first, so two stores of one parent never take the same number.
    """
    digest = sha256_text(canonical_json(body))
    type(parent)._default_manager.select_for_update().filter(pk=parent.pk).first()
    latest = versions._default_manager.filter(**{parent_field: parent}).order_by("-number").first()
    if latest is not None and latest.document_sha256 == digest:  # type: ignore[attr-defined]
        if publish and latest.status == DRAFT:  # type: ignore[attr-defined]
            version_publish(versions=versions, parent=parent, parent_field=parent_field, version=latest, actor=actor,
                            audit_prefix=audit_prefix)
            return latest, False
        if not publish or latest.status == PUBLISHED:  # type: ignore[attr-defined]
            return latest, False
    version = versions._default_manager.create(**{
        parent_field: parent, "number": (latest.number + 1) if latest else 1,  # type: ignore[attr-defined]
        "document": body, "document_sha256": digest, "created_by": actor if getattr(actor, "pk", None) else None,
    })
    if parent.name != name:  # type: ignore[attr-defined]
        type(parent)._default_manager.filter(pk=parent.pk).update(name=name)
    audit_record(actor=actor, action=f"{audit_prefix}.version_create", object_type=f"{parent_field}_version",
                 object_id=version.pk, data={parent_field: parent.code, "number": version.number,  # type: ignore[attr-defined]
                                             "sha256": digest, "published": publish})
    if publish:
        version_publish(versions=versions, parent=parent, parent_field=parent_field, version=version, actor=actor,
                        audit_prefix=audit_prefix)
    return version, True


def version_publish(*, versions: type[Model], parent: Model, parent_field: str, version: Any, actor: Any,
                    audit_prefix: str) -> None:
    """Put ``version`` in force; the version it replaces is retired, never edited."""
    versions._default_manager.filter(**{parent_field: parent, "status": PUBLISHED}).update(status=RETIRED)
    versions._default_manager.filter(pk=version.pk).update(status=PUBLISHED, published_at=timezone.now())
    version.refresh_from_db()
    audit_record(actor=actor, action=f"{audit_prefix}.publish", object_type=f"{parent_field}_version",
                 object_id=version.pk, data={parent_field: parent.code, "number": version.number})  # type: ignore[attr-defined]
