"""A sales rep writes only for the customers they may read, on every interface, and learns nothing of
the others: another rep's customer gets the answer of an unknown code, byte for byte, and nothing is
written. Over real HTTP with a channel manager's own token; the command line with ``--as-user``; the
quote page."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fanli.accounts.services import staff_user_create
from fanli.common.services import api_token_create
from fanli.crm.models import Complaint, Interaction, SurveyResponse
from fanli.customers.models import Customer, CustomerRating, SalesTarget
from fanli.customers.services import scorecard_apply
from fanli.discounts.models import DiscountContract, DiscountedInvoice
from fanli.discounts.services import discount_rule_apply
from fanli.ledger.models import OrderOffset
from fanli.loyalty.models import Member, Redemption
from fanli.loyalty.services import member_enrol, programme_apply
from fanli.rebates.models import Enrolment
from fanli.rebates.payouts import payout_record
from fanli.rebates.services import policy_apply, settlement_run, statement_approve
from fanli.sales.models import SalesDocument
from tests.api.test_rebates_api import POLICY
from tests.builders import catalog, customer, invoice
from tests.customers.test_scorecard import CARD
from tests.discounts.test_services import LADDER
from tests.loyalty.test_points import PROGRAMME

MINE, THEIRS, NOBODY = "C001", "C002", "C999"  # same length, so only the echoed code differs


def world() -> tuple[Any, Any]:
    """Two reps: ``rep`` owns C001, ``other`` owns C002 (with rebate credit, a grade and points)."""
    catalog()
    rep = staff_user_create(username="rep", password="x-Long-secret-1", role="channel_manager", actor=None)
    other = staff_user_create(username="other", password="x-Long-secret-1", role="channel_manager", actor=None)
    mine, theirs = customer(MINE, grade="normal"), customer(THEIRS, grade="vip")
    Customer.objects.filter(pk=mine.pk).update(owner=rep)
    Customer.objects.filter(pk=theirs.pk).update(owner=other)
    policy_apply(text=json.dumps(POLICY), actor=None)
    discount_rule_apply(text=LADDER, actor=None)
    scorecard_apply(text=CARD, actor=None)
    programme_apply(text=PROGRAMME, actor=None)
    member_enrol(programme_code="club", customer_code=THEIRS, day=date(2026, 1, 5), actor=None)
    invoice(theirs, date(2026, 1, 10), ("TEA-1", "200000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    statement = statement_approve(statement_id=theirs.statements.get().pk, actor=None, on=date(2026, 4, 2))
    payout_record(statement_id=statement.pk, actor=None, paid_on=date(2026, 4, 3))  # credit on C002's rebate account
    return rep, other


class RawClient:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Content-Type", content_type)
        request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method: str, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return self.call(method, path, json.dumps(body).encode(), headers=headers)

    def upload(self, path: str, filename: str, content: bytes) -> tuple[int, bytes]:
        boundary = "fanli-test-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.call("POST", path, body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def rep_api(live_server, transactional_db) -> RawClient:
    rep, _ = world()
    return RawClient(f"{live_server.url}/api", api_token_create(user=rep, name="test"))


def _today() -> str:
    return timezone.localdate().isoformat()


# (method, path, body, what a success writes); ``{code}`` stands for the customer code.
WRITES: dict[str, tuple[str, str, dict[str, Any], Callable[[], int]]] = {
    "enrolment": ("PUT", "/policies/dist-q/enrolments", {"customer": "{code}"}, Enrolment.objects.count),
    "discount contract": ("PUT", "/discount-contracts", {"customer": "{code}", "rule": "grade-ladder", "percent": "5"},
                          DiscountContract.objects.count),
    "discounted invoice": ("POST", "/discounted-invoices", {"customer": "{code}", "invoice_number": "INV-{code}",
                                                            "lines": [{"sku": "TEA-1", "quantity": "1"}]},
                           DiscountedInvoice.objects.count),
    "interaction": ("POST", "/customers/{code}/interactions", {"channel": "T", "happened_on": "{today}",
                                                               "summary": "called", "next_follow_up": "{today}"},
                    Interaction.objects.count),
    "complaint": ("POST", "/customers/{code}/complaints", {"category": "quality", "summary": "broken",
                                                           "opened_on": "{today}"}, Complaint.objects.count),
    "survey": ("POST", "/customers/{code}/surveys", {"score": 4, "answered_on": "{today}"},
               SurveyResponse.objects.count),
    "relationship": ("PUT", "/customers/{code}/relationship", {"relationship": "partner"},
                     lambda: Customer.objects.filter(relationship="partner").count()),
    "rating": ("POST", "/scorecards/dealer/ratings", {"customer": "{code}", "criterion": "initiative", "score": 90},
               CustomerRating.objects.count),
    "sales document": ("POST", "/sales/documents", {
        "number": "IN-{code}", "kind": "invoice", "document_date": "2026-05-02", "customer_code": "{code}",
        "lines": [{"line_number": 1, "sku": "TEA-1", "quantity": "1", "unit_price": "120", "net_amount": "120"}]},
        lambda: SalesDocument.objects.filter(number__startswith="IN-C").count()),
}


def _filled(template: Any, code: str) -> Any:
    return json.loads(json.dumps(template).replace("{code}", code).replace("{today}", _today()))


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_for_another_reps_customer_answers_exactly_as_for_an_unknown_one_and_writes_nothing(rep_api, name):
    method, path, body, written = WRITES[name]
    before = written()

    def send(code: str) -> tuple[int, bytes]:
        return rep_api.json(method, path.replace("{code}", code), _filled(body, code),
                            headers={"Idempotency-Key": f"key-{code}"})

    theirs_status, theirs_body = send(THEIRS)
    nobody_status, nobody_body = send(NOBODY)
    assert theirs_status == nobody_status and theirs_status in (404, 422), (theirs_status, theirs_body)
    assert theirs_body.replace(THEIRS.encode(), NOBODY.encode()) == nobody_body
    assert json.loads(theirs_body)["code"] in ("not_found", "validation_failed")
    assert written() == before  # nothing for another rep's customer
    mine_status, mine_body = send(MINE)
    assert mine_status in (200, 201), mine_body  # the same call for the rep's own customer does write
    assert written() == before + 1


def test_a_quote_for_another_reps_customer_shows_nothing_of_it_over_the_api(rep_api):
    lines = [{"sku": "TEA-1", "quantity": "1"}]
    theirs = rep_api.json("POST", "/quotes", {"customer": THEIRS, "lines": lines})
    nobody = rep_api.json("POST", "/quotes", {"customer": NOBODY, "lines": lines})
    assert theirs[0] == nobody[0] == 422
    assert theirs[1].replace(THEIRS.encode(), NOBODY.encode()) == nobody[1]
    assert json.loads(theirs[1])["details"]["errors"] == [{"path": "customer", "message": f"no customer '{THEIRS}'"}]
    assert rep_api.json("POST", "/quotes", {"customer": MINE, "lines": lines})[0] == 200


def test_reading_another_reps_customer_or_invoice_answers_exactly_as_an_unknown_one(rep_api):
    from fanli.sales.models import SalesDocument

    theirs, nobody = rep_api.call("GET", f"/customers/{THEIRS}"), rep_api.call("GET", f"/customers/{NOBODY}")
    assert theirs[0] == nobody[0] == 404
    assert theirs[1].replace(THEIRS.encode(), NOBODY.encode()) == nobody[1]  # the message and details differed
    number = SalesDocument.objects.get(customer__code=THEIRS).number
    unknown = "X" * len(number)
    theirs, nobody = rep_api.call("GET", f"/sales/documents/{number}"), rep_api.call("GET", f"/sales/documents/{unknown}")
    assert theirs[0] == nobody[0] == 404
    assert theirs[1].replace(number.encode(), unknown.encode()) == nobody[1]
    assert rep_api.call("GET", f"/customers/{MINE}")[0] == 200


def test_a_return_reversing_another_reps_invoice_is_answered_as_reversing_an_unknown_one(rep_api):
    theirs = SalesDocument.objects.get(customer__code=THEIRS, kind="invoice").number
    unknown = "X" + theirs[1:]

    def send(reverses: str) -> tuple[int, bytes]:
        return rep_api.json("POST", "/sales/documents", {
            "number": "RT-1", "kind": "return", "document_date": "2026-05-02", "customer_code": MINE,
            "reverses": reverses, "lines": [{"line_number": 1, "sku": "TEA-1", "quantity": "1", "unit_price": "120",
                                             "net_amount": "120"}]}, headers={"Idempotency-Key": f"key-{reverses}"})

    (theirs_status, theirs_body), (unknown_status, unknown_body) = send(theirs), send(unknown)
    assert theirs_status == unknown_status == 422
    assert theirs_body.replace(theirs.encode(), unknown.encode()) == unknown_body
    assert f"reverses unknown invoice '{theirs}'" in theirs_body.decode()
    assert not SalesDocument.objects.filter(number="RT-1").exists()


def _csv(*rows: str, header: str) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


SALES_HEADER = "document_number,kind,document_date,customer_code,line_number,sku,quantity,unit_price,net_amount"


@pytest.mark.parametrize("kind, header, row", [
    ("sales", SALES_HEADER, "IN-{n},invoice,2026-05-02,{code},1,TEA-1,1,120,120"),
    ("targets", "customer_code,start,end,amount", "{code},2026-01-01,2026-12-31,50000"),
])
def test_an_import_naming_another_reps_customer_reports_it_as_unknown_and_writes_nothing(rep_api, kind, header, row):
    def send(code: str) -> dict[str, Any]:
        content = _csv(row.format(n="1", code=MINE), row.format(n="2", code=code), header=header)
        status, body = rep_api.upload(f"/imports/{kind}", f"{kind}.csv", content)
        assert status == 422, body
        return json.loads(body)

    theirs, nobody = send(THEIRS), send(NOBODY)
    assert theirs["message"] == nobody["message"] == f"{kind}.csv was refused: 1 error(s); nothing was written"
    assert json.dumps(theirs["details"]["errors"]).replace(THEIRS, NOBODY) == json.dumps(nobody["details"]["errors"])
    assert theirs["details"]["errors"] == [{"line": 3, "column": "customer_code", "reason": f"unknown customer '{THEIRS}'"}]
    assert SalesDocument.objects.filter(number__in=["IN-1", "IN-2"]).count() == 0
    assert SalesTarget.objects.count() == 0


def test_a_sales_rep_may_not_import_customers_which_would_change_any_customer(rep_api):
    content = _csv(f"{THEIRS},Taken over,distributor,2020-01-01", header="code,name,kind,start_date")
    status, body = rep_api.upload("/imports/customers", "customers.csv", content)
    assert (status, json.loads(body)["code"]) == (403, "forbidden")
    assert Customer.objects.get(code=THEIRS).name == f"{THEIRS} 商贸有限公司"


# ---------------------------------------------------------------- the command line, --as-user


def _refusal(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=io.StringIO())
    return str(refused.value)


# (arguments after the command's name, what a success writes, whether the rep's own customer can
# show the write succeeding; otherwise the system shows it for the other rep's customer)
CLI_WRITES: dict[str, tuple[tuple[str, ...], Callable[[], int], bool]] = {
    "enrol": (("enrol", "dist-q", "{code}"), Enrolment.objects.count, True),
    "discount contract": (("discount", "contract", "{code}", "grade-ladder", "5"), DiscountContract.objects.count,
                          True),
    "discount record": (("discount", "record", "INV-{code}", "{code}", "TEA-1:1"), DiscountedInvoice.objects.count,
                        True),
    "credit use": (("credit", "use", "{code}", "ORD-1", "--lines", "1000"), OrderOffset.objects.count, False),
    "loyalty enrol": (("loyalty", "enrol", "club", "{code}"), Member.objects.count, True),
    "loyalty redeem": (("loyalty", "redeem", "club", "{code}", "10", "--reference", "R-1"), Redemption.objects.count,
                       False),
    "crm survey": (("crm", "survey", "{code}", "4"), SurveyResponse.objects.count, True),
    "crm relationship": (("crm", "relationship", "{code}", "partner"),
                         lambda: Customer.objects.filter(relationship="partner").count(), True),
    "scorecard rate": (("scorecard", "rate", "dealer", "{code}", "initiative", "90"), CustomerRating.objects.count,
                       True),
}


@pytest.mark.parametrize("name", list(CLI_WRITES))
def test_a_command_run_as_a_sales_rep_answers_another_reps_customer_as_unknown_and_writes_nothing(db, name):
    world()
    (command, *rest), written, own_succeeds = CLI_WRITES[name]
    before = written()

    def argv(code: str, *, as_rep: bool = True) -> list[str]:
        return [command, *(["--as-user", "rep"] if as_rep else []), *(arg.replace("{code}", code) for arg in rest)]

    theirs, nobody = _refusal(*argv(THEIRS)), _refusal(*argv(NOBODY))
    assert theirs.replace(THEIRS, NOBODY) == nobody and NOBODY in nobody
    assert written() == before
    call_command(*(argv(MINE) if own_succeeds else argv(THEIRS, as_rep=False)), stdout=io.StringIO())
    assert written() == before + 1


# ---------------------------------------------------------------- the quote page


def _section(html: str, element_id: str) -> str:
    found = re.search(rf'<[^>]+id="{element_id}".*?</(div|section)>', html, re.S)
    return found.group(0) if found else ""


def test_the_quote_page_shows_nothing_of_another_reps_customer(db, client):
    rep, _ = world()
    client.force_login(rep)

    def page(code: str) -> str:
        response = client.get("/office/discounts/quote/", {"customer": code, "sku": "TEA-1", "quantity": "1",
                                                          "unit_price": "", "date": "2026-05-02"})
        assert response.status_code == 200
        return response.content.decode()

    theirs, nobody = page(THEIRS), page(NOBODY)
    assert 'id="quote-result"' not in theirs and 'id="quote-credit"' not in theirs
    assert "grade vip" not in theirs and "等级 vip" not in theirs and "vip" not in _section(theirs, "error-summary")
    assert _section(theirs, "error-summary").replace(THEIRS, NOBODY) == _section(nobody, "error-summary") != ""
    own = page(MINE)
    assert 'id="quote-result"' in own and "等级 normal" in own
