"""A settlement run recomputes an earlier period (or its own, again) only when something that
feeds it changed since its last computation, and says which it rechecked and why.

Tiers throughout: 0: 1 %, 100,000: 2 %, 300,000: 3 % (retroactive), so 150,000 a quarter earns
3,000.00 and 350,000 earns 10,500.00.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import translation

from fanli.common.models import Revision
from fanli.imports.services import import_file
from fanli.rebates.models import Statement
from fanli.rebates.rechecks import reasons_text
from fanli.rebates.services import enrolment_set, policy_apply, settlement_run
from tests.builders import catalog, customer, invoice
from tests.sales.helpers import SALES_HEADER, csv_bytes, sales_row

pytestmark = pytest.mark.django_db

TIERS = """
  type: tiers
  mode: retroactive
  tiers:
    - {from: 0, rate_percent: 1}
    - {from: 100000, rate_percent: 2}
    - {from: 300000, rate_percent: 3}
"""


def policy(code: str, *, extra: str = "", period: str = "quarter", valid_from: str = "2024-01-01",
           calculation: str = TIERS, interim: str | None = None) -> None:
    settlement = f"{{period: {period}, due_days: 30{', interim: ' + interim if interim else ''}}}"
    policy_apply(text=f"code: {code}\nname: {code}\nvalid_from: {valid_from}\n"
                      f"settlement: {settlement}\n{extra}calculation:{calculation}", actor=None)


def quarters(first: str, count: int) -> list[str]:
    year, quarter = int(first[:4]), int(first[-1])
    keys = []
    for _ in range(count):
        keys.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return keys


def settle(key: str, **options):
    year, quarter = int(key[:4]), int(key[-1])
    today = date(year + 1, 1, 2) if quarter == 4 else date(year, quarter * 3 + 1, 2)
    return settlement_run(period_key=key, actor=None, today=today, **options)


def rechecked(run) -> dict[str, list[dict]]:
    return {f"{c['policy']} {c['period']}": c["reasons"] for c in run.summary["rechecked"]}


def unchanged(run) -> list[str]:
    return [f"{c['policy']} {c['period']}" for c in run.summary["unchanged"]]


def import_sales(rows: list[list[str]]) -> None:
    batch = import_file(kind="sales", content=csv_bytes(SALES_HEADER, rows), filename="late.csv", actor=None)
    assert batch.status == "done", batch.errors


@pytest.fixture
def eight_quarters_settled():
    """C001 sold 150,000 of tea in each of the eight quarters 2024-Q1..2025-Q4, each settled
    when it ended, oldest first."""
    catalog()
    policy("dist-q")
    acme = customer("C001")
    runs = []
    for key in quarters("2024-Q1", 8):
        year, quarter = int(key[:4]), int(key[-1])
        invoice(acme, date(year, quarter * 3 - 1, 15), ("TEA-1", "150000"))
        runs.append(settle(key))
    return acme, runs


def test_each_quarter_settled_oldest_first_computes_only_itself_and_leaves_the_earlier_ones_alone(
        eight_quarters_settled):
    _acme, runs = eight_quarters_settled
    keys = quarters("2024-Q1", 8)
    for index, run in enumerate(runs):
        assert rechecked(run) == {f"dist-q {keys[index]}": [{"code": "first"}]}
        assert unchanged(run) == [f"dist-q {key}" for key in keys[:index]]
        assert (run.summary["statements"], run.summary["amount_minor"]) == (1, 300_000)
    assert Statement.objects.count() == 8


def test_a_line_imported_late_into_the_oldest_of_eight_settled_quarters_is_adjusted_by_the_next_run(
        eight_quarters_settled):
    acme, _runs = eight_quarters_settled
    import_sales([sales_row("LATE-1", document_date="2024-02-10", customer="C001", sku="TEA-1", quantity="1",
                            unit_price="200000.00", net_amount="200000.00")])

    run = settle("2026-Q1")

    assert rechecked(run) == {"dist-q 2024-Q1": [{"code": "sales", "months": ["2024-02"]}],
                              "dist-q 2026-Q1": [{"code": "first"}]}
    assert unchanged(run) == [f"dist-q {key}" for key in quarters("2024-Q2", 7)]
    adjustment = Statement.objects.get(run=run)
    assert (adjustment.customer, adjustment.period_key, adjustment.kind, adjustment.sequence) == (
        acme, "2024-Q1", "adjustment", 2)
    assert (adjustment.basis_minor, adjustment.earned_minor, adjustment.previously_settled_minor,
            adjustment.amount_minor) == (35_000_000, 1_050_000, 300_000, 750_000)
    assert (run.summary["statements"], run.summary["amount_minor"]) == (1, 750_000)

    again = settle("2026-Q1")
    assert rechecked(again) == {}
    assert unchanged(again) == [f"dist-q {key}" for key in [*quarters("2024-Q1", 8), "2026-Q1"]]
    assert (again.summary["statements"], again.summary["periods"]) == (0, [])
    assert Statement.objects.count() == 9


def test_the_command_says_which_periods_it_rechecked_and_why_and_which_it_left_alone(eight_quarters_settled):
    import_sales([sales_row("LATE-1", document_date="2024-02-10", customer="C001", sku="TEA-1", quantity="1",
                            unit_price="200000.00", net_amount="200000.00")])
    out = io.StringIO()
    call_command("settle", "2026-Q1", "--today", "2026-04-02", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1:] == [
        "  dist-q: 1 adjustment; ¥7,500.00",
        "  rechecked dist-q 2024-Q1: sales dated in 2024-02 changed",
        "  rechecked dist-q 2026-Q1: first computation of the period",
        "  unchanged, not recomputed: dist-q 2024-Q2 2024-Q3 2024-Q4 2025-Q1 2025-Q2 2025-Q3 2025-Q4",
    ]


def test_a_sale_dated_after_every_settled_quarter_and_a_refused_import_recheck_nothing(eight_quarters_settled):
    import_sales([sales_row("NEW-1", document_date="2026-01-10", customer="C001", sku="TEA-1")])
    import_file(kind="sales", content=csv_bytes(SALES_HEADER, [sales_row("BAD", document_date="2024-02-10",
                                                                         customer="C001", sku="NOPE")]),
                filename="bad.csv", actor=None)
    run = settle("2025-Q4")
    assert (rechecked(run), run.summary["statements"]) == ({}, 0)
    assert len(unchanged(run)) == 8


def test_an_enrolment_rechecks_every_settled_period_of_its_policy_only(eight_quarters_settled):
    policy("other")
    first = settle("2025-Q4")
    assert rechecked(first) == {"other 2025-Q4": [{"code": "first"}]}
    enrolment_set(policy_code="dist-q", customer_code="C001", actor=None, valid_from=date(2025, 10, 1))
    run = settle("2025-Q4")
    assert rechecked(run) == {f"dist-q {key}": [{"code": "enrolments", "policies": ["dist-q"]}]
                              for key in quarters("2024-Q1", 8)}
    assert unchanged(run) == ["other 2025-Q4"]
    assert run.summary["statements"] == 0  # an enrolment without overrides changes no figure here


def test_an_enrolment_with_new_terms_adjusts_only_the_quarters_it_covers(eight_quarters_settled):
    enrolment_set(policy_code="dist-q", customer_code="C001", actor=None, valid_from=date(2025, 10, 1),
                  overrides={"tiers": [{"from": 0, "rate_percent": 4}]})
    run = settle("2025-Q4")
    assert len(rechecked(run)) == 8
    adjustment = Statement.objects.get(run=run)
    assert (adjustment.period_key, adjustment.amount_minor) == ("2025-Q4", 600_000 - 300_000)


def test_a_customer_fact_rechecks_the_policies_whose_eligibility_reads_it(staff_user):
    catalog()
    invoice(customer("C001", grade="gold"), date(2026, 2, 1), ("TEA-1", "150000"))
    policy("gold-only", extra="eligibility: {grades: [gold]}\n")
    policy("anyone")
    settle("2026-Q1")
    header = ["code", "name", "kind", "start_date", "grade", "status"]

    def customers(*row: str) -> None:
        batch = import_file(kind="customers", content=csv_bytes(header, [list(row)]), filename="c.csv",
                            actor=staff_user)
        assert batch.status == "done", batch.errors

    customers("C001", "Renamed", "distributor", "2020-01-01", "gold", "active")
    assert rechecked(settle("2026-Q1")) == {}, "a name is read by no eligibility rule"
    customers("C001", "Renamed", "distributor", "2020-01-01", "", "active")
    run = settle("2026-Q1")
    assert rechecked(run) == {"gold-only 2026-Q1": [{"code": "customers", "facts": ["grade"]}]}
    assert unchanged(run) == ["anyone 2026-Q1"]
    with translation.override("en"):
        assert reasons_text(rechecked(run)["gold-only 2026-Q1"]) == "customers' grade changed"
    with translation.override("zh-hans"):
        assert reasons_text(rechecked(run)["gold-only 2026-Q1"]) == "客户的等级有变动"
    assert run.summary["statements"] == 0, "a customer settled for the period stays in its true-ups"
    customers("C001", "Renamed", "distributor", "2020-01-01", "", "suspended")
    run = settle("2026-Q1")
    assert rechecked(run) == {"anyone 2026-Q1": [{"code": "customers", "facts": ["status"]}],
                              "gold-only 2026-Q1": [{"code": "customers", "facts": ["status"]}]}


def test_segments_recomputed_recheck_only_policies_reading_segments_and_only_when_they_changed():
    from fanli.customers.services import segments_recompute

    catalog()
    invoice(customer("C001"), date(2026, 2, 1), ("TEA-1", "150000"))
    policy("a-class", extra="eligibility: {abc_classes: [A]}\n")
    policy("anyone")
    settle("2026-Q1")
    segments_recompute(today=date(2026, 4, 1))
    run = settle("2026-Q1")
    assert rechecked(run) == {"a-class 2026-Q1": [{"code": "customers", "facts": ["abc"]}]}
    assert run.summary["statements"] == 1, "C001 is class A now, and earns 3,000.00"
    segments_recompute(today=date(2026, 4, 1))
    assert rechecked(settle("2026-Q1")) == {}


def test_a_product_moved_into_a_scoped_category_adjusts_the_policies_scoped_by_category(staff_user):
    catalog()
    policy("tea-only", extra="scope: {include: {categories: [tea]}}\n")
    policy("by-sku", extra="scope: {include: {skus: [TEA-1, COLA-1]}}\n")
    acme = customer("C001")
    invoice(acme, date(2026, 2, 1), ("TEA-1", "150000"), ("COLA-1", "200000"))
    settle("2026-Q1")
    assert Statement.objects.get(policy__code="tea-only").amount_minor == 300_000

    header = ["sku", "name", "category_code"]
    batch = import_file(kind="products", content=csv_bytes(header, [["COLA-1", "Cola", "tea"]]), filename="p.csv",
                        actor=staff_user)
    assert batch.status == "done", batch.errors
    run = settle("2026-Q1")

    assert rechecked(run) == {"tea-only 2026-Q1": [{"code": "catalog", "facts": ["category"]}]}
    assert unchanged(run) == ["by-sku 2026-Q1"]
    adjustment = Statement.objects.get(run=run)
    assert (adjustment.policy.code, adjustment.amount_minor) == ("tea-only", 1_050_000 - 300_000)


def test_a_payment_rechecks_paid_basis_policies_and_leaves_invoiced_ones_alone():
    catalog()
    customer("C001")
    policy("paid", extra="basis_source: paid\n")
    policy("invoiced")
    row = {"document_date": "2026-02-10", "customer": "C001", "sku": "TEA-1", "quantity": "1",
           "unit_price": "150000.00", "net_amount": "150000.00"}
    import_sales([sales_row("IN-1", paid="0", **row)])
    settle("2026-Q1")
    assert list(Statement.objects.values_list("policy__code", "amount_minor")) == [("invoiced", 300_000)]

    import_sales([sales_row("IN-1", paid="150000.00", **row)])
    run = settle("2026-Q1")

    assert rechecked(run) == {"paid 2026-Q1": [{"code": "payments", "months": ["2026-02"]}]}
    assert unchanged(run) == ["invoiced 2026-Q1"]
    assert (Statement.objects.get(run=run).policy.code, Statement.objects.get(run=run).amount_minor) == ("paid",
                                                                                                          300_000)


def test_a_growth_policy_is_rechecked_by_a_late_line_in_last_years_quarter():
    catalog()
    acme = customer("C001")
    policy("growth", valid_from="2026-01-01",
           extra="metric: growth\ngrowth: {applies_to: increase, no_prior_year: ineligible}\n",
           calculation="\n  type: flat_rate\n  rate_percent: 10\n")
    policy("plain", valid_from="2026-01-01")
    invoice(acme, date(2025, 2, 1), ("TEA-1", "100000"))
    invoice(acme, date(2026, 2, 1), ("TEA-1", "150000"))
    settle("2026-Q1")
    assert Statement.objects.get(policy__code="growth").amount_minor == 500_000  # 10 % of the 50,000 increase

    invoice(acme, date(2025, 3, 5), ("TEA-1", "20000"))
    run = settle("2026-Q1")

    assert rechecked(run) == {"growth 2026-Q1": [{"code": "sales", "months": ["2025-03"]}]}
    assert unchanged(run) == ["plain 2026-Q1"]
    assert Statement.objects.get(run=run).amount_minor == 300_000 - 500_000


def test_a_new_version_is_taken_up_where_no_statement_pins_the_period_and_ignored_where_one_does():
    catalog()
    acme = customer("C001")
    policy("dist-q", valid_from="2026-01-01")
    invoice(acme, date(2026, 2, 1), ("TEA-1", "150000"))
    settle("2026-Q1")  # one statement: 2026-Q1 keeps version 1
    settle("2026-Q2")  # no sales: nothing pins 2026-Q2
    policy("dist-q", valid_from="2026-01-01", extra="eligibility: {kinds: [distributor, dealer]}\n")

    run = settle("2026-Q2")

    assert rechecked(run) == {"dist-q 2026-Q2": [{"code": "version", "from": 1, "to": 2}]}
    assert unchanged(run) == ["dist-q 2026-Q1"]
    with translation.override("en"):
        assert reasons_text(rechecked(run)["dist-q 2026-Q2"]) == "computed with version 2 now (was version 1)"
    assert rechecked(settle("2026-Q2")) == {}


def test_policies_stacked_on_each_other_are_recomputed_together():
    catalog()
    acme = customer("C001")
    policy("base", valid_from="2026-01-01")
    policy("on-top", valid_from="2026-01-01", extra="stacks_after: [base]\n")
    invoice(acme, date(2026, 2, 1), ("TEA-1", "150000"))
    settle("2026-Q1")
    enrolment_set(policy_code="base", customer_code="C001", actor=None,
                  overrides={"tiers": [{"from": 0, "rate_percent": 4}]})

    run = settle("2026-Q1")

    assert rechecked(run) == {"base 2026-Q1": [{"code": "enrolments", "policies": ["base"]}],
                              "on-top 2026-Q1": [{"code": "stacked", "policy": "base"}]}
    assert sorted(Statement.objects.filter(run=run).values_list("policy__code", "amount_minor")) == [
        ("base", 600_000 - 300_000), ("on-top", (14_400_000 * 2 // 100) - (14_700_000 * 2 // 100))]


def test_an_interim_period_is_rechecked_as_its_cut_off_moves_and_not_when_run_again():
    catalog()
    policy("year", valid_from="2026-01-01", period="year", interim="quarter")
    invoice(customer("C001"), date(2026, 2, 1), ("TEA-1", "150000"))
    settle("2026-Q1")
    assert rechecked(settle("2026-Q1")) == {}
    run = settle("2026-Q2")
    assert rechecked(run) == {"year 2026": [{"code": "as_of", "from": "2026-03-31", "to": "2026-06-30"}]}
    assert run.summary["statements"] == 0
    assert rechecked(settle("2026-Q2")) == {}


def test_a_revision_counter_moved_by_hand_is_enough_to_recheck_and_nothing_else_is_needed(eight_quarters_settled):
    """What a period's stamp holds is exactly what decides: raise one month's counter and only
    the quarter holding that month is recomputed (it finds nothing new to write)."""
    Revision.objects.filter(key="sales:2024-08").update(value=99)
    run = settle("2025-Q4")
    assert rechecked(run) == {"dist-q 2024-Q3": [{"code": "sales", "months": ["2024-08"]}]}
    assert run.summary["statements"] == 0
