"""Payment batches: approved statements gathered under one reference, a bank file with one
transfer per payee, recorded as paid in one step (four eyes as for one payout), or cancelled."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from openpyxl import load_workbook

from fanli.common.exceptions import Forbidden, StateError, ValidationFailed
from fanli.common.models import AuditEvent
from fanli.customers.models import Customer
from fanli.ledger.models import Payout
from fanli.rebates.models import PaymentBatch, Statement
from fanli.rebates.payment_batches import (
    bank_transfers,
    payment_batch_cancel,
    payment_batch_confirm,
    payment_batch_prepare,
    payment_batch_remove,
)

PAID_ON = date(2026, 4, 20)


@pytest.fixture
def banked(issued):
    """The issued world with both customers' bank accounts on record."""
    Customer.objects.filter(code="C001").update(bank_name="招商银行南京分行", bank_account_name="C001 商贸有限公司",
                                                bank_account_number="6222020000000000001",
                                                bank_verified_at=timezone.now())
    Customer.objects.filter(code="C002").update(bank_name="中国银行苏州分行", bank_account_name="C002 Trading",
                                                bank_account_number="6222020000000000002",
                                                bank_verified_at=timezone.now())
    return issued


def _both(world) -> list[int]:
    return [world["acme_statement"].pk, world["other_statement"].pk]


def test_a_batch_takes_only_approved_statements_of_customers_with_a_bank_account(world):
    with pytest.raises(ValidationFailed) as refused:
        payment_batch_prepare(statement_ids=_both(world), actor=world["users"]["finance"], today=PAID_ON)
    messages = [e["message"] for e in refused.value.details["errors"]]
    assert messages == [f"statement {pk} is draft; only an approved statement is paid" for pk in _both(world)]
    assert not PaymentBatch.objects.exists()


def test_a_cash_rebate_needs_the_customers_bank_account(issued):
    Customer.objects.filter(code="C002").update(bank_account_number="6222020000000000002",
                                                bank_verified_at=timezone.now())
    with pytest.raises(ValidationFailed) as refused:
        payment_batch_prepare(statement_ids=_both(issued), actor=issued["users"]["finance"], today=PAID_ON)
    assert [e["message"] for e in refused.value.details["errors"]] == [
        "customer C001 has no bank account on record: add it (bank_account_number) before paying a cash rebate "
        "by bank transfer"]
    assert not PaymentBatch.objects.exists() and not Statement.objects.filter(payment_batch__isnull=False).exists()


def test_a_batch_gathers_statements_once_and_its_bank_file_has_a_transfer_per_payee(banked):
    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    assert batch.reference == "PB-20260420-001" and batch.state == "prepared"
    assert set(Statement.objects.filter(payment_batch=batch).values_list("pk", flat=True)) == set(_both(banked))
    assert [(t.customer_code, t.account_number, t.amount_minor, t.statements) for t in bank_transfers(batch)] == [
        ("C001", "6222020000000000001", 304_000, (banked["acme_statement"].pk,)),
        ("C002", "6222020000000000002", 90_000, (banked["other_statement"].pk,))]
    with pytest.raises(ValidationFailed) as again:
        payment_batch_prepare(statement_ids=_both(banked)[:1], actor=banked["users"]["finance"], today=PAID_ON)
    assert "already in payment batch PB-20260420-001" in again.value.details["errors"][0]["message"]
    assert AuditEvent.objects.filter(action="payment_batch.prepare", object_id=str(batch.pk)).count() == 1


def test_who_approved_a_statement_of_the_batch_cannot_record_it_paid_and_nothing_is_paid(banked):
    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    with pytest.raises(Forbidden):
        payment_batch_confirm(batch_id=batch.pk, paid_on=PAID_ON, actor=banked["users"]["finance"], today=PAID_ON)
    assert not Payout.objects.exists()
    assert PaymentBatch.objects.get().state == "prepared"


def test_recording_the_batch_paid_pays_every_statement_with_the_batch_reference(banked):
    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    payment_batch_confirm(batch_id=batch.pk, paid_on=PAID_ON, actor=banked["users"]["administrator"], today=PAID_ON)
    batch.refresh_from_db()
    assert (batch.state, batch.paid_on, batch.confirmed_by.username) == ("paid", PAID_ON, "administrator")
    assert sorted(Payout.objects.values_list("statement_id", "reference", "paid_on", "amount_minor")) == sorted([
        (banked["acme_statement"].pk, "PB-20260420-001", PAID_ON, 304_000),
        (banked["other_statement"].pk, "PB-20260420-001", PAID_ON, 90_000)])
    assert set(Statement.objects.values_list("state", flat=True)) == {"paid"}
    with pytest.raises(StateError):
        payment_batch_confirm(batch_id=batch.pk, paid_on=PAID_ON, actor=banked["users"]["administrator"],
                              today=PAID_ON)
    assert Payout.objects.count() == 2


def test_a_statement_disputed_after_batching_is_taken_out_and_the_rest_is_paid(client, banked):
    from fanli.rebates.services import statement_dispute

    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    acme = banked["acme_statement"]
    statement_dispute(statement_id=acme.pk, reason="the March credit note is missing", actor=banked["users"]["portal"])
    admin = banked["users"]["administrator"]
    with pytest.raises(StateError) as refused:
        payment_batch_confirm(batch_id=batch.pk, paid_on=PAID_ON, actor=admin, today=PAID_ON)
    assert refused.value.message == (
        f"statements of payment batch PB-20260420-001 are no longer approved: {acme.pk} (disputed); take them out "
        "of the batch before recording it paid")
    assert not Payout.objects.exists()

    client.force_login(banked["users"]["finance"])
    page = client.get(f"/office/payments/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'name="statement" value="{acme.pk}" aria-label="移出 {acme.pk}" checked' in page
    refused_page = client.post(f"/office/payments/{batch.pk}/remove/", {"statement": [acme.pk], "reason": ""},
                               follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "将结算单移出付款批次须填写原因" in refused_page
    assert Statement.objects.get(pk=acme.pk).payment_batch_id == batch.pk
    done = client.post(f"/office/payments/{batch.pk}/remove/", {"statement": [acme.pk], "reason": "disputed"},
                       follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已将 1 张结算单移出 PB-20260420-001" in done
    assert (Statement.objects.get(pk=acme.pk).state, Statement.objects.get(pk=acme.pk).payment_batch_id) == (
        "disputed", None)
    assert AuditEvent.objects.get(action="payment_batch.remove").data == {
        "reference": "PB-20260420-001", "statements": [acme.pk], "reason": "disputed"}

    payment_batch_confirm(batch_id=batch.pk, paid_on=PAID_ON, actor=admin, today=PAID_ON)
    assert list(Payout.objects.values_list("statement_id", "amount_minor")) == [(banked["other_statement"].pk, 90_000)]


def test_taking_every_statement_out_cancels_the_batch(banked):
    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    with pytest.raises(ValidationFailed, match="not in payment batch"):
        payment_batch_remove(batch_id=batch.pk, statement_ids=[999_999], reason="typo", actor=banked["users"]["finance"])
    payment_batch_remove(batch_id=batch.pk, statement_ids=_both(banked), reason="wrong period",
                         actor=banked["users"]["finance"])
    batch.refresh_from_db()
    assert (batch.state, batch.cancelled_reason) == ("cancelled", "wrong period")
    assert set(Statement.objects.values_list("state", flat=True)) == {"approved"}


def test_a_cancelled_batch_gives_its_statements_back(banked):
    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    with pytest.raises(ValidationFailed):
        payment_batch_cancel(batch_id=batch.pk, reason=" ", actor=banked["users"]["finance"])
    payment_batch_cancel(batch_id=batch.pk, reason="bank refused the file", actor=banked["users"]["finance"])
    assert PaymentBatch.objects.get().state == "cancelled"
    assert not Statement.objects.filter(payment_batch__isnull=False).exists()
    second = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    assert second.reference == "PB-20260420-002"


def test_only_who_may_pay_prepares_a_batch(banked):
    for role in ("channel_manager", "customer_service", "auditor"):
        with pytest.raises(Forbidden):
            payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"][role], today=PAID_ON)
    assert not PaymentBatch.objects.exists()


# ---------------------------------------------------------------- pages


def test_finance_batches_every_approved_match_after_a_confirmation_then_another_person_records_it_paid(client, banked):
    client.force_login(banked["users"]["finance"])
    asked = client.post("/office/statements/batch/", {"all_matching": "1", "policy": "dist-q"})
    page = asked.content.decode()
    assert 'id="batch-confirm"' in page and "¥3,940.00" in page and 'name="expected_count" value="2"' in page
    assert not PaymentBatch.objects.exists()
    done = client.post("/office/statements/batch/", {"all_matching": "1", "confirmed": "1", "policy": "dist-q",
                                                     "expected_count": "2", "expected_total": "394000"})
    batch = PaymentBatch.objects.get()
    assert done["Location"] == f"/office/payments/{batch.pk}/"
    batch_page = client.get(done["Location"]).content.decode()
    assert 'id="batch-amount">¥3,940.00<' in batch_page and 'id="four-eyes-note"' in batch_page
    assert 'id="batch-paid-form"' not in batch_page  # finance approved them: another person records the payment

    csv_response = client.get(f"/office/payments/{batch.pk}/bank.csv")
    text = csv_response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(StringIO(text[1:])))
    assert rows[1][:5] == ["6222020000000000001", "C001 商贸有限公司", "招商银行南京分行", "3040.00", "CNY"]
    assert rows[2][:5] == ["6222020000000000002", "C002 Trading", "中国银行苏州分行", "900.00", "CNY"]
    assert len(rows) == 3
    sheet = load_workbook(BytesIO(client.get(f"/office/payments/{batch.pk}/bank.xlsx").content)).active
    assert [row[3].value for row in sheet.iter_rows(min_row=2)] == [Decimal("3040"), Decimal("900")]

    client.force_login(banked["users"]["administrator"])
    paid = client.post(f"/office/payments/{batch.pk}/confirm/", {"paid_on": "2026-04-20"})
    assert paid["Location"] == f"/office/payments/{batch.pk}/"
    assert set(Statement.objects.values_list("state", flat=True)) == {"paid"}
    again = client.get(f"/office/payments/{batch.pk}/bank.csv", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert again.redirect_chain == [(f"/office/payments/{batch.pk}/", 302)]  # never sent twice
    assert "银行文件仅在批次等待银行付款时提供" in again.content.decode()
    life = client.get(f"/office/statements/{banked['acme_statement'].pk}/").content.decode()
    life = life.split('id="statement-life"')[1].split("</section>")[0]
    assert batch.reference in life and "administrator" in life and "2026-04-20" in life


def test_a_batch_of_ticked_statements_that_cannot_be_paid_says_why_and_makes_nothing(client, world):
    client.force_login(world["users"]["finance"])
    response = client.post("/office/statements/batch/", {"ids": _both(world), "max": "5000"})
    assert response["Location"] == "/office/statements/?max=5000"
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(said) == 3 and not PaymentBatch.objects.exists()
    other, acme = world["other_statement"].pk, world["acme_statement"].pk
    assert said == ["所选 2 张结算单中有 2 张不能放入付款批次",
                    f"结算单 {min(acme, other)} 为“草稿”；只有已审批的结算单才能付款",
                    f"结算单 {max(acme, other)} 为“草稿”；只有已审批的结算单才能付款"]


def test_who_may_not_pay_cannot_prepare_confirm_or_download(client, banked):
    batch = payment_batch_prepare(statement_ids=_both(banked), actor=banked["users"]["finance"], today=PAID_ON)
    client.force_login(banked["users"]["customer_service"])
    assert client.post("/office/statements/batch/", {"all_matching": "1"}).status_code == 403
    assert client.post(f"/office/payments/{batch.pk}/confirm/", {"paid_on": "2026-04-20"}).status_code == 403
    assert client.get(f"/office/payments/{batch.pk}/bank.csv").status_code == 403
    assert client.get(f"/office/payments/{batch.pk}/").status_code == 200  # reading is allowed
    assert not Payout.objects.exists()


def test_the_month_end_batch_from_the_command_line(banked, tmp_path):
    import io

    from django.core.management import call_command

    def run(*args: str) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    prepared = run("batch", "prepare", "--period", "2026-Q1", "--as-user", "finance").strip()
    batch = PaymentBatch.objects.get()
    assert prepared == f"{batch.reference}: 2 statement(s), ¥3,940.00 (¥3,940.00 by bank transfer)"
    path = tmp_path / "bank.csv"
    run("batch", "bank-file", batch.reference, "--output", str(path))
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith("6222020000000000001,C001 商贸有限公司,招商银行南京分行,3040.00,CNY,")
    with pytest.raises(Exception, match="four eyes"):
        run("batch", "paid", batch.reference, "--paid-on", "2026-04-20", "--as-user", "finance")
    assert run("batch", "paid", batch.reference, "--paid-on", "2026-04-20", "--as-user", "administrator").strip() == (
        f"{batch.reference}: paid on 2026-04-20, 2 statement(s)")
    with pytest.raises(Exception, match="its bank file is offered only while the batch waits for the bank"):
        run("batch", "bank-file", batch.reference, "--output", str(tmp_path / "again.csv"))
    assert not (tmp_path / "again.csv").exists()
    assert set(Statement.objects.values_list("state", flat=True)) == {"paid"}


def test_a_batch_confirmation_that_no_longer_matches_prepares_nothing(client, banked):
    client.force_login(banked["users"]["finance"])
    response = client.post("/office/statements/batch/", {"all_matching": "1", "confirmed": "1",
                                                         "expected_count": "1", "expected_total": "90000"})
    assert response["Location"] == "/office/statements/"
    assert not PaymentBatch.objects.exists()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["确认之后符合筛选条件的结算单有变化：现在有 2 张。未生成付款批次，请重新核对。"]
