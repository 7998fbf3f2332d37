"""The demo data set: deterministic, internally consistent, and refusing to load twice."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from fanli.customers.models import Customer, CustomerKind
from fanli.demo.exceptions import DemoDataPresent
from fanli.demo.generate import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    documents_generate,
    master_data_generate,
    sales_window,
)
from fanli.demo.services import DEALER_POLICY_CODE, dealer_enrolments, demo_load, policy_texts
from fanli.rebates.compile import CustomerFacts, customer_eligible
from fanli.rebates.document import load_policy_text
from fanli.rebates.models import Enrolment, PolicyVersion
from fanli.sales.fingerprint import LineFacts, document_fingerprint
from fanli.sales.models import SalesDocument, SalesLine

TODAY = date(2026, 11, 23)
SMALL = {"customers": 60, "lines": 3000, "seed": DEFAULT_SEED, "today": TODAY}
DEMO_KINDS = {CustomerKind.DISTRIBUTOR, CustomerKind.DEALER, CustomerKind.RETAILER, CustomerKind.JOINT_VENTURE}


@pytest.fixture
def small_load(db):
    return demo_load(**SMALL)


def _generated(seed: int = DEFAULT_SEED, customers: int = 60, lines: int = 3000):
    rng = random.Random(seed)
    master = master_data_generate(rng, customers=customers, today=TODAY)
    return master, list(documents_generate(rng, master, lines=lines, today=TODAY))


def test_the_same_seed_generates_identical_documents_and_another_seed_does_not():
    _, first = _generated()
    _, again = _generated()
    _, other = _generated(seed=DEFAULT_SEED + 1)

    assert first == again
    assert [d.total_minor for d in first] != [d.total_minor for d in other]


def test_a_small_load_has_exactly_the_expected_documents_and_totals(small_load):
    documents = SalesDocument.objects.order_by("number")

    assert small_load.lines == SalesLine.objects.count() == 3000
    assert (small_load.invoices, small_load.returns) == (881, 18)
    assert documents.first().number == "INV-2024-000001"
    assert documents.filter(kind="return").first().number == "RET-2024-000001"
    assert sum(documents.values_list("total_minor", flat=True)) == small_load.sales_total_minor == 2_033_094_555
    assert sum(documents.values_list("paid_minor", flat=True)) == 1_869_894_224


def test_sales_cover_two_years_up_to_yesterday(small_load):
    start, end = sales_window(TODAY)
    dates = SalesDocument.objects.values_list("document_date", flat=True)

    assert (start, end) == (date(2024, 11, 1), date(2026, 11, 22))
    assert start <= min(dates) and max(dates) <= end
    assert SalesDocument.objects.filter(document_date__gte=date(2026, 11, 1)).exists()  # this month so far


def test_every_customer_kind_and_parents_with_branches_are_present(small_load):
    kinds = set(Customer.objects.values_list("kind", flat=True))
    branch_counts = defaultdict(int)
    for parent_id in Customer.objects.filter(parent__isnull=False).values_list("parent_id", flat=True):
        branch_counts[parent_id] += 1

    assert kinds == DEMO_KINDS
    assert len(branch_counts) >= 2
    assert all(2 <= count <= 6 for count in branch_counts.values())
    assert not Customer.objects.filter(parent__isnull=False, parent__parent__isnull=False).exists()


def test_about_two_percent_of_documents_are_returns(small_load):
    returns = SalesDocument.objects.filter(kind="return").count()
    share = returns / SalesDocument.objects.count()

    assert 0.015 <= share <= 0.025


def test_returns_reverse_an_earlier_invoice_of_the_same_customer_and_count_in_its_period(small_load):
    returns = SalesDocument.objects.filter(kind="return").select_related("reverses")

    for document in returns:
        invoice = document.reverses
        assert invoice is not None and invoice.kind == "invoice"
        assert invoice.customer_id == document.customer_id
        assert document.basis_date == invoice.document_date < document.document_date
        assert document.total_minor < 0
        invoice_lines = {line.product_id: line for line in invoice.lines.all()}
        for line in document.lines.all():
            original = invoice_lines[line.product_id]
            assert line.is_return and line.basis_date == invoice.document_date
            assert -original.quantity_milli <= line.quantity_milli < 0
            assert -original.net_amount_minor <= line.net_amount_minor <= 0
    assert any(
        (d.document_date.month - 1) // 3 != (d.basis_date.month - 1) // 3 for d in returns
    ), "some returns cross into the next quarter"


def test_every_document_total_is_the_signed_sum_of_its_lines(small_load):
    sums = defaultdict(int)
    for document_id, net in SalesLine.objects.values_list("document_id", "net_amount_minor"):
        sums[document_id] += net

    for document_id, total in SalesDocument.objects.values_list("id", "total_minor"):
        assert sums[document_id] == total


def test_every_content_fingerprint_matches_the_shared_definition(small_load):
    lines = defaultdict(list)
    for line in SalesLine.objects.select_related("product"):
        lines[line.document_id].append(
            LineFacts(line.line_number, line.product.sku, line.quantity_milli, line.unit_price_minor, line.net_amount_minor)
        )

    for document in SalesDocument.objects.select_related("customer", "reverses"):
        assert document.content_sha256 == document_fingerprint(
            number=document.number,
            kind=document.kind,
            document_date=document.document_date,
            customer_code=document.customer.code,
            currency=document.currency,
            reverses_number=document.reverses.number if document.reverses else None,
            due_date=document.due_date,
            lines=lines[document.pk],
        )


def test_money_and_quantities_are_integers_never_floats(small_load):
    document_values = SalesDocument.objects.values_list("total_minor", "paid_minor")
    line_values = SalesLine.objects.values_list("quantity_milli", "unit_price_minor", "net_amount_minor")
    customer_values = Customer.objects.values_list("credit_limit_minor", "payment_terms_days")

    for row in [*document_values, *line_values, *customer_values]:
        assert all(type(value) is int for value in row)


def test_invoices_are_due_after_the_payment_terms_and_never_overpaid(small_load):
    for document in SalesDocument.objects.filter(kind="invoice").select_related("customer"):
        assert document.due_date == document.document_date + timedelta(days=document.customer.payment_terms_days)
        assert 0 <= document.paid_minor <= document.total_minor
    recent = SalesDocument.objects.filter(kind="invoice", due_date__gt=sales_window(TODAY)[1])
    assert any(d.paid_minor < d.total_minor for d in recent), "recent invoices are partly unpaid"


def test_no_sales_fall_before_a_customer_starts(small_load):
    assert not SalesDocument.objects.filter(document_date__lt=F("customer__start_date")).exists()


def test_double_eleven_days_sell_more_than_an_ordinary_october_day():
    _, documents = _generated(customers=200, lines=30000)
    per_day = defaultdict(int)
    for document in documents:
        per_day[document.document_date] += 1

    double_eleven = sum(per_day[date(2025, 11, day)] for day in range(1, 12)) / 11
    october = sum(per_day[date(2025, 10, day)] for day in range(1, 32)) / 31
    assert double_eleven > 1.8 * october


@pytest.mark.parametrize("name", [name for name, _text in policy_texts()])
def test_each_sample_policy_file_is_a_valid_policy_document(name):
    text = dict(policy_texts())[name]

    document = load_policy_text(text)

    assert f"{document.code}.yaml" == name


def test_every_sample_policy_has_dozens_of_eligible_customers_in_the_default_data_set():
    rng = random.Random(DEFAULT_SEED)
    master = master_data_generate(rng, customers=DEFAULT_CUSTOMERS, today=TODAY)
    enrolled = {spec.code for spec, _overrides in dealer_enrolments(master, rng=random.Random(DEFAULT_SEED + 1))}
    year_end = date(2025, 12, 31)

    for _name, text in policy_texts():
        document = load_policy_text(text)
        eligible = [
            spec for spec in master.customers
            if customer_eligible(
                document,
                CustomerFacts(0, spec.code, spec.kind, spec.grade_code, spec.region, spec.tags, spec.start_date, None,
                              spec.status),
                period_end=year_end,
                enrolled=document.code == DEALER_POLICY_CODE and spec.code in enrolled,
            )[0]
        ]
        assert len(eligible) >= 30, document.code


def test_key_account_dealers_get_their_own_tier_table():
    rng = random.Random(DEFAULT_SEED)
    master = master_data_generate(rng, customers=DEFAULT_CUSTOMERS, today=TODAY)

    enrolments = dealer_enrolments(master, rng=random.Random(DEFAULT_SEED + 1))

    overridden = [spec for spec, overrides in enrolments if overrides]
    assert overridden and all("key-account" in spec.tags for spec in overridden)


def test_the_load_publishes_every_sample_policy_and_enrols_dealers(small_load):
    published = set(
        PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).values_list("policy__code", flat=True)
    )

    assert published == {load_policy_text(text).code for _name, text in policy_texts()}
    assert set(small_load.policies) == published
    enrolments = Enrolment.objects.filter(policy__code=DEALER_POLICY_CODE)
    assert enrolments.count() == small_load.enrolments > 0
    assert set(enrolments.values_list("customer__kind", flat=True)) == {"dealer"}


def test_demo_users_can_log_in_and_the_admin_has_a_token(small_load, client):
    from fanli.common.services import api_token_user

    assert client.login(username="admin", password="fanli-admin")
    assert client.login(username="finance", password="fanli-finance")
    assert api_token_user(small_load.api_token).username == "admin"


def test_a_document_created_after_the_load_gets_a_fresh_id(small_load):
    highest = SalesDocument.objects.order_by("-id").first()

    document = SalesDocument.objects.create(
        number="MANUAL-1", kind="invoice", document_date=TODAY, basis_date=TODAY, customer=highest.customer,
        total_minor=0, content_sha256="0" * 64,
    )

    assert document.pk > highest.pk


def test_loading_twice_is_refused(small_load):
    with pytest.raises(DemoDataPresent):
        demo_load(**SMALL)
    with pytest.raises(CommandError, match="already holds customers"):
        call_command("demo", "load", "--customers", "60", "--lines", "3000", stdout=StringIO())
    assert SalesDocument.objects.count() == small_load.invoices + small_load.returns


def test_if_empty_does_nothing_on_a_loaded_database(small_load):
    output = StringIO()

    call_command("demo", "load", "--if-empty", stdout=output)

    assert "already holds customers" in output.getvalue()
    assert Customer.objects.count() == 60
    assert SalesLine.objects.count() == 3000


def test_the_command_loads_prints_progress_and_a_summary(db):
    output = StringIO()

    call_command(
        "demo", "load", "--customers", "30", "--lines", "800", "--today", "2026-11-23", stdout=output,
    )

    text = output.getvalue()
    assert "sales lines 800 / 800 (100 %)" in text
    assert "customers: 30" in text and "API token for admin" in text
    assert SalesLine.objects.count() == 800


def test_a_catalog_without_customers_is_also_refused(db):
    from fanli.catalog.models import Brand

    Brand.objects.create(code="own-brand", name="自有品牌")

    with pytest.raises(DemoDataPresent):
        demo_load(**SMALL)
    assert not Customer.objects.exists()


def test_demo_logins_have_their_roles_and_the_portal_login_sees_a_group_head(small_load):
    from django.contrib.auth.models import User

    from fanli.accounts.selectors import portal_customer, portal_customers, user_roles

    assert user_roles(User.objects.get(username="admin")) == {"administrator"}
    assert user_roles(User.objects.get(username="finance")) == {"finance"}
    assert user_roles(User.objects.get(username="auditor")) == {"auditor"}
    customer = portal_customer(User.objects.get(username="portal"))
    assert customer is not None and customer.kind == "distributor" and customer.parent_id is None
    assert portal_customers(customer).count() > 1  # the head and its branches


def test_the_load_brings_discount_rules_and_a_loyalty_programme_with_retail_members(small_load):
    from fanli.discounts.models import DiscountRuleVersion
    from fanli.loyalty.models import Member, PointLot

    assert sorted(DiscountRuleVersion.objects.filter(status="published").values_list("rule__code", flat=True)) == [
        "big-order", "grade-ladder", "slow-season"]
    retailers = Customer.objects.filter(kind="retailer").count()
    assert Member.objects.filter(programme__code="club").count() == retailers > 0
    assert PointLot.objects.filter(source="bonus", source_ref="bonus:sign_up").count() == retailers
    assert PointLot.objects.filter(source="purchase").exists()  # their invoices of last month earned


def test_the_load_settles_the_last_quarter_and_accrues_the_last_month(small_load):
    from fanli.ledger.selectors import ledger_check
    from fanli.rebates.models import Run, Statement

    assert sorted(Run.objects.values_list("kind", "period_key")) == [("accrual", "2026-10"), ("settlement", "2026-Q3")]
    assert Statement.objects.filter(state="draft").exists()  # finance has statements to review
    assert ledger_check()["balanced"]


def test_finance_has_paid_most_of_the_settled_statements_and_left_some_to_do(small_load):
    from fanli.ledger.models import Payout
    from fanli.rebates.models import Statement

    states = {state: Statement.objects.filter(state=state).count() for state in ("draft", "approved", "paid")}
    total = sum(states.values())
    assert states["paid"] * 100 // total >= 60 and states["draft"] > 0 and states["approved"] > 0
    assert Payout.objects.count() == states["paid"]
    assert not Payout.objects.filter(paid_on__gt=F("statement__due_date")).exists()  # paid in time


def test_one_batch_waits_for_the_bank_and_one_changed_bank_account_for_verification(small_load):
    from fanli.customers.models import Customer
    from fanli.rebates.models import PaymentBatch, Statement
    from fanli.rebates.payment_batches import bank_file

    waiting = PaymentBatch.objects.get(state="prepared")
    assert waiting.reference.startswith(f"PB-{TODAY:%Y%m%d}-") and waiting.prepared_by.username == "controller"
    assert 0 < waiting.statements.count() <= 20
    assert set(waiting.statements.values_list("state", flat=True)) == {"approved"}
    bank_file(waiting)  # not held: every payee of the waiting batch is verified
    assert Statement.objects.filter(state="approved", payment_batch__isnull=True).exists()  # for the next batch
    changed = Customer.objects.get(bank_verified_at__isnull=True)
    assert (changed.bank_changed_by.username, changed.bank_account_number[:7]) == ("finance", "6228480")
    assert not waiting.statements.filter(customer=changed).exists()
    assert Customer.objects.filter(bank_verified_at__isnull=False).count() == Customer.objects.count() - 1


def test_without_activity_the_load_stops_after_sales_policies_and_enrolments(db):
    from fanli.crm.models import Interaction
    from fanli.discounts.models import DiscountRule
    from fanli.loyalty.models import Programme
    from fanli.rebates.models import Run, Statement

    summary = demo_load(**SMALL, activity=False)

    assert (summary.lines, summary.invoices, summary.returns) == (3000, 881, 18)  # the same sales as a full load
    assert summary.sales_total_minor == 2_033_094_555
    assert PolicyVersion.objects.filter(status="published").count() == len(policy_texts())
    assert Enrolment.objects.filter(policy__code=DEALER_POLICY_CODE).count() == summary.enrolments > 0
    assert not Run.objects.exists() and not Statement.objects.exists()  # no month end
    assert not DiscountRule.objects.exists() and not Programme.objects.exists()
    assert not Interaction.objects.exists()


def test_the_command_without_activity_reports_the_speed_of_the_sales_it_writes(db):
    from fanli.rebates.models import Statement

    output = StringIO()

    call_command("demo", "load", "--customers", "30", "--lines", "800", "--today", "2026-11-23",
                 "--without-activity", stdout=output)

    assert "sales lines 800 / 800 (100 %), " in output.getvalue() and " lines/s" in output.getvalue()
    assert SalesLine.objects.count() == 800
    assert not Statement.objects.exists()


def test_returns_point_at_the_invoice_they_reverse_across_chunks(db, monkeypatch):
    from fanli.demo import services

    monkeypatch.setattr(services, "DOCUMENTS_PER_CHUNK", 7)  # most returns land in a later chunk than their invoice
    demo_load(**SMALL, activity=False)

    returns = SalesDocument.objects.filter(kind="return").select_related("reverses")
    assert returns.count() == 18
    for credit in returns:
        assert credit.reverses.kind == "invoice" and credit.reverses.customer_id == credit.customer_id
        assert credit.basis_date == credit.reverses.document_date < credit.document_date


def test_every_demo_customer_has_a_well_formed_tax_id_and_a_registered_address(small_load):
    from fanli.customers.models import Customer
    from fanli.customers.tax_ids import tax_id_problem

    records = list(Customer.objects.values_list("tax_id", "registered_address"))
    assert records and all(tax_id_problem(tax_id) is None and address for tax_id, address in records)
    assert len({tax_id for tax_id, _ in records}) == len(records)
