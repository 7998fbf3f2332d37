"""The settlement workspace: runs started as jobs, the run history, XLSX export and printing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from fanli.common.jobs import job_status
from fanli.common.models import Job
from fanli.customers.models import Customer
from fanli.ledger.selectors import ledger_check
from fanli.rebates.models import Run, Statement
from tests.builders import invoice

pytestmark = pytest.mark.django_db
SETTLERS = {"administrator", "finance"}


def test_a_settlement_started_from_the_page_runs_as_a_job_and_a_second_run_writes_nothing(client, world):
    invoice(Customer.objects.get(code="C001"), date(2026, 8, 10), ("TEA-1", "200000"))
    client.force_login(world["users"]["finance"])
    response = client.post("/office/settlement/run/", {"kind": "settlement", "period": "2026-Q3"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/office/jobs/{job.pk}/"
    assert (job.kind, job.state, job.title, job.params) == ("settlement", "done", "结算 2026-Q3",
                                                            {"period": "2026-Q3", "policies": []})
    status = job_status(job)
    assert (status.stage, status.done, status.total, status.percent) == ("posting the ledger", 4, 5, 100)
    statement = Statement.objects.get(period_key="2026-Q3")
    assert (statement.customer.code, statement.amount_minor, statement.run_id) == ("C001", 400_000, job.result["run"])
    page = client.get(response["Location"]).content.decode()
    assert 'id="result-statements">1<' in page and 'id="result-amount">¥4,000.00<' in page
    assert f'href="/office/statements/?run={job.result["run"]}"' in page
    client.post("/office/settlement/run/", {"kind": "settlement", "period": "2026-Q3"})
    assert Job.objects.latest("id").result["statements"] == 0
    assert Statement.objects.filter(period_key="2026-Q3").count() == 1
    assert ledger_check()["balanced"]
    workspace = client.get("/office/settlement/").content.decode()
    assert workspace.count("<td>2026-Q3</td>") == 2


def test_a_period_not_ended_or_misspelt_is_refused_beside_its_field_and_nothing_runs(client, world):
    client.force_login(world["users"]["administrator"])
    runs = Run.objects.count()
    response = client.post("/office/settlement/run/", {"kind": "settlement", "period": "2099-Q1"})
    assert response.status_code == 422
    assert "2099-Q1 于 2099-03-31 结束：次日起才能运行" in response.content.decode()
    response = client.post("/office/settlement/run/", {"kind": "accrual", "month": "2026-Q1"})
    assert response.status_code == 422 and "计提按月运行" in response.content.decode()
    response = client.post("/office/settlement/run/", {"kind": "settlement", "period": "spring"})
    assert "not a period: &#x27;spring&#x27;" in response.content.decode()
    assert (Run.objects.count(), Job.objects.count()) == (runs, 0)


def test_an_accrual_started_from_the_page_reports_its_entries(client, world):
    client.force_login(world["users"]["finance"])
    client.post("/office/settlement/run/", {"kind": "accrual", "month": "2026-02"})
    job = Job.objects.get()
    assert job.state == "done" and job.result["month"] == "2026-02"
    assert job.result["entries"] == Run.objects.get(kind="accrual").summary["entries"]
    assert 'id="result-entries">' in client.get(f"/office/jobs/{job.pk}/").content.decode()


@pytest.mark.parametrize("role", ["administrator", "channel_manager", "finance", "customer_service", "auditor"])
def test_only_finance_and_administrators_run_settlements(client, world, role):
    client.force_login(world["users"][role])
    allowed = role in SETTLERS
    assert client.get("/office/settlement/").status_code == (200 if allowed else 403)
    response = client.post("/office/settlement/run/", {"kind": "accrual", "month": "2026-02"})
    assert response.status_code == (302 if allowed else 403)
    assert Run.objects.filter(kind="accrual").count() == (1 if allowed else 0)


def test_customers_and_strangers_cannot_run_anything(client, world):
    assert client.post("/office/settlement/run/", {"kind": "accrual", "month": "2026-02"}).status_code == 302
    client.force_login(world["users"]["portal"])
    assert client.post("/office/settlement/run/", {"kind": "accrual", "month": "2026-02"}).status_code == 403
    assert not Run.objects.filter(kind="accrual").exists()


def test_the_amount_filter_is_exact_and_a_bad_amount_is_said(client, world):
    client.force_login(world["users"]["finance"])
    page = client.get("/office/statements/", {"min": "1,000"}).content.decode()
    assert f'/office/statements/{world["acme_statement"].pk}/' in page
    assert f'/office/statements/{world["other_statement"].pk}/' not in page
    exact = client.get("/office/statements/", {"min": "3040.00", "max": "3040"}).content.decode()
    assert f'/office/statements/{world["acme_statement"].pk}/' in exact
    assert client.get("/office/statements/", {"min": "3040.01"}).content.decode().count("/office/statements/") < \
        exact.count("/office/statements/")
    bad = client.get("/office/statements/", {"max": "lots"})
    assert bad.status_code == 200 and "lots 不是有效的金额" in bad.content.decode()


def test_the_xlsx_export_holds_exactly_the_filtered_statements_with_exact_money(client, world):
    client.force_login(world["users"]["finance"])
    response = client.get("/office/statements/export.xlsx", {"policy": "dist-q"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["#", "客户", "客户名称"]
    acme, other = world["acme_statement"], world["other_statement"]
    body = {row[0]: row for row in rows[1:-1]}
    assert set(body) == {acme.pk, other.pk}
    assert body[acme.pk][1:9] == ["C001", "C001 商贸有限公司", "dist-q", 1, "2026-Q1", "结算", 1,
                                  Decimal("152000")]
    assert [body[acme.pk][11], body[other.pk][11]] == [Decimal("3040"), Decimal("900")]
    assert rows[-1][1] == "合计" and rows[-1][11] == Decimal("3940")
    assert sheet.cell(row=2, column=12).number_format == "#,##0.00"
    narrowed = load_workbook(BytesIO(client.get("/office/statements/export.xlsx", {"max": "1000"}).content)).active
    assert [row[0].value for row in narrowed.iter_rows(min_row=2)][:-1] == [other.pk]


def test_the_channel_manager_exports_only_their_customers(client, world):
    client.force_login(world["users"]["channel_manager"])
    sheet = load_workbook(BytesIO(client.get("/office/statements/export.xlsx").content)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)][:-1] == [world["acme_statement"].pk]


@pytest.mark.usefixtures("issued")  # the customer sees only issued statements
def test_a_printable_statement_for_staff_and_for_the_customer_only(client, world):
    acme, other = world["acme_statement"], world["other_statement"]
    client.force_login(world["users"]["customer_service"])
    page = client.get(f"/office/statements/{acme.pk}/print/").content.decode()
    assert "返利结算单" in page and "¥3,040.00" in page and "本结算单：¥3,040.00" in page
    assert 'class="topbar"' not in page and "fanli/print.css" in page
    client.force_login(world["users"]["portal"])
    assert client.get(f"/portal/statements/{acme.pk}/print/").status_code == 200
    assert client.get(f"/portal/statements/{other.pk}/print/").status_code == 404
    client.force_login(world["users"]["channel_manager"])
    assert client.get(f"/office/statements/{other.pk}/print/").status_code == 404


def test_the_job_page_says_in_chinese_which_periods_were_rechecked_and_why_and_which_were_left_alone(client, world):
    acme = Customer.objects.get(code="C001")
    invoice(acme, date(2026, 8, 10), ("TEA-1", "200000"))
    client.force_login(world["users"]["finance"])
    client.post("/office/settlement/run/", {"kind": "settlement", "period": "2026-Q3"})
    invoice(acme, date(2026, 8, 20), ("TEA-1", "1000"))
    rechecked = client.get(client.post("/office/settlement/run/", {"kind": "settlement", "period": "2026-Q3"})
                           ["Location"]).content.decode()
    again = client.get(client.post("/office/settlement/run/", {"kind": "settlement", "period": "2026-Q3"})
                       ["Location"]).content.decode()

    first, second = Run.objects.order_by("-id")[:2][::-1]
    assert [(c["policy"], c["period"]) for c in first.summary["rechecked"]] == [("dist-q", "2026-Q3")]
    assert "重新核算的期间" in rechecked and "2026-08 的销售有变动" in rechecked
    left_alone = " · ".join(f"{c['policy']} {c['period']}" for c in first.summary["unchanged"])
    assert left_alone and f'id="result-unchanged">{left_alone}<' in rechecked
    assert second.summary["rechecked"] == []
    assert "重新核算的期间" not in again and "自上次计算以来无变动、未重算的期间" in again
    assert "dist-q 2026-Q3" in again


def test_why_a_policy_was_not_settled_reads_in_chinese():
    from django.utils import translation

    from fanli.web.messages import ui_message

    with translation.override("zh-hans"):
        assert ui_message("settles by half_year, not quarter") == "按半年结算，不按季度"
        assert ui_message("not valid in 2026-Q1") == "在 2026-Q1 不生效"
    with translation.override("en"):
        assert ui_message("settles by half_year, not quarter") == "settles by half year, not by quarter"
