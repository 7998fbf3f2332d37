"""Reads about the acting user: roles, permissions, and which customers they may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fanli.customers.models import Customer

from .models import PortalAccess, Role

# What each role may do in the back office. Reading is "view"; the rest are actions ("crm":
# log contacts, complaints and surveys, and rate customers; "policies": write and submit policies,
# discount rules, loyalty programmes and score cards; "publish": put a submitted one in force;
# "tokens": revoke anyone's API token, where everyone else revokes only their own; "users":
# create staff and portal logins, change roles, passwords and who may log in; "pay": prepare and
# confirm payment batches, record payouts and verify changed bank accounts).
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset({"view", "view_all_customers", "settle", "approve", "pay", "dispute", "policies",
                                   "publish", "import", "audit", "crm", "tokens", "users"}),
    Role.CHANNEL_MANAGER: frozenset({"view", "policies", "import", "crm"}),
    Role.FINANCE: frozenset({"view", "view_all_customers", "settle", "approve", "pay", "dispute", "publish", "import",
                             "audit", "crm"}),
    Role.CUSTOMER_SERVICE: frozenset({"view", "view_all_customers", "dispute", "crm"}),
    Role.AUDITOR: frozenset({"view", "view_all_customers", "audit"}),
}


def user_roles(user: Any) -> set[str]:
    """The user's roles. Its groups are read once per user object (a request's user is loaded for
    that request), as Django keeps a user's permissions: a page asks ``can`` many times."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    names = getattr(user, "_fanli_group_names", None)
    if names is None:
        names = user._fanli_group_names = frozenset(user.groups.values_list("name", flat=True))
    roles = {name for name in names if name in PERMISSIONS}
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    return roles


def can(user: Any, permission: str) -> bool:
    return any(permission in PERMISSIONS[role] for role in user_roles(user))


def is_staff_user(user: Any) -> bool:
    return bool(user_roles(user))


def portal_customer(user: Any) -> Customer | None:
    """The customer a portal user belongs to, or None for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    access = PortalAccess.objects.select_related("customer").filter(user=user).first()
    return access.customer if access else None


def portal_customers(customer: Customer) -> QuerySet[Customer]:
    """A portal user's own company and, for a parent, its branches."""
    return Customer.objects.filter(Q(pk=customer.pk) | Q(parent_id=customer.pk))


def visible_customers(user: Any) -> QuerySet[Customer]:
    """Customers a staff user may see: all, or only those they own (sales representatives)."""
    if can(user, "view_all_customers"):
        return Customer.objects.all()
    if can(user, "view"):
        return Customer.objects.filter(owner=user)
    return Customer.objects.none()


def staff_users() -> QuerySet[Any]:
    """Active users with a back-office role (owners of follow-ups, warnings)."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__name__in=list(PERMISSIONS))).distinct().order_by("username"))


def visible_customer(user: Any, code: str) -> Customer:
    """The customer ``code`` if ``user`` may see it; otherwise "not found", as for a wrong code
    (a sales rep learns nothing of others' customers)."""
    from fanli.common.exceptions import NotFound

    customer = visible_customers(user).filter(code=code).first()
    if customer is None:
        raise NotFound(f"no customer {code}")
    return customer


def hidden_from(user: Any, customer_id: int) -> bool:
    return not can(user, "view_all_customers") and not visible_customers(user).filter(pk=customer_id).exists()


# ---------------------------------------------------------------- whom an actor may write for
#
# Every service that names a customer takes the acting user and finds the customer among
# ``customers_for(actor)``, so a write is scoped exactly like a read on every interface (page,
# API, ``--as-user`` on the command line), and a customer out of reach gets the answer of an
# unknown code, word for word.


def customers_for(actor: Any) -> QuerySet[Customer]:
    """Customers ``actor`` may read and write: all for no actor (the system: the schedule, a command
    run without ``--as-user``); for a back-office user those ``visible_customers`` shows (a sales
    rep: the customers they own); for a customer's own login its company and branches; else none."""
    if actor is None:
        return Customer.objects.all()
    if is_staff_user(actor):
        return visible_customers(actor)
    customer = portal_customer(actor)
    return portal_customers(customer) if customer is not None else Customer.objects.none()


def sees_all_customers(actor: Any) -> bool:
    return actor is None or can(actor, "view_all_customers")


def customer_scope(actor: Any, path: str = "customer") -> Q:
    """A filter keeping the rows (of ``path``, a customer relation) of customers ``actor`` reaches;
    empty when they reach all, so unrestricted queries stay as they were."""
    return Q() if sees_all_customers(actor) else Q(**{f"{path}__in": customers_for(actor)})

def awaiting_approval() -> dict[str, Any]:
    """Everything prepared by one person and waiting for another: submitted policy and discount
    rule versions, submitted loyalty programmes and score cards, approved statements not yet paid."""
    from fanli.discounts.models import DiscountRuleVersion
    from fanli.rebates.models import PolicyVersion, Statement

    from .models import Submission

    return {
        "policies": list(PolicyVersion.objects.filter(status=PolicyVersion.Status.SUBMITTED)
                         .select_related("policy", "submitted_by").order_by("submitted_at")),
        "rules": list(DiscountRuleVersion.objects.filter(status=DiscountRuleVersion.Status.SUBMITTED)
                      .select_related("rule", "submitted_by").order_by("submitted_at")),
        "submissions": list(Submission.objects.filter(state=Submission.State.PENDING)
                            .select_related("submitted_by").order_by("submitted_at")),
        "statements": Statement.objects.filter(state=Statement.State.APPROVED)
        .select_related("customer", "policy", "approved_by").order_by("due_date", "id"),
    }
