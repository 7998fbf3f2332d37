"""Imports in the back office: upload, a preview of every row that writes nothing, then import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fanli.common.models import Job
from fanli.imports.models import ImportBatch
from fanli.imports.services import import_preview
from fanli.sales.models import SalesDocument, SalesLine

pytestmark = pytest.mark.django_db
IMPORTERS = {"administrator", "channel_manager", "finance"}
CSV = (
    b"document_number,kind,document_date,customer_code,line_number,sku,quantity,unit_price,net_amount\n"
    b"W-1,invoice,2026-05-01,C001,1,TEA-1,2,120.00,240.00\n"
    b"W-1,invoice,2026-05-01,C001,2,RICE-1,1,80.00,80.00\n"
    b"W-2,invoice,2026-05-02,C002,1,GHOST,1,10.00,10.00\n"
    b"W-3,invoice,2026-05-03,C002,1,COLA-1,10,5.00,50.00\n"
)


def counts() -> tuple[int, int, int]:
    return SalesDocument.objects.count(), SalesLine.objects.count(), ImportBatch.objects.count()


def upload(client, content: bytes = CSV, name: str = "may.csv", **fields):
    return client.post("/office/imports/upload/", {"kind": "sales", "file": SimpleUploadedFile(name, content),
                                                   **fields})


def test_the_preview_counts_and_lists_every_bad_row_and_writes_nothing(world):
    before = counts()
    result = import_preview(kind="sales", content=CSV, filename="may.csv", actor=None)
    assert counts() == before
    assert (result["would_import"], result["rows_total"], result["rows_created"], result["rows_rejected"]) == (
        False, 4, 3, 1)
    assert result["errors"] == [{"line": 4, "column": "sku", "reason": "unknown SKU 'GHOST'"}]
    assert [(row["line"], row["error"]) for row in result["first_rows"]] == [(2, False), (3, False), (4, True),
                                                                              (5, False)]
    assert import_preview(kind="sales", content=CSV, filename="may.csv", actor=None, partial=True)["would_import"] is True


def test_upload_preview_then_import_the_good_rows_and_again_nothing_new(client, world):
    client.force_login(world["users"]["finance"])
    before = counts()
    response = upload(client)
    preview = Job.objects.get(kind="import_preview")
    assert response["Location"] == f"/office/jobs/{preview.pk}/" and counts() == before
    page = client.get(response["Location"]).content.decode()
    assert '<tr data-line="4"><td>4</td><td>sku</td><td>未知 SKU &#x27;GHOST&#x27;</td></tr>' in page
    assert 'id="preview-created">3<' in page and "只导入正确的行" in page
    refused = client.post("/office/imports/commit/", {"kind": "sales", "upload": preview.result["upload"],
                                                      "filename": "may.csv", "partial": "0"})
    assert Job.objects.latest("id").result["status"] == "failed" and refused.status_code == 302
    assert counts()[:2] == before[:2]  # all or nothing: nothing
    client.post("/office/imports/commit/", {"kind": "sales", "upload": preview.result["upload"],
                                            "filename": "may.csv", "partial": "1"})
    done = Job.objects.latest("id").result
    assert (done["status"], done["rows_created"], done["rows_rejected"]) == ("done", 3, 1)
    assert sorted(SalesDocument.objects.filter(number__startswith="W-").values_list("number", flat=True)) == ["W-1", "W-3"]
    client.post("/office/imports/commit/", {"kind": "sales", "upload": preview.result["upload"],
                                            "filename": "may.csv", "partial": "1"})
    again = Job.objects.latest("id").result
    assert (again["rows_created"], again["rows_unchanged"]) == (0, 3)
    assert 'id="import-unchanged">3<' in client.get(f"/office/jobs/{Job.objects.latest('id').pk}/").content.decode()


def test_bad_uploads_are_refused_beside_the_field_and_nothing_is_kept(client, world):
    client.force_login(world["users"]["administrator"])
    wrong = upload(client, b"%PDF-1.4", "may.pdf")
    assert wrong.status_code == 422 and "may.pdf：只能导入 .csv 和 .xlsx 文件" in wrong.content.decode()
    empty = upload(client, b"", "empty.csv")
    assert empty.status_code == 422
    nothing = client.post("/office/imports/upload/", {"kind": "sales"})
    assert nothing.status_code == 422 and "请选择 CSV 或 XLSX 文件" in nothing.content.decode()
    unknown = upload(client, kind="gossip")
    assert unknown.status_code == 422 and "请选择文件内容类型" in unknown.content.decode()
    assert Job.objects.count() == 0
    forged = client.post("/office/imports/commit/", {"kind": "sales", "upload": "../../etc/passwd", "filename": "x"})
    assert forged.status_code == 404 and Job.objects.count() == 0


def test_an_unreadable_file_is_refused_as_a_whole(client, world):
    client.force_login(world["users"]["finance"])
    upload(client, b"number;date\n1;2\n", "odd.csv")
    result = Job.objects.get().result
    assert result["refused"] is True and result["would_import"] is False
    assert result["errors"][0]["reason"].startswith("unknown column (expected: document_number, kind, document_date")


@pytest.mark.parametrize("role", ["administrator", "channel_manager", "finance", "customer_service", "auditor"])
def test_only_importers_upload(client, world, role):
    client.force_login(world["users"][role])
    allowed = role in IMPORTERS
    assert client.get("/office/imports/").status_code == (200 if allowed else 403)
    assert upload(client).status_code == (302 if allowed else 403)
    assert Job.objects.count() == (1 if allowed else 0)


def test_customers_and_strangers_never_upload(client, world):
    assert upload(client).status_code == 302 and Job.objects.count() == 0
    client.force_login(world["users"]["portal"])
    assert upload(client).status_code == 403 and Job.objects.count() == 0


def test_a_sales_rep_is_told_beside_the_kind_that_importing_customers_needs_a_role_seeing_every_customer(client,
                                                                                                        world):
    client.force_login(world["users"]["channel_manager"])
    content = b"code,name,kind,start_date\nC002,Taken over,distributor,2020-01-01\n"
    response = upload(client, content, "customers.csv", kind="customers")
    assert response.status_code == 422 and "导入客户需要可查看全部客户的角色" in response.content.decode()
    committed = client.post("/office/imports/commit/", {"kind": "customers", "upload": "0" * 64 + ".csv",
                                                        "filename": "customers.csv"})
    assert committed.status_code == 422
    assert not Job.objects.exists() and ImportBatch.objects.count() == 0


RETURN_CSV = (
    b"document_number,kind,document_date,customer_code,reverses,line_number,sku,quantity,unit_price,net_amount\n"
    b"R-1,return,2026-05-04,C001,,1,TEA-1,1,120.00,120.00\n"
)


def test_an_unmatched_return_is_refused_unless_the_page_box_allows_it_and_the_choice_reaches_the_import(
    client, world
):
    client.force_login(world["users"]["finance"])

    upload(client, RETURN_CSV, "returns.csv")
    checked = Job.objects.latest("id").result
    upload(client, RETURN_CSV, "returns.csv", allow_unmatched_returns="on")
    allowed = Job.objects.latest("id")
    page = client.get(f"/office/jobs/{allowed.pk}/").content.decode()
    client.post("/office/imports/commit/", {"kind": "sales", "upload": allowed.result["upload"],
                                            "filename": "returns.csv", "partial": "0", "allow_unmatched_returns": "1"})

    assert checked["errors"] == [{"line": 2, "column": "reverses", "reason": (
        "a return must name the invoice it reverses (unless the import allows unmatched returns)")}]
    assert (allowed.result["would_import"], allowed.result["errors"]) == (True, [])
    assert '<input type="hidden" name="allow_unmatched_returns" value="1">' in page
    assert "本次导入不核对退货与原发票。" in page
    done = Job.objects.latest("id").result
    assert (done["status"], done["rows_created"], done["unmatched_returns_allowed"]) == ("done", 1, True)
    assert ImportBatch.objects.get(source_name="returns.csv").unmatched_returns_allowed is True
