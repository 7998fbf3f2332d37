"""Staff and portal users: creating them, their roles, passwords and whether they may log in.
Each change is recorded in the audit log (never the password itself)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.services import audit_record
from fanli.customers.models import Customer

from .models import PortalAccess, Role


def staff_user_create(*, username: str, password: str, role: str, actor: Any, email: str = "") -> Any:
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
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        audit_record(actor=actor, action="user.role", object_type="user", object_id=user.pk,
                     data={"username": username, "before": before, "role": role})
    return user


def user_password_set(*, username: str, password: str, actor: Any) -> Any:
    """Set a user's password, checked by the password validators; the audit log records that it changed."""
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
    with transaction.atomic():
        user = _user(username)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.activate" if active else "user.deactivate", object_type="user",
                     object_id=user.pk, data={"username": username})
    return user
