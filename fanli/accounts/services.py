"""Staff and portal users: creating them, their roles, passwords and whether they may log in.
Each change is recorded in the audit log (never the password itself)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fanli.common.exceptions import Conflict, NotFound, ValidationFailed
from fanli.common.services import audit_record, canonical_json, sha256_text
from fanli.customers.models import Customer

from .controls import is_person, require, require_second_person
from .models import PortalAccess, Role, Submission


def staff_user_create(*, username: str, password: str, role: str, actor: Any, email: str = "") -> Any:
    require(actor, "users")
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role}; use one of {', '.join(Role.values)}",
                               details={"errors": [{"path": "role", "message": "unknown role"}]})
    _password_check(password)
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, password=password, email=email, is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        audit_record(actor=actor, action="user.create", object_type="user", object_id=user.pk,
                     data={"username": username, "role": role})
    return user


def portal_user_create(*, username: str, password: str, customer_code: str, actor: Any) -> Any:
    require(actor, "users")
    customer = Customer.objects.filter(code=customer_code).first()
    if customer is None:
        raise NotFound(f"no customer {customer_code}")
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, password=password, is_staff=False)
        PortalAccess.objects.create(user=user, customer=customer)
        audit_record(actor=actor, action="portal_user.create", object_type="user", object_id=user.pk,
                     data={"username": username, "customer": customer_code})
    return user


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def _password_check(password: str, user: Any = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("the password is not accepted: " + " ".join(exc.messages),
                               details={"errors": [{"path": "password", "message": m} for m in exc.messages]}) from None


def staff_user_role_set(*, username: str, role: str, actor: Any) -> Any:
    """Give a staff user exactly one role (their other roles are taken away)."""
    require(actor, "users")
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role}; use one of {', '.join(Role.values)}",
                               details={"errors": [{"path": "role", "message": "unknown role"}]})
    with transaction.atomic():
        user = _user(username)
        if PortalAccess.objects.filter(user=user).exists():
            raise ValidationFailed(f"{username} is a customer's portal login and cannot have a staff role",
                                   details={"errors": [{"path": "username", "message": "portal user"}]})
        before = sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user.groups.remove(*user.groups.filter(name__in=Role.values))
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        user.__dict__.pop("_fanli_group_names", None)  # this object's remembered roles (user_roles) are gone
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        audit_record(actor=actor, action="user.role", object_type="user", object_id=user.pk,
                     data={"username": username, "before": before, "role": role})
    return user


def user_password_set(*, username: str, password: str, actor: Any) -> Any:
    """Set a user's password, checked by the password validators; the audit log records that it changed."""
    require(actor, "users")
    with transaction.atomic():
        user = _user(username)
        _password_check(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="user.password", object_type="user", object_id=user.pk,
                     data={"username": username})
    return user


def user_active_set(*, username: str, active: bool, actor: Any) -> Any:
    """Let a user log in again, or stop them (sessions and API tokens stop working at once)."""
    require(actor, "users")
    with transaction.atomic():
        user = _user(username)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.activate" if active else "user.deactivate", object_type="user",
                     object_id=user.pk, data={"username": username})
    return user


# ---------------------------------------------------------------- four eyes for documents without versions


def submission_store(*, kind: str, code: str, name: str, document: dict[str, Any], actor: Any) -> Submission:
    """Keep a person's loyalty programme or score card for a second person's approval.

    One submission per document waits at a time: a new one from anybody replaces the pending one
    (and becomes theirs to have approved). The same content again changes nothing.
    """
    digest = sha256_text(canonical_json(document))
    with transaction.atomic():
        pending = (Submission.objects.select_for_update()
                   .filter(kind=kind, code=code, state=Submission.State.PENDING).first())
        if pending is not None and pending.document_sha256 == digest:
            return pending
        if pending is not None:
            Submission.objects.filter(pk=pending.pk).update(name=name, document=document, document_sha256=digest,
                                                            submitted_by=actor, submitted_at=timezone.now())
            pending.refresh_from_db()
        else:
            try:
                with transaction.atomic():
                    pending = Submission.objects.create(kind=kind, code=code, name=name, document=document,
                                                        document_sha256=digest, submitted_by=actor)
            except IntegrityError:
                raise Conflict(f"another change of {kind} {code} was submitted at the same moment; submit again",
                               code="submitted_concurrently") from None
        audit_record(actor=actor, action=f"{kind}.submit", object_type="submission", object_id=pending.pk,
                     data={"code": code, "sha256": digest})
        return pending


def submission_decide(*, kind: str, code: str, actor: Any, publish: bool, note: str = "") -> Submission:
    """Decide the pending submission of a document: publish it (the caller then stores it in
    force, in the same transaction) or reject it with ``note``. Needs the ``publish`` right; under
    four eyes the person who submitted it may not publish it."""
    require(actor, "publish")
    if not publish and not note.strip():
        raise ValidationFailed("say why the change is rejected",
                               details={"errors": [{"path": "note", "message": "empty"}]})
    with transaction.atomic():
        pending = (Submission.objects.select_for_update()
                   .filter(kind=kind, code=code, state=Submission.State.PENDING).first())
        if pending is None:
            raise NotFound(f"no change of {kind} {code} is waiting for approval")
        if publish:
            require_second_person(actor, [pending.submitted_by_id], doing="publish", made=f"the {kind} you submitted")
        state = Submission.State.PUBLISHED if publish else Submission.State.REJECTED
        Submission.objects.filter(pk=pending.pk).update(state=state, decided_by=actor if is_person(actor) else None,
                                                        decided_at=timezone.now(), note=note.strip())
        pending.refresh_from_db()
        audit_record(actor=actor, action=f"{kind}.{'publish' if publish else 'reject'}", object_type="submission",
                     object_id=pending.pk, data={"code": code, "sha256": pending.document_sha256,
                                                 **({"note": note.strip()} if note.strip() else {})})
        return pending
