"""Creating staff and portal users with their roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.services import audit_record
from fanli.customers.models import Customer

from .models import PortalAccess, Role


def staff_user_create(*, username: str, password: str, role: str, actor: Any, email: str = "") -> Any:
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role}; use one of {', '.join(Role.values)}",
                               details={"errors": [{"path": "role", "message": "unknown role"}]})
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
