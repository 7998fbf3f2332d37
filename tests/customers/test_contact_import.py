"""Contact persons (客户资料: 联系人): imported by customer and name, every bad cell reported with its
line, nothing written from a file with an error, the same file twice changes nothing."""

from __future__ import annotations

import pytest

from fanli.customers.models import ContactPerson
from fanli.imports.services import import_file
from tests.builders import customer
from tests.sales.helpers import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["customer_code", "name", "role", "phone", "email", "wechat_id", "language", "notices"]
ROWS = [
    ["C001", "王芳", "财务经理", "+86 139 0000 0001", "Wang.Fang@Example.cn", "wxwangfang", "zh-hans", "payout; statement"],
    ["C001", "Li Wei", "Buyer", "021-5555 0101", "", "", "EN", "tier"],
    ["C002", "张敏", "", "", "", "", "", ""],
]


def _import(rows, *, header=HEADER, partial=False):
    return import_file(kind="contacts", content=csv_bytes(header, rows), filename="contacts.csv", actor=None,
                       partial=partial)


@pytest.fixture
def customers():
    return customer("C001"), customer("C002")


def test_contacts_load_with_every_field_and_reloading_changes_nothing(customers):
    first = _import(ROWS)
    again = _import(ROWS)

    assert (first.status, first.rows_created, first.errors) == ("done", 3, [])
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    assert list(ContactPerson.objects.order_by("customer__code", "name").values_list(
        "customer__code", "name", "role", "phone", "email", "wechat_id", "language", "notices")) == [
        ("C001", "Li Wei", "Buyer", "021-5555 0101", "", "", "en", ["tier"]),
        ("C001", "王芳", "财务经理", "+86 139 0000 0001", "wang.fang@example.cn", "wxwangfang", "zh-hans",
         ["statement", "payout"]),
        ("C002", "张敏", "", "", "", "", "zh-hans", []),
    ]


def test_a_second_file_updates_only_the_columns_it_has(customers):
    _import(ROWS)
    batch = _import([["C001", "王芳", "dispute"]], header=["customer_code", "name", "notices"])

    assert (batch.rows_updated, batch.rows_created) == (1, 0)
    wang = ContactPerson.objects.get(name="王芳")
    assert (wang.notices, wang.role, wang.email) == (["dispute"], "财务经理", "wang.fang@example.cn")


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(customers):
    batch = _import([
        ["C001", "王芳", "", "call me", "not-an-address", "", "fr", "statement; invoices"],
        ["C999", "Nobody", "", "", "", "", "", ""],
        ["C002", "", "", "", "", "", "", ""],
        ["C002", "张敏", "", "", "", "", "", ""],
        ["C002", "张敏", "", "", "", "", "", ""],
    ])

    assert batch.status == "failed" and not ContactPerson.objects.exists()
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (2, "email", "not an e-mail address: 'not-an-address'"),
        (2, "language", "'fr' is not one of zh-hans, en"),
        (2, "notices", "unknown notice 'invoices': use statement, payout, dispute, tier, points, agreement, "
                       "contract (separated by ;)"),
        (2, "phone", "not a phone number (digits, spaces, dashes and brackets, an optional leading +)"),
        (3, "customer_code", "unknown customer 'C999'"),
        (4, "name", "required"),
        (6, "name", "the same customer and name as line 5"),
    ]


def test_a_partial_import_keeps_the_good_rows(customers):
    batch = _import([ROWS[0], ["C999", "Nobody", "", "", "", "", "", ""]], partial=True)

    assert (batch.status, batch.rows_created, batch.rows_rejected) == ("done", 1, 1)
    assert list(ContactPerson.objects.values_list("name", flat=True)) == ["王芳"]


def test_the_customer_page_lists_the_contact_persons_in_the_readers_language(client, customers):
    from fanli.accounts.services import staff_user_create

    _import(ROWS)
    staff_user_create(username="cs", password="a-long-enough-password", role="customer_service", actor=None)
    client.login(username="cs", password="a-long-enough-password")
    chinese = client.get("/office/customers/C001/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<td>王芳</td><td>财务经理</td><td>+86 139 0000 0001</td>" in chinese
    assert "<td>结算单出具, 返利已支付</td>" in chinese and "联系人" in chinese
    english = client.get("/office/customers/C001/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Statement issued, Payout made</td>" in english
    assert "<td>English</td><td>Close to the next tier</td>" in english


def test_the_customer_page_shows_the_tax_id_and_addresses_in_chinese(client, customers):
    from fanli.accounts.services import staff_user_create
    from fanli.customers.models import Customer

    Customer.objects.filter(code="C001").update(tax_id="91440300708461136T", registered_address="深圳市龙岗区坂田")
    staff_user_create(username="cs", password="a-long-enough-password", role="customer_service", actor=None)
    client.login(username="cs", password="a-long-enough-password")
    page = client.get("/office/customers/C001/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<dt>统一社会信用代码</dt><dd>91440300708461136T</dd>" in page
    assert "<dt>注册地址</dt><dd>深圳市龙岗区坂田</dd>" in page and "开票地址" not in page
