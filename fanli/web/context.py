"""Template context for every page: which navigation the user gets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fanli.accounts.selectors import can, is_staff_user, portal_customer

SECTIONS = {"dashboard": "dashboard", "customers": "customers", "customer": "customers", "statements": "statements",
            "statement": "statements",
            "policies": "policies", "policy": "policies", "policy_new": "policies", "policy_edit": "policies",
            "policy_diff": "policies", "policy_version": "policies", "policy_preview": "policies",
            "discounts": "discounts", "discount_quote": "discounts", "audit": "audit",
            "settlement": "settlement", "imports": "imports", "disputes": "disputes", "dispute": "disputes",
            "loyalty": "loyalty", "loyalty_members": "loyalty", "loyalty_member": "loyalty", "warnings": "warnings",
            "contacts": "contacts", "complaints": "contacts", "notices": "contacts",
            "scorecards": "customers", "scorecard_edit": "customers",
            "policy_effectiveness": "policies", "approvals": "approvals",
            "payment_batches": "payments", "payment_batch": "payments"}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    return {
        "office": is_staff_user(user),
        "portal": portal_customer(user) is not None,
        "nav": SECTIONS.get(match.url_name if match else "", ""),
        "can_audit": can(user, "audit"),
        "can_settle": can(user, "settle"),
        "can_import": can(user, "import"),
        "can_see_payments": can(user, "view_all_customers"),
    }
