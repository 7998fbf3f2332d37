"""The quote's reasons and the importers' row errors read in one language on the pages.

The engine and the importers word their reasons in English, which the API and the commands keep;
the pages show each through ``ui_message``. These tests make every reason the quote engine and the
importers can give, and check that each has its Chinese wording (and that English stays as it was).
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings
from django.utils import translation

from fanli.discounts.document import parse_discount_rule
from fanli.discounts.engine import CouponOffer, QuoteLine, RuleInput, quote
from fanli.imports.tabular import FileRefused, read_table
from fanli.rebates.compile import CustomerFacts, ProductFacts
from fanli.web.messages import ui_message

CJK = re.compile(r"[\u4e00-\u9fff]")
# What may stay in Latin letters inside a Chinese reason: codes, SKUs, file formats and column names.
CODES = {
    "SKU", "CSV", "XLSX", "XML", "UTF-8", "NUL", "MB", "ABC", "YYYY-MM-DD", "csv", "xlsx", "pdf", "invoice", "return",
}


def english_words(text: str, codes: set[str]) -> list[str]:
    """Latin-letter words of ``text`` (quoted cell values aside) that are neither a code of the test
    nor one of ``CODES``."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", re.sub(r"'[^']*'", "", text))
    return [w for w in words if w not in CODES and w not in codes and not any(c.isdigit() for c in w)]


def rule(code: str, **fields) -> RuleInput:
    document = parse_discount_rule({"code": code, "name": code, "valid_from": "2026-01-01",
                                    "discount": {"type": "percent", "percent": "3"}, **fields})
    return RuleInput(hash(code) % 10_000 + 1, document)


def with_uses(base: RuleInput, **uses) -> RuleInput:
    return RuleInput(base.version_id, base.document, **uses)


DAY = date(2026, 11, 20)
TEA = ProductFacts(1, "TEA-1", ("tea", "drinks"), "acme")
RICE = ProductFacts(2, "RICE-1", ("food",), "acme")
COLA = ProductFacts(3, "COLA-1", ("drinks",), "other")


def customer(**fields) -> CustomerFacts:
    values = {"customer_id": 1, "code": "C001", "kind": "distributor", "grade_code": "normal", "region": "华东",
              "tags": (), "start_date": date(2026, 10, 1), "parent_id": None, "abc": "C", "lifecycle": "growth"}
    return CustomerFacts(**{**values, **fields})


def engine_reasons() -> list[str]:
    """Every wording of the quote engine (and of the eligibility and scope checks it uses)."""
    lines = [QuoteLine(1, TEA, Decimal(2), 12_000), QuoteLine(2, RICE, Decimal(1), 8_000),
             QuoteLine(3, COLA, Decimal(20), 500)]
    rules = [
        rule("future", valid_from="2027-01-01"),
        rule("ended", valid_until="2026-06-30"),
        rule("joint", eligibility={"kinds": ["joint_venture", "member"]}),
        rule("vip-only", eligibility={"grades": ["vip", "svip"]}),
        rule("north", eligibility={"regions": ["华北"]}),
        rule("tagged", eligibility={"tags_any": ["key-account"]}),
        rule("a-class", eligibility={"abc_classes": ["A"]}),
        rule("mature", eligibility={"lifecycle_stages": ["maturity"]}),
        rule("partners", eligibility={"relationships": ["partner", "strategic"]}),
        rule("veterans", eligibility={"min_tenure_days": 365}),
        rule("enrolled", eligibility={"enrolment_required": True}),
        with_uses(rule("once", limits={"uses_per_customer": 1}), customer_uses=1),
        with_uses(rule("hundred", limits={"uses_total": 100}), total_uses=100),
        with_uses(rule("spent", limits={"budget": "50"}), spent_minor=5_000),
        rule("big-orders", conditions={"min_order_amount": "100000"}),
        rule("no-tea", priority=1, scope={"exclude": {"skus": ["TEA-1"], "brands": ["other"], "categories": ["food"]}}),
        rule("food-only", scope={"include": {"categories": ["food"]}}),
        rule("bulk", conditions={"min_quantity": "10"}),
        rule("ladder", discount={"type": "grade_ladder", "grades": {"vip": "10", "normal": "0"}}),
        rule("ladder-strict", discount={"type": "grade_ladder", "grades": {"vip": "10"}}),
        rule("per-unit", priority=2, discount={"type": "amount_per_unit", "amount": "1.50"}),
        rule("big", priority=3, discount={"type": "percent", "percent": "8"},
             windows=[{"name": "Double 11", "from": "2026-11-01", "until": "2026-11-30", "extra_percent": "2"}]),
        with_uses(rule("small-budget", priority=4, discount={"type": "percent", "percent": "5"}, stacking="additive",
                       limits={"budget": "10"}), spent_minor=0),
        rule("capped", priority=5, stacking="additive", additive_cap_percent="12",
             discount={"type": "percent", "percent": "4"}),
        rule("capped-full", priority=6, stacking="additive", additive_cap_percent="10",
             discount={"type": "percent", "percent": "1"}),
    ]
    contract = RuleInput(99_999, parse_discount_rule({
        "code": "contract", "name": "contract", "valid_from": "2026-01-01", "discount": {"type": "percent", "percent": "1"}}),
        contract_percent=Decimal("6"))
    whole = [rule("all-in", stacking="additive", discount={"type": "percent", "percent": "100"}),
             rule("after-all", priority=200, stacking="additive", discount={"type": "percent", "percent": "1"})]
    results = [
        quote(customer(), DAY, lines, rules),
        quote(customer(), DAY, lines[:1], whole),
        quote(customer(), DAY, lines[:1], [contract], coupon=CouponOffer("CP-1", 1_000)),
        quote(customer(), DAY, lines[:1], [], coupon=CouponOffer("CP-2", 10_000_000)),
        quote(customer(status="suspended"), DAY, lines, [rule("any")]),
    ]
    reasons = []
    for result in results:
        reasons += [s.reason for s in result.skipped]
        for line in result.lines:
            reasons += [s.reason for s in line.skipped] + [a.reason for a in line.applied]
    return reasons


def test_the_engine_gives_every_kind_of_reason_the_test_expects():
    reasons = engine_reasons()
    for part in ("not valid on", "open end", "kind distributor", "grade normal is not among", "region", "none of the tags",
                 "ABC class", "lifecycle stage", "relationship", "customer since", "no enrolment",
                 "of this customer, the limit", "invoice(s), the limit", "budget of", "order amount in scope",
                 "SKU TEA-1 is excluded", "brand other is excluded", "category food is excluded",
                 "not in the policy's product scope", "quantity 2 is below", "has no discount in this ladder",
                 ": nothing off", "off each unit", "(contract)", "(rule)", "+ 2% (Double 11)", "best-of:",
                 "trimmed to the budget left", "budget used up", "trimmed to the 12% cap",
                 "already reaches the 10% cap", "already reaches the line's amount", "coupon CP-1 worth",
                 "of it used", "customer status is suspended"):
        assert any(part in reason for reason in reasons), part


def test_every_reason_of_the_quote_engine_reads_in_chinese_and_stays_as_it_was_in_english():
    reasons = sorted(set(engine_reasons()))
    codes = {"joint_venture", "member", "distributor", "vip", "svip", "normal", "partner", "strategic", "transactional",
             "growth", "maturity", "key-account", "Double", "CP-1", "CP-2", "TEA-1", "RICE-1", "COLA-1", "acme", "other",
             "food", "big", "ladder", "per-unit", "no-tea", "capped", "all-in", "contract", "A", "C"}
    with translation.override("zh-hans"):
        chinese = {reason: ui_message(reason) for reason in reasons}
    with translation.override("en"):
        english = {reason: ui_message(reason) for reason in reasons}
    untranslated = [reason for reason, text in chinese.items() if text == reason or not CJK.search(text)]
    assert untranslated == []
    assert {reason: english_words(text, codes) for reason, text in chinese.items()
            if english_words(text, codes)} == {}
    assert english == {reason: reason for reason in reasons}


# --------------------------------------------------------------------------- imports

SALES_HEADER = ("document_number,kind,document_date,customer_code,line_number,sku,quantity,unit_price,net_amount,"
                "currency,reverses,due_date,paid_amount\n")
BAD_SALES = SALES_HEADER + "\n".join([
    "S-1,invoice,2026-05-01,C999,1,TEA-1,1,10.00,10.00,,,,",
    "S-2,invoice,2026-05-01,C001,1,GHOST,1,10.00,10.00,,,,",
    "S-3,invoice,2026-13-45,C001,1,TEA-1,1,10.00,10.00,,,,",
    "S-4,bill,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,",
    "S-5,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,yuan,,,",
    "S-6,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,IN-X,,",
    "S-7,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,-5",
    "S-8,invoice,2026-05-01,C001,0,TEA-1,abc,1.234,9999999999999999999999,,,,",
    "S-9,invoice,2026-05-01,C001,1,TEA-1,-1,-1.00,99999999999999,,,,",
    "S-10,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,2026-02-30,",
    "S-11,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,",
    "S-11,invoice,2026-05-01,C001,1,RICE-1,1,10.00,10.00,,,,",
    "S-12,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,",
    "S-12,invoice,2026-05-02,C001,2,RICE-1,1,10.00,10.00,,,,",
    "S-13,invoice,2026-05-01,C001,1,TEA-1,2,120.00,240.00,,,,1000",
    "S-14,invoice,2026-05-01,C001,1,TEA-1,1,20000000,20000000.00,,,,",
    "S-14,invoice,2026-05-01,C001,2,RICE-1,1,20000000,20000000.00,,,,",
    ",invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,",
    "S-15,invoice,2026-05-01,,1,,1,10.00,10.00,,,,",
    f"{'L' * 61},invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,",
    "S-16,invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,,extra",
    "IN-A,invoice,2026-05-01,C001,1,TEA-1,2,120.00,240.00,,,,",
    "IN-B,invoice,2026-05-01,C002,1,TEA-1,2,120.00,240.00,,,,",
    "R-1,return,2026-05-10,C001,1,TEA-1,5,120.00,600.00,,IN-A,,",
    "R-2,return,2026-05-10,C001,1,RICE-1,1,80.00,80.00,,IN-A,,",
    "R-3,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,,,",
    "R-4,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,NOPE,,",
    "R-5,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,S-1,,",
    "R-6,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,R-7,,",
    "R-7,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,IN-A,,",
    "R-8,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,IN-B,,",
    "R-9,return,2026-05-10,C001,1,TEA-1,1,120.00,120.00,,IN-A,,500",
    'S-17,"invoice"x,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,',
]) + "\n"
BAD_GRADES = "code,name,rank\nvip,VIP,1\nvip,VIP again,2\nsvip,,x\n" + "G" * 33 + ",Long,1\ngold," + "N" * 101 + ",1\n"
BAD_CUSTOMERS = (
    "code,name,kind,start_date,grade,region,parent_code,credit_limit,payment_terms_days,email_opt_in,status\n"
    "N1,一号,wholesaler,2026-01-01,,,,,,,\n"
    "N2,二号,dealer,01/02/2026x,ghost,,,,,,\n"
    "N3,三号,dealer,2026-01-01,," + "R" * 61 + ",,-5,abc,maybe,sleeping\n"
    "N4,四号,dealer,2026-01-01,,,N4,,9999999999,,\n"
    "N5,五号,dealer,2026-01-01,,,ZZZ,,,,\n"
    "N6,六号,dealer,2026-01-01,,,N7,,,,\n"
    "N7,七号,dealer,2026-01-01,,,N6,,,,\n"
    "N1,一号again,dealer,2026-01-01,,,,,,,\n"
    "N8,八号,dealer,2026-01-01,,,N2,,,,\n"
    ",无码,dealer,2026-01-01,,,,,,,\n"
    "N9,,,,,,,,,,\n"
    "N10," + "名" * 201 + ",dealer,2026-01-01,,,,,,,\n"
)
BAD_CUSTOMER_RECORDS = (
    "code,name,kind,start_date,tax_id,bank_account_number\n"
    "R1,一号,dealer,2026-01-01,91440300708461136X,\n"
    "R2,二号,dealer,2026-01-01,9144030070846113,\n"
    "R3,三号,dealer,2026-01-01,91440300708461136O,12-34\n"
)
BAD_CONTACTS = (
    "customer_code,name,phone,email,language,notices\n"
    "C001,王芳,call me,not-an-address,fr,statement; invoices\n"
    "C001,李伟,,,,\n"
    "C001,李伟,,,,\n"
)
BAD_TARGETS = (
    "customer_code,start,end,amount\nC999,2026-01-01,2026-03-31,100\nC001,2026-04-01,2026-03-31,100\n"
    "C001,2026-01-01,2026-03-31,0\nC001,2026-07-01,2026-09-30,100\nC001,2026-07-01,2026-09-30,200\n"
    ",,,\nC002,2026-01-01,2026-03-31,1e5\n"
)
BAD_PRODUCTS = (
    "sku,name,category_code,category_name,parent_category_code,brand_code,brand_name,list_price,unit\n"
    "P-1,One,tea,,,,,-1,\n"
    "P-1,One again,tea,,,,,1,\n"
    "P-2,Two,tea,,,nobrand,,1,\n"
    "P-3,Three,newcat,,,,,1,\n"
    "P-4,Four,kid,Kid,nowhere,,,1,\n"
    "P-5,Five,loop-a,Loop A,loop-b,,,1,\n"
    "P-6,Six,loop-b,Loop B,loop-a,,,1,\n"
    "P-7,Seven,named,Named,,,,1,\n"
    "P-8,Eight,named,Other name,,,,1,\n"
    "P-9,Nine,self,Self,self,,,1,\n"
    "P-10,Ten,twice,Twice,drinks,,,1,\n"
    "P-11,Eleven,twice,,food,,,1," + "u" * 21 + "\n"
    "P-12,Twelve,food,,,br,Brand,1,\n"
    "P-13,Thirteen,food,,,br,Other brand,1,\n"
)
REFUSED = [
    (b"x", "report.pdf"), (b"code,name\n\xff\xfe", "grades.csv"), (b"code,name\nA,\x00\n", "grades.csv"),
    (b"\n\n", "grades.csv"), (b"code,name\nA," + b"x" * 40_000 + b"\n", "grades.csv"), (b"not a zip", "grades.xlsx"),
    (b"," * 2_000 + b"\n", "grades.csv"),
]


# Codes the import reasons name as they are: documents, columns, the choices a column takes, a
# library's error name and the command that loads grades.
IMPORT_CODES = {
    "IN-A", "IN-B", "R-7", "S-1", "S-11", "S-12", "S-13", "S-14", "R-9", "TEA-1", "RICE-1", "br", "named", "self",
    "twice", "code", "name", "rank", "active", "suspended", "closed", "distributor", "dealer", "retailer",
    "joint_venture", "member", "BadZipFile", "KeyError", "brand_name", "category_name", "fanli", "import", "grades",
    "FILE", "zh-hans", "en", "statement", "payout", "dispute", "tier", "points", "agreement", "contract", "invoices",
    "fr",
}


def import_reasons() -> list[str]:
    from fanli.customers.importing import GRADE_COLUMNS
    from fanli.imports import services
    from fanli.imports.services import import_preview
    from fanli.imports.tabular import resolve_columns
    from fanli.sales.models import SalesDocument

    stored = SalesDocument.objects.filter(kind="invoice").first()
    sales = BAD_SALES.replace("S-10,", f"{stored.number},", 1)
    reasons = []
    for kind, text in (("sales", sales), ("grades", BAD_GRADES), ("customers", BAD_CUSTOMERS),
                       ("customers", BAD_CUSTOMER_RECORDS), ("targets", BAD_TARGETS), ("products", BAD_PRODUCTS),
                       ("contacts", BAD_CONTACTS)):
        result = import_preview(kind=kind, content=text.encode(), filename=f"{kind}.csv", actor=None)
        assert not result["refused"], result["errors"]
        reasons += [error["reason"] for error in result["errors"]]
    for content, filename in REFUSED:
        with pytest.raises(FileRefused) as refused:
            list(read_table(content=content, filename=filename).rows)
        reasons += [error.reason for error in refused.value.errors]
    with pytest.raises(FileRefused) as refused:
        resolve_columns(read_table(content=b"code,,code,colour\n", filename="grades.csv"), GRADE_COLUMNS)
    reasons += [error.reason for error in refused.value.errors]
    reasons += [error.reason for error in refused.value.errors]
    workbook = io.BytesIO()
    openpyxl.Workbook().save(workbook)
    with pytest.raises(FileRefused) as refused:
        read_table(content=workbook.getvalue(), filename="grades.xlsx")
    reasons += [error.reason for error in refused.value.errors]
    with override_settings(FANLI_IMPORT_MAX_ROWS=2), pytest.raises(FileRefused) as refused:
        list(read_table(content=b"code,name\nA,a\nB,b\nC,c\n", filename="grades.csv").rows)
    reasons += [error.reason for error in refused.value.errors]
    reasons += [services.CONCURRENT_IMPORT_REASON, services.INTERRUPTED_REASON, "... and 12 more errors",
                "the import stopped on an unexpected error (KeyError); nothing was written; the server log has the "
                "details (import 7)"]
    return reasons


@pytest.mark.django_db
def test_every_reason_of_the_importers_reads_in_chinese_and_stays_as_it_was_in_english(world):
    reasons = sorted(set(import_reasons()))
    with translation.override("zh-hans"):
        chinese = {reason: ui_message(reason) for reason in reasons}
    with translation.override("en"):
        english = {reason: ui_message(reason) for reason in reasons}
    untranslated = [reason for reason, text in chinese.items() if text == reason or not CJK.search(text)]
    assert untranslated == []
    assert {reason: english_words(text, IMPORT_CODES) for reason, text in chinese.items()
            if english_words(text, IMPORT_CODES)} == {}
    assert english == {reason: reason for reason in reasons}


# --------------------------------------------------------------------------- the pages

JOINT = """
code: joint-only
name: 联营专享
valid_from: 2026-01-01
eligibility: {kinds: [joint_venture]}
discount: {type: percent, percent: 4}
"""
LATER = """
code: next-year
name: 明年
valid_from: 2027-01-01
discount: {type: percent, percent: 2}
"""
FOOD = """
code: food-bulk
name: 食品批量
valid_from: 2026-01-01
scope: {include: {categories: [food]}}
conditions: {min_quantity: 10}
discount: {type: percent, percent: 6}
"""
QUOTE = {"customer": "C001", "date": "2026-11-20", "sku": ["TEA-1", "RICE-1"], "quantity": ["2", "1"],
         "unit_price": ["", "50.00"]}


def english_page(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.fixture
def quote_rules(world):
    from fanli.discounts.services import discount_rule_apply
    from tests.discounts.test_services import LADDER, ONCE

    for text in (LADDER, ONCE, JOINT, LATER, FOOD):
        discount_rule_apply(text=text, actor=None)


def quote_reasons(user) -> list[str]:
    from fanli.discounts.selectors import LineRequest, quote_prepare

    result = quote_prepare(customer_code="C001", day=date(2026, 11, 20), actor=user,
                           lines=[LineRequest("TEA-1", "2"), LineRequest("RICE-1", "1", "50.00")])
    reasons = [s.reason for s in result.skipped]
    for line in result.lines:
        reasons += [s.reason for s in line.skipped] + [a.reason for a in line.applied]
    return reasons


@pytest.mark.django_db
def test_the_quote_page_gives_its_reasons_in_chinese_and_in_english_as_the_api_words_them(client, world, quote_rules):
    from django.utils.html import escape

    user = world["users"]["customer_service"]
    client.force_login(user)
    reasons = quote_reasons(user)
    assert {"kind distributor is not among joint_venture", "not in the policy's product scope",
            "grade - has no discount in this ladder", "3% (rule)"} <= set(reasons)
    assert any(reason.startswith("not valid on 2026-11-20") for reason in reasons)
    page = client.get("/office/discounts/quote/", QUOTE)
    html = page.content.decode()
    assert page.status_code == 200
    with translation.override("zh-hans"):
        chinese = [ui_message(reason) for reason in reasons]
    assert "客户类型 distributor 不在 joint_venture 之列" in chinese and "不在适用的产品范围内" in chinese
    assert "2026-11-20 不在有效期内（有效期自 2027-01-01 起）" in chinese and "3%（规则）" in chinese
    for reason, text in zip(reasons, chinese, strict=True):
        assert escape(text) in html, text
        assert escape(reason) not in html, reason
        assert english_words(text, {"distributor", "joint_venture"}) == [], text
    english = english_page(client).get("/office/discounts/quote/", QUOTE).content.decode()
    for reason, text in zip(reasons, chinese, strict=True):
        assert escape(reason) in english and text not in english


IMPORT = SALES_HEADER + "\n".join([
    "IN-A,invoice,2026-05-01,C001,1,TEA-1,2,120.00,240.00,,,,",
    "X-1,invoice,2026-05-01,C999,1,TEA-1,1,10.00,10.00,,,,",
    "X-2,invoice,2026-05-01,C001,1,GHOST,1,10.00,10.00,,,,",
    "X-3,return,2026-05-10,C001,1,TEA-1,5,120.00,240.00,,IN-A,,",
    "X-4,invoice,2026-13-45,C001,1,TEA-1,1,10.00,10.00,,,,",
    f"{'L' * 61},invoice,2026-05-01,C001,1,TEA-1,1,10.00,10.00,,,,",
]) + "\n"
IMPORT_REASONS = {
    3: ("unknown customer 'C999'", "未知客户 'C999'"),
    4: ("unknown SKU 'GHOST'", "未知 SKU 'GHOST'"),
    5: ("returns 5 units of SKU TEA-1 but invoice IN-A has 2 left", "退回 SKU TEA-1 共 5 件，但发票 IN-A 仅剩 2 件可退"),
    6: ("'2026-13-45' is not a date (expected YYYY-MM-DD)", "'2026-13-45' 不是日期（应为 YYYY-MM-DD）"),
    7: ("longer than 60 characters", "超过 60 个字符"),
}


def import_pages(client) -> tuple[str, str]:
    """The preview page of ``IMPORT`` and the result page of importing its good rows."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fanli.common.models import Job

    preview = client.post("/office/imports/upload/", {"kind": "sales", "file": SimpleUploadedFile("may.csv",
                                                                                                  IMPORT.encode())})
    job = Job.objects.get(pk=int(preview["Location"].rstrip("/").rsplit("/", 1)[1]))
    client.post("/office/imports/commit/", {"kind": "sales", "upload": job.result["upload"], "filename": "may.csv",
                                            "partial": "1"})
    done = Job.objects.latest("id")
    assert done.result["rows_created"] + done.result["rows_unchanged"] == 1 and done.result["rows_rejected"] == 5
    return client.get(preview["Location"]).content.decode(), client.get(f"/office/jobs/{done.pk}/").content.decode()


def reason_cells(html: str) -> dict[int, str]:
    from html import unescape

    rows = re.findall(r"<tr[^>]*><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    return {int(line): unescape(reason) for line, reason in rows}


@pytest.mark.django_db
def test_the_import_pages_give_each_row_error_in_chinese_and_in_english_as_the_api_words_it(client, world):
    client.force_login(world["users"]["finance"])
    preview, result = import_pages(client)
    chinese = {line: text for line, (_english, text) in IMPORT_REASONS.items()}
    assert reason_cells(preview) == chinese
    assert reason_cells(result) == chinese
    for text in chinese.values():
        assert english_words(text, {"IN-A"}) == [], text
    preview, result = import_pages(english_page(client))
    english = {line: reason for line, (reason, _text) in IMPORT_REASONS.items()}
    assert reason_cells(preview) == english
    assert reason_cells(result) == english


@pytest.mark.django_db
def test_a_refused_file_gives_its_reason_in_chinese(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["users"]["finance"])
    content = SALES_HEADER.encode() + b"X-1," + b"x" * 40_000 + b"\n"
    response = client.post("/office/imports/upload/", {"kind": "sales", "file": SimpleUploadedFile("big.csv", content)})
    page = client.get(response["Location"]).content.decode()
    assert "行 2: 有单元格超过 32,767 个字符" in page and "a cell is longer" not in page
