"""The page of a background job: a progress bar the browser polls until the job ends."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import select_template

from fanli.accounts.selectors import can
from fanli.common.jobs import job_status
from fanli.common.models import Job

from .views import staff_view


@staff_view()
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's starter sees it; so do users who may read the audit log. Anyone else: 404."""
    job = Job.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or (job.created_by_id != request.user.pk and not can(request.user, "audit")):
        raise Http404
    status = job_status(job)
    template = "web/_job.html" if request.htmx else "web/office/job.html"  # type: ignore[attr-defined]
    result_template = select_template([f"web/jobs/{job.kind}.html", "web/jobs/generic.html"]).template.name
    return render(request, template, {"status": status, "job": status.job, "result_template": result_template})
