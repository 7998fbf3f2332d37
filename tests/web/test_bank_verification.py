"""A payee's bank account, once changed, waits for a second person before a bank file pays into it.

Whoever may import customers (finance among them) could otherwise change a payee's account and
then prepare a batch paying it. A changed account is stored (not silently dropped), marked as
changed by the importer, refused in a new batch, and holds the bank file of a batch prepared
before the change, until another person with the right to pay verifies it.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fanli.common.exceptions import Forbidden, StateError, ValidationFailed
from fanli.common.models import AuditEvent
from fanli.customers.models import Customer
from fanli.customers.services import customer_bank_verify
from fanli.imports.services import import_file
from fanli.rebates.models import PaymentBatch
from fanli.rebates.payment_batches import bank_file, payment_batch_prepare
from tests.sales.helpers import csv_bytes
from tests.web.browsing import PASSWORD

HEADER = ["code", "name", "kind", "start_date", "bank_name", "bank_account_name", "bank_account_number"]


def _bank_import(world, number: str, *, code: str = "C001", user: str = "finance"):
    row = [code, f"{code} 商贸有限公司", "distributor", "2020-01-01", "招商银行南京分行", f"{code} 商贸有限公司", number]
    return import_file(kind="customers", content=csv_bytes(HEADER, [row]), filename="bank.csv",
                       actor=world["users"][user])


@pytest.fixture
def verified(issued):
    """Both customers with accounts verified long ago."""
    for code, number in (("C001", "6222020000000000001"), ("C002", "6222020000000000002")):
        Customer.objects.filter(code=code).update(bank_name="招商银行南京分行", bank_account_name=f"{code} 商贸有限公司",
                                                  bank_account_number=number, bank_verified_at=timezone.now())
    return issued


def _both(world) -> list[int]:
    return [world["acme_statement"].pk, world["other_statement"].pk]


def test_an_imported_account_change_is_stored_unverified_and_audited(verified):
    batch = _bank_import(verified, "6217000000000000777")

    assert (batch.status, batch.rows_updated) == ("done", 1)
    acme = Customer.objects.get(code="C001")
    assert (acme.bank_account_number, acme.bank_verified, acme.bank_verified_by_id) == ("6217000000000000777", False, None)
    assert acme.bank_changed_by == verified["users"]["finance"]
    event = AuditEvent.objects.get(action="customer.bank_change")
    assert (event.object_id, event.data["account_before"], event.data["account_after"]) == ("C001", "…0001", "…0777")
    assert Customer.objects.get(code="C002").bank_verified  # not in the file: untouched


def test_reimporting_the_same_account_keeps_it_verified(verified):
    batch = _bank_import(verified, "6222020000000000001")

    assert (batch.rows_updated, batch.rows_unchanged) == (0, 1)
    assert Customer.objects.get(code="C001").bank_verified
    assert not AuditEvent.objects.filter(action="customer.bank_change").exists()


def test_who_changed_an_account_can_neither_batch_it_nor_verify_it(verified):
    finance, admin = verified["users"]["finance"], verified["users"]["administrator"]
    _bank_import(verified, "6217000000000000777")

    with pytest.raises(ValidationFailed) as refused:
        payment_batch_prepare(statement_ids=_both(verified), actor=finance)
    assert [e["message"] for e in refused.value.details["errors"]] == [
        "customer C001's bank account changed and is not verified yet: another person with the right to pay "
        "verifies it on the customer's page"]
    assert not PaymentBatch.objects.exists()
    with pytest.raises(Forbidden, match="four eyes: you cannot verify bank details you changed"):
        customer_bank_verify(code="C001", actor=finance)
    assert not Customer.objects.get(code="C001").bank_verified

    customer_bank_verify(code="C001", actor=admin)
    acme = Customer.objects.get(code="C001")
    assert (acme.bank_verified, acme.bank_verified_by) == (True, admin)
    assert AuditEvent.objects.filter(action="customer.bank_verify", object_id="C001", actor=admin).count() == 1
    batch = payment_batch_prepare(statement_ids=_both(verified), actor=finance)
    assert [t.account_number for t in bank_file(batch)] == ["6217000000000000777", "6222020000000000002"]
    with pytest.raises(StateError, match="already verified"):
        customer_bank_verify(code="C001", actor=admin)


def test_only_who_may_pay_verifies(verified):
    _bank_import(verified, "6217000000000000777")
    with pytest.raises(Forbidden, match=r"\(pay\)"):
        customer_bank_verify(code="C001", actor=verified["users"]["channel_manager"])


def test_an_account_changed_after_the_batch_was_prepared_holds_its_bank_file(client, verified):
    batch = payment_batch_prepare(statement_ids=_both(verified), actor=verified["users"]["finance"])
    _bank_import(verified, "6217000000000000777", code="C002", user="administrator")

    with pytest.raises(StateError) as held:
        bank_file(batch)
    assert held.value.message == ("the bank file is held: the bank account of C002 changed and is not verified yet; "
                                  "another person with the right to pay verifies it on the customer's page")
    client.login(username="finance", password=PASSWORD)
    response = client.get(f"/office/payments/{batch.pk}/bank.csv", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.redirect_chain == [(f"/office/payments/{batch.pk}/", 302)]
    page = response.content.decode()
    assert "银行文件暂不出具：C002 的银行账户已更改，尚未核实" in page
    assert 'href="/office/customers/C002/">未核实</a>' in page

    customer = client.get("/office/customers/C002/").content.decode()
    assert 'id="bank-verify-form"' in customer  # finance did not change it: finance may verify
    client.post("/office/customers/C002/bank/verify/")
    assert Customer.objects.get(code="C002").bank_verified_by == verified["users"]["finance"]
    assert client.get(f"/office/payments/{batch.pk}/bank.csv").status_code == 200


def test_the_changer_is_not_offered_the_verify_button(client, verified):
    _bank_import(verified, "6217000000000000777")
    client.login(username="finance", password=PASSWORD)
    page = client.get("/office/customers/C001/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "changed by finance on" in page and "not verified: no bank file pays into it yet" in page
    assert 'id="bank-verify-form"' not in page
    client.post("/office/customers/C001/bank/verify/")
    assert not Customer.objects.get(code="C001").bank_verified


def test_bank_accounts_from_the_command_line(verified):
    def run(*args: str) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    _bank_import(verified, "6217000000000000777")
    listed = run("bank", "unverified").splitlines()
    assert listed[0].split()[:5] == ["C001", "6217000000000000777", "changed", "by", "finance"]
    assert listed[-1] == "1 bank account(s) wait for verification"
    with pytest.raises(CommandError, match="four eyes: you cannot verify bank details you changed"):
        run("bank", "verify", "C001", "--as-user", "finance")
    assert run("bank", "verify", "C001", "--as-user", "administrator").strip() == "C001: bank account …0777 verified"
    assert run("bank", "unverified").strip() == "0 bank account(s) wait for verification"


def test_every_unverified_account_at_once_leaves_those_the_user_changed(verified):
    def run(*args: str) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    _bank_import(verified, "6217000000000000777", code="C001", user="finance")
    _bank_import(verified, "6217000000000000888", code="C002", user="administrator")
    with pytest.raises(CommandError, match="name the customers to verify, or give --all"):
        run("bank", "verify", "--as-user", "finance")

    assert run("bank", "verify", "--all", "--as-user", "finance").splitlines() == [
        "C001: left for another person (you changed this account)",
        "C002: bank account …0888 verified",
        "1 bank account(s) verified"]
    assert [c.code for c in Customer.objects.order_by("code") if not c.bank_verified] == ["C001"]
