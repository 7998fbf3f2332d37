"""Bounded input on the pages: a crafted workbook refused by the import check, an impossible date
and an amount beyond its bound named beside their fields in the policy editor; nothing written."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fanli.common.models import Job
from fanli.imports.models import ImportBatch
from fanli.rebates.models import Policy
from fanli.sales.models import SalesDocument
from tests.sales.test_import_limits import COLUMN_REASON, _dimension_bomb
from tests.web.test_policies import BASE_FORM, posted

pytestmark = pytest.mark.django_db


def test_a_crafted_workbook_uploaded_on_the_imports_page_is_refused_with_its_reason(client, world):
    client.force_login(world["users"]["finance"])
    documents, batches = SalesDocument.objects.count(), ImportBatch.objects.count()
    started = time.perf_counter()
    response = client.post("/office/imports/upload/", {"kind": "sales",
                                                       "file": SimpleUploadedFile("bomb.xlsx", _dimension_bomb())})
    # Not a benchmark: read without the bounds the bomb takes minutes; 10 s holds on a loaded machine.
    assert time.perf_counter() - started < 10

    job = Job.objects.get(kind="import_preview")
    assert response["Location"] == f"/office/jobs/{job.pk}/"
    assert (job.state, job.result["refused"]) == ("done", True)
    page = client.get(response["Location"]).content.decode()
    assert "<li>行 4: 该行第 16,384 列有值；最多读取 200 列</li>" in page and COLUMN_REASON not in page
    assert (SalesDocument.objects.count(), ImportBatch.objects.count()) == (documents, batches)


def _edited(**changes: str) -> dict[str, list[str]]:
    return posted([(name, changes.get(name, value)) for name, value in BASE_FORM])


def test_the_policy_editor_names_an_impossible_date_beside_its_field(client, world):
    client.force_login(world["users"]["channel_manager"])
    response = client.post("/office/policies/new/", _edited(valid_from="2026-02-30"))
    page = response.content.decode()
    assert response.status_code == 422
    assert '<ul class="field-errors" data-path="valid_from"><li>不是日期（YYYY-MM-DD）</li></ul>' in page
    assert not Policy.objects.filter(code="spring").exists()


def test_the_policy_editor_names_an_amount_beyond_its_bound_beside_its_field(client, world):
    client.force_login(world["users"]["channel_manager"])
    response = client.post("/office/policies/new/", _edited(**{"caps.rebate_cap": "100000000000000000000"}))
    page = response.content.decode()
    assert response.status_code == 422
    assert "不能大于 1000000000000" in page
    assert not Policy.objects.filter(code="spring").exists()
