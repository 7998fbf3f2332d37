"""Imports in the back office: upload a CSV or XLSX file, see every row's result, then import."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fanli.accounts.selectors import sees_all_customers
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.jobs import job_start
from fanli.imports.registry import import_kinds
from fanli.imports.selectors import import_batch_list
from fanli.imports.uploads import upload_read, upload_store

from .views import staff_view


def _kind_errors(request: HttpRequest, kind: str) -> list[str]:
    if kind not in import_kinds():
        return [_("choose what the file holds")]
    if kind == "customers" and not sees_all_customers(request.user):  # the import itself refuses it too
        return [_("importing customers needs a role that sees every customer")]
    return []


def _page(request: HttpRequest, errors: dict[str, list[str]] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "web/office/imports.html", {
        "kinds": sorted(import_kinds()), "batches": import_batch_list(limit=30), "errors": errors or {},
        "chosen": {"kind": request.POST.get("kind", "sales"), "partial": request.POST.get("partial") == "on",
                   "allow_unmatched_returns": request.POST.get("allow_unmatched_returns") == "on"},
    }, status=status)


@staff_view("import")
def imports(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view("import")
def import_upload(request: HttpRequest) -> HttpResponse:
    """Keep the file and check it as a job: the preview page lists every row's result."""
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    errors: dict[str, list[str]] = {}
    if _kind_errors(request, kind):
        errors["kind"] = _kind_errors(request, kind)
    if upload is None:
        errors["file"] = [_("choose a CSV or XLSX file")]
    if errors:
        return _page(request, errors, status=422)
    assert upload is not None
    try:
        stored = upload_store(content=upload.read(), filename=upload.name or "")
    except ValidationFailed as error:
        return _page(request, {"file": [e["message"] for e in error.details["errors"]]}, status=422)
    partial = request.POST.get("partial") == "on"
    unmatched = request.POST.get("allow_unmatched_returns") == "on"
    job = job_start(kind="import_preview", actor=request.user, title=_("Check %(file)s") % {"file": upload.name},
                    params={"kind": kind, "upload": stored, "filename": upload.name, "partial": partial,
                            "allow_unmatched_returns": unmatched})
    return redirect("web:job", job.pk)


@require_POST
@staff_view("import")
def import_commit(request: HttpRequest) -> HttpResponse:
    """Import a file already checked; the import itself checks it again and is all or nothing."""
    kind, stored, filename = (request.POST.get(name, "") for name in ("kind", "upload", "filename"))
    if _kind_errors(request, kind):
        return _page(request, {"kind": _kind_errors(request, kind)}, status=422)
    try:
        upload_read(stored)
    except NotFound:
        raise Http404 from None  # not an upload we keep
    partial = request.POST.get("partial") == "1"
    unmatched = request.POST.get("allow_unmatched_returns") == "1"
    job = job_start(kind="import", actor=request.user, title=_("Import %(file)s") % {"file": filename},
                    params={"kind": kind, "upload": stored, "filename": filename, "partial": partial,
                            "allow_unmatched_returns": unmatched})
    return redirect("web:job", job.pk)
