"""Documents kept as immutable, numbered versions (rebate policies, discount rules).

A parent row (``code``, ``name``) owns versions (``number``, ``document``, ``document_sha256``,
``status``, ``created_by``, ``submitted_by``, ``published_by``). Storing the same content again
stores nothing; publishing retires the version in force.

The life of a version: *draft* (its author may still change it) → *submitted* (frozen, waiting
for approval) → *published* (in force) → *retired*. Under the four-eyes rule a person's version is
submitted, and someone else with the ``publish`` right publishes it (or rejects it back to draft);
nobody who wrote or submitted a version may publish it. The system (no person: the demo loader, a
command without ``--as-user``) publishes directly. Callers validate the document first, check the
author's right and hold the transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils import timezone

from .exceptions import StateError
from .models import AuditEvent
from .services import audit_record, canonical_json, sha256_text

DRAFT, SUBMITTED, PUBLISHED, RETIRED = "draft", "submitted", "published", "retired"


def version_store(*, versions: type[Model], parent: Model, parent_field: str, body: dict[str, Any], name: str,
                  actor: Any, publish: bool, audit_prefix: str) -> tuple[Any, bool]:
    """Store ``body`` as the parent's next version; answer (version, created).

    ``publish`` asks for it to take effect: it is published, or submitted for a second person's
    approval when four eyes apply to ``actor``. The parent row is locked first, so two stores of
    one parent never take the same number.
    """
    digest = sha256_text(canonical_json(body))
    type(parent)._default_manager.select_for_update().filter(pk=parent.pk).first()
    latest = versions._default_manager.filter(**{parent_field: parent}).order_by("-number").first()
    if latest is not None and latest.document_sha256 == digest:  # type: ignore[attr-defined]
        if publish and latest.status in (DRAFT, SUBMITTED):  # type: ignore[attr-defined]
            _take_effect(versions, parent, parent_field, latest, actor, audit_prefix)
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
        _take_effect(versions, parent, parent_field, version, actor, audit_prefix)
    return version, True


def _take_effect(versions: type[Model], parent: Model, parent_field: str, version: Any, actor: Any,
                 audit_prefix: str) -> None:
    from fanli.accounts.controls import needs_second_person

    if needs_second_person(actor):
        if version.status == DRAFT:
            version_submit(versions=versions, parent=parent, parent_field=parent_field, version=version, actor=actor,
                           audit_prefix=audit_prefix)
    else:
        version_publish(versions=versions, parent=parent, parent_field=parent_field, version=version, actor=actor,
                        audit_prefix=audit_prefix)


def version_submit(*, versions: type[Model], parent: Model, parent_field: str, version: Any, actor: Any,
                   audit_prefix: str) -> None:
    """Freeze a draft and ask for approval; the author's right is the caller's to check."""
    if version.status != DRAFT:
        raise StateError(f"{version} is {version.status}; only a draft can be submitted",
                         details={"status": version.status})
    now = timezone.now()
    submitter = actor if getattr(actor, "pk", None) else None
    versions._default_manager.filter(pk=version.pk).update(status=SUBMITTED, submitted_by=submitter, submitted_at=now)
    version.refresh_from_db()
    audit_record(actor=actor, action=f"{audit_prefix}.submit", object_type=f"{parent_field}_version",
                 object_id=version.pk, data={parent_field: parent.code, "number": version.number})  # type: ignore[attr-defined]


def version_makers(version: Any, *, parent_field: str, audit_prefix: str) -> set[int]:
    """Everyone who wrote or submitted ``version``: its creator, its submitter and whoever
    changed the draft in place (from the audit log, which records every change)."""
    editors = AuditEvent.objects.filter(object_type=f"{parent_field}_version", object_id=str(version.pk),
                                        action=f"{audit_prefix}.draft_update").values_list("actor_id", flat=True)
    return {user_id for user_id in (version.created_by_id, version.submitted_by_id, *editors) if user_id is not None}


def version_publish(*, versions: type[Model], parent: Model, parent_field: str, version: Any, actor: Any,
                    audit_prefix: str) -> None:
    """Put ``version`` in force; the version it replaces is retired, never edited.

    Needs the ``publish`` right; under four eyes the version must have been submitted, and by
    someone other than ``actor``.
    """
    from fanli.accounts.controls import needs_second_person, require, require_second_person

    require(actor, "publish")
    if version.status not in (DRAFT, SUBMITTED):
        raise StateError(f"{version} is {version.status}; only a draft or a submitted version can be published",
                         details={"status": version.status})
    if needs_second_person(actor):
        if version.status != SUBMITTED:
            raise StateError(f"{version} is a draft: its author submits it first, then another person publishes it",
                             details={"status": version.status}, code="not_submitted")
        require_second_person(actor, version_makers(version, parent_field=parent_field, audit_prefix=audit_prefix),
                              doing="publish", made="a version you wrote or submitted")
    versions._default_manager.filter(**{parent_field: parent, "status": PUBLISHED}).update(status=RETIRED)
    versions._default_manager.filter(pk=version.pk).update(
        status=PUBLISHED, published_at=timezone.now(), published_by=actor if getattr(actor, "pk", None) else None)
    version.refresh_from_db()
    audit_record(actor=actor, action=f"{audit_prefix}.publish", object_type=f"{parent_field}_version",
                 object_id=version.pk, data={parent_field: parent.code, "number": version.number})  # type: ignore[attr-defined]


def version_reject(*, versions: type[Model], parent: Model, parent_field: str, version: Any, actor: Any,
                   note: str, audit_prefix: str) -> None:
    """Send a submitted version back to draft with the reason; its author may change it and
    submit it again. Needs the ``publish`` right (an author withdraws by editing the draft)."""
    from fanli.accounts.controls import require

    require(actor, "publish")
    if version.status != SUBMITTED:
        raise StateError(f"{version} is {version.status}; only a submitted version can be rejected",
                         details={"status": version.status})
    versions._default_manager.filter(pk=version.pk).update(status=DRAFT, submitted_by=None, submitted_at=None)
    version.refresh_from_db()
    audit_record(actor=actor, action=f"{audit_prefix}.reject", object_type=f"{parent_field}_version",
                 object_id=version.pk, data={parent_field: parent.code, "number": version.number,  # type: ignore[attr-defined]
                                             "note": note})
