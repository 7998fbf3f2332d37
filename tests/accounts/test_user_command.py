"""``fanli user``: the one place staff logins and roles change, each change in the audit log."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.common.models import AuditEvent

pytestmark = pytest.mark.django_db


def fanli_user(*args: str, stdin: str = "", monkeypatch=None) -> str:
    out = io.StringIO()
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("user", *args, stdout=out)
    return out.getvalue()


def test_a_staff_user_is_created_given_a_role_a_password_and_deactivated_each_step_audited(monkeypatch):
    get_user_model().objects.create_superuser("root", password="x-Long-secret-1")
    out = fanli_user("--as-user", "root", "create", "mei", "--role", "finance", "--password-stdin",
                     stdin="first-Long-secret\n", monkeypatch=monkeypatch)
    assert out == "user mei: finance\n"
    fanli_user("--as-user", "root", "role", "mei", "auditor")
    fanli_user("--as-user", "root", "password", "mei", "--password-stdin", stdin="second-Long-secret\n",
               monkeypatch=monkeypatch)
    fanli_user("--as-user", "root", "deactivate", "mei")
    mei = get_user_model().objects.get(username="mei")
    assert sorted(mei.groups.values_list("name", flat=True)) == ["auditor"]
    assert (mei.is_staff, mei.is_active, mei.check_password("second-Long-secret")) == (True, False, True)
    events = list(AuditEvent.objects.filter(object_type="user", object_id=str(mei.pk)).order_by("id")
                  .values_list("actor__username", "action", "data"))
    assert events == [
        ("root", "user.create", {"username": "mei", "role": "finance"}),
        ("root", "user.role", {"username": "mei", "before": ["finance"], "role": "auditor"}),
        ("root", "user.password", {"username": "mei"}),
        ("root", "user.deactivate", {"username": "mei"}),
    ]
    assert fanli_user("list") == "mei\tauditor inactive\nroot\t- superuser\n"


def test_a_short_password_or_an_unknown_user_is_refused_with_a_message_and_nothing_written(monkeypatch):
    with pytest.raises(CommandError) as refused:
        fanli_user("create", "mei", "--role", "finance", "--password-stdin", stdin="short\n", monkeypatch=monkeypatch)
    assert refused.value.returncode == 2 and "the password is not accepted" in str(refused.value)
    with pytest.raises(CommandError) as unknown:
        fanli_user("role", "nobody", "finance")
    assert (unknown.value.returncode, str(unknown.value)) == (2, "no user nobody")
    assert (get_user_model().objects.count(), AuditEvent.objects.count()) == (0, 0)
