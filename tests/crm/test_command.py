"""``fanli crm``: the same services from the command line, errors as messages."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from fanli.crm.models import Complaint, FollowUp
from tests.builders import customer

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("crm", *args, stdout=out)
    return out.getvalue()


def test_log_follow_up_complain_resolve_and_the_calendar():
    User.objects.create(username="li")
    customer("C001")
    today = timezone.localdate()
    said = run("log", "C001", "T", "订货计划", "--outcome", "回电", "--follow-up", today.isoformat(), "--owner", "li")
    task = FollowUp.objects.get()
    assert said.strip() == f"contact 1 logged; follow-up {task.pk} due {today} for li"
    assert f"{task.pk:>6} {today} C001       li             回电" in run("follow-ups")
    assert run("done", str(task.pk)).strip() == f"follow-up {task.pk} done" and run("follow-ups") == ""
    run("complaint", "C001", "delivery", "迟到")
    complaint = Complaint.objects.get()
    assert run("resolve", str(complaint.pk), "补发").strip() == f"complaint {complaint.pk} resolved in 0 day(s)"
    row = next(line for line in run("calendar").splitlines() if line.startswith("C001"))
    assert row.split()[today.day] == "T" and row.split().count(".") == len(row.split()) - 2
    with pytest.raises(CommandError, match="a score is from 1 to 5, not 9"):
        run("survey", "C001", "9")
