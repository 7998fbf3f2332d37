"""Background jobs: recorded, run inline or in a thread, progress readable while they run."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from fanli.accounts.services import staff_user_create
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.jobs import job_handler, job_start, job_status
from fanli.common.models import AuditEvent, Job

release = threading.Event()


@job_handler("test.count")
def count(params, actor, progress):
    progress.stage("counting", total=params["to"])
    for done in range(1, params["to"] + 1):
        progress(done, params["to"])
    return {"counted": params["to"], "by": actor.username if actor else None}


@job_handler("test.refuse")
def refuse(params, actor, progress):
    raise ValidationFailed("the file has 1 bad row", details={"errors": [{"line": 3, "message": "no such SKU"}]})


@job_handler("test.crash")
def crash(params, actor, progress):
    raise RuntimeError("disk on fire")


@job_handler("test.wait")
def wait(params, actor, progress):
    progress.stage("waiting", total=2)
    progress(1, 2)
    assert release.wait(10), "the test never released the job"
    return {"waited": True}


@pytest.mark.django_db
def test_a_job_runs_records_its_result_and_ends_at_100_percent():
    user = User.objects.create_user("runner")
    job = job_start(kind="test.count", params={"to": 5}, actor=user, title="Count to five")
    assert job.state == Job.State.DONE
    assert job.result == {"counted": 5, "by": "runner"}
    assert job.started_at is not None and job.finished_at is not None
    status = job_status(job)
    assert (status.done, status.total, status.stage, status.percent, status.finished) == (5, 5, "counting", 100, True)
    assert list(AuditEvent.objects.filter(object_type="job", object_id=str(job.pk)).values_list("action", flat=True)
                .order_by("id")) == ["job.start", "job.done"]


@pytest.mark.django_db
def test_a_refused_job_keeps_the_clear_error_and_a_crash_says_only_that_it_crashed(caplog):
    refused = job_start(kind="test.refuse", params={}, actor=None)
    assert refused.state == Job.State.FAILED
    assert refused.error == {"code": "validation_failed", "message": "the file has 1 bad row",
                             "details": {"errors": [{"line": 3, "message": "no such SKU"}]}}
    assert refused.result == {}
    crashed = job_start(kind="test.crash", params={}, actor=None)
    assert crashed.state == Job.State.FAILED
    assert crashed.error["message"] == f"unexpected error; the server log has the details (job {crashed.pk})"
    assert "disk on fire" not in crashed.error["message"]
    assert "disk on fire" in caplog.text


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_and_nothing_is_recorded():
    with pytest.raises(NotFound):
        job_start(kind="test.nothing", params={}, actor=None)
    assert Job.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_in_a_thread_the_page_sees_progress_while_the_job_runs(settings):
    settings.FANLI_JOBS_INLINE = False
    release.clear()
    job = job_start(kind="test.wait", params={}, actor=None)
    deadline = time.monotonic() + 10
    status = job_status(job)
    while status.done < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        status = job_status(job)
    assert (status.job.state, status.stage, status.done, status.total, status.percent) == ("running", "waiting", 1, 2, 50)
    release.set()
    while not status.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        status = job_status(job)
    assert (status.job.state, status.job.result, status.percent) == ("done", {"waited": True}, 100)


@pytest.mark.django_db
def test_the_job_page_shows_the_starter_and_auditors_but_not_other_staff():
    finance = staff_user_create(username="fin", password="pw-123456789", role="finance", actor=None)
    service = staff_user_create(username="svc", password="pw-123456789", role="customer_service", actor=None)
    auditor = staff_user_create(username="aud", password="pw-123456789", role="auditor", actor=None)
    job = job_start(kind="test.count", params={"to": 3}, actor=finance, title="Count to three")
    expected = {finance: 200, auditor: 200, service: 404}
    for user, status in expected.items():
        client = Client()
        client.force_login(user)
        response = client.get(f"/office/jobs/{job.pk}/")
        assert response.status_code == status, user.username
    client = Client()
    client.force_login(finance)
    partial = client.get(f"/office/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'value="100"' in partial and "hx-trigger" not in partial and "<html" not in partial
    assert Client().get(f"/office/jobs/{job.pk}/").status_code == 302


@pytest.mark.django_db
def test_a_running_job_polls_and_a_failed_one_lists_its_errors():
    user = staff_user_create(username="fin", password="pw-123456789", role="finance", actor=None)
    running = Job.objects.create(kind="test.count", title="t", created_by=user, state=Job.State.RUNNING)
    refused = job_start(kind="test.refuse", params={}, actor=user)
    client = Client()
    client.force_login(user)
    polling = client.get(f"/office/jobs/{running.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in polling
    failed = client.get(f"/office/jobs/{refused.pk}/").content.decode()
    assert "the file has 1 bad row" in failed and "no such SKU" in failed and "hx-trigger" not in failed


@pytest.mark.django_db
def test_jobs_whose_process_is_gone_are_marked_failed_and_others_are_left_alone():
    import socket
    import subprocess
    from datetime import timedelta

    from django.utils import timezone

    from fanli.common.jobs import jobs_interrupted_fail, runner_here

    gone = subprocess.Popen(["true"])  # a process that has ended: its pid is free
    gone.wait()
    host = socket.gethostname()
    dead = Job.objects.create(kind="test.wait", title="dead", state="running", runner=f"{host}:{gone.pid}")
    Job.objects.create(kind="test.wait", title="alive", state="running", runner=runner_here())
    Job.objects.create(kind="test.wait", title="other host", state="running", runner="other-host:1")
    stuck = Job.objects.create(kind="test.wait", title="never started", state="queued")
    Job.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    Job.objects.create(kind="test.wait", title="just queued", state="queued")
    assert sorted(jobs_interrupted_fail()) == sorted([dead.pk, stuck.pk])
    states = dict(Job.objects.values_list("title", "state"))
    assert states == {"dead": "failed", "alive": "running", "other host": "running", "never started": "failed",
                      "just queued": "queued"}
    assert Job.objects.get(pk=dead.pk).error["code"] == "interrupted"
    assert jobs_interrupted_fail() == []
