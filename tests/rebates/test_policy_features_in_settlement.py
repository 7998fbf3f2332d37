"""Policy features through the SQL aggregation: campaign window edges, growth, stacking,
paid basis, orders, eligibility, and settlement laws checked with generated sales."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanli.ledger.models import LedgerEntry
from fanli.ledger.selectors import ledger_check, trial_balance
from fanli.rebates.models import Statement
from fanli.rebates.selectors import reconcile
from fanli.rebates.services import policy_apply, settlement_run
from tests.builders import catalog, credit_note, customer, invoice

pytestmark = pytest.mark.django_db


def apply(code: str, body: str, period: str = "quarter", valid_from: str = "2025-01-01") -> None:
    policy_apply(text=f"code: {code}\nname: {code}\nvalid_from: {valid_from}\n"
                      f"settlement: {{period: {period}}}\n{body}", actor=None)


def amounts() -> dict[tuple[str, str], int]:
    return {(s.policy.code, s.customer.code): s.amount_minor for s in Statement.objects.select_related("policy", "customer")}


def test_campaign_window_counts_its_first_and_last_day_and_nothing_outside():
    catalog()
    apply("d11", "calculation: {type: flat_rate, rate_percent: 1}\n"
                 "campaigns: [{name: Double-11, from: 2026-11-01, until: 2026-11-11, extra_rate_percent: 2}]")
    buyer = customer("C1")
    for day in (date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 11), date(2026, 11, 12)):
        invoice(buyer, day, ("TEA-1", "1000"))
    settlement_run(period_key="2026-Q4", actor=None, today=date(2027, 1, 1))
    statement = Statement.objects.get()
    # 1 % on 4,000 plus 2 % extra on the 2,000 dated 11-01 and 11-11
    assert statement.amount_minor == 4_000 + 4_000
    [campaign] = statement.explanation["result"]["campaigns"]
    assert (campaign["basis"], campaign["amount"]) == ("2000", "40")


def test_growth_rebate_pays_only_customers_that_grew_and_handles_no_prior_year_as_the_policy_says():
    catalog()
    apply("grow", "metric: growth\ngrowth: {applies_to: increase, no_prior_year: ineligible}\n"
                  "calculation: {type: flat_rate, rate_percent: 10}", period="year")
    grew, shrank, new = customer("G1"), customer("S1"), customer("N1")
    invoice(grew, date(2025, 5, 1), ("TEA-1", "100000"))
    invoice(grew, date(2026, 5, 1), ("TEA-1", "150000"))
    invoice(shrank, date(2025, 5, 1), ("TEA-1", "100000"))
    invoice(shrank, date(2026, 5, 1), ("TEA-1", "90000"))
    invoice(new, date(2026, 5, 1), ("TEA-1", "50000"))
    settlement_run(period_key="2026", actor=None, today=date(2027, 1, 2), policy_codes=["grow"])
    assert amounts() == {("grow", "G1"): 500_000}  # 10 % of the 50,000 increase


def test_growth_with_a_zero_baseline_pays_new_customers_on_everything():
    catalog()
    apply("grow0", "metric: growth\ngrowth: {applies_to: whole, no_prior_year: zero_baseline}\n"
                   "calculation: {type: flat_rate, rate_percent: 1}", period="year")
    invoice(customer("N1"), date(2026, 5, 1), ("TEA-1", "50000"))
    settlement_run(period_key="2026", actor=None, today=date(2027, 1, 2))
    assert amounts() == {("grow0", "N1"): 50_000}


def test_a_policy_that_stacks_after_another_computes_on_the_basis_less_the_first_rebate():
    catalog()
    apply("base", "calculation: {type: flat_rate, rate_percent: 10}")
    apply("extra", "stacks_after: [base]\ncalculation: {type: flat_rate, rate_percent: 10}")
    apply("independent", "calculation: {type: flat_rate, rate_percent: 10}")
    invoice(customer("C1"), date(2026, 1, 5), ("TEA-1", "10000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert amounts() == {("base", "C1"): 100_000, ("extra", "C1"): 90_000, ("independent", "C1"): 100_000}


def test_paid_basis_counts_only_the_paid_share_of_each_invoice():
    catalog()
    apply("prompt", "basis_source: paid\ncalculation: {type: flat_rate, rate_percent: 10}")
    buyer = customer("C1")
    invoice(buyer, date(2026, 1, 5), ("TEA-1", "600"), ("RICE-1", "400"), paid="250")
    invoice(buyer, date(2026, 1, 6), ("TEA-1", "1000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert amounts() == {("prompt", "C1"): 12_500}  # 10 % of 250 + 1,000


def test_orders_metric_counts_invoices_with_an_in_scope_line_and_pays_a_bonus_at_the_target():
    catalog()
    apply("orders", "metric: orders\nscope: {include: {skus: [TEA-1]}}\n"
                    "calculation: {type: target_bonus, target: 3, bonus: '500.00'}")
    keen, slow = customer("K1"), customer("S1")
    for day in (1, 2, 3):
        invoice(keen, date(2026, 1, day), ("TEA-1", "10"))
        invoice(slow, date(2026, 1, day), ("RICE-1", "10"), *([("TEA-1", "10")] if day < 3 else []))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert amounts() == {("orders", "K1"): 50_000}


def test_eligibility_by_kind_region_tag_and_tenure_leaves_others_out():
    catalog()
    apply("picky", "eligibility: {kinds: [distributor], regions: [华东], tags_any: [key-account], min_tenure_days: 365}\n"
                   "calculation: {type: flat_rate, rate_percent: 1}")
    ok = customer("OK", tags=["key-account"])
    wrong_kind = customer("DL", kind="dealer", tags=["key-account"])
    wrong_region = customer("RG", region="华南", tags=["key-account"])
    untagged = customer("UT")
    too_new = customer("NW", tags=["key-account"], start=date(2025, 12, 1))
    for who in (ok, wrong_kind, wrong_region, untagged, too_new):
        invoice(who, date(2026, 1, 5), ("TEA-1", "1000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert amounts() == {("picky", "OK"): 1_000}



def test_eligibility_by_segment_and_relationship_uses_the_last_computed_segments():
    from fanli.customers.models import Customer, CustomerSegment

    catalog()
    apply("key-a", "eligibility: {abc_classes: [A], lifecycle_stages: [growth, maturity], "
                   "relationships: [partner, strategic]}\ncalculation: {type: flat_rate, rate_percent: 1}")
    fits, class_b, declining, transactional, never_segmented = (customer(code) for code in ("OK", "B", "DE", "TR", "NS"))
    for who, abc, stage in ((fits, "A", "growth"), (class_b, "B", "growth"), (declining, "A", "decline"),
                            (transactional, "A", "maturity")):
        CustomerSegment.objects.create(customer=who, computed_on=date(2026, 3, 31), abc=abc, recency=5, frequency=5,
                                       monetary=5, lifecycle=stage)
    Customer.objects.exclude(code="TR").update(relationship="partner")
    for who in (fits, class_b, declining, transactional, never_segmented):
        invoice(who, date(2026, 1, 5), ("TEA-1", "1000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 1))
    assert amounts() == {("key-a", "OK"): 1_000}
    from fanli.rebates.compile import CustomerFacts, customer_eligible
    from fanli.rebates.document import load_policy_text

    doc = load_policy_text("code: x1\nname: x\nvalid_from: 2026-01-01\nsettlement: {period: quarter}\n"
                       "eligibility: {abc_classes: [A]}\ncalculation: {type: flat_rate, rate_percent: 1}")
    facts = CustomerFacts(1, "B", "dealer", None, "", (), date(2020, 1, 1), None, abc="B")
    assert customer_eligible(doc, facts, period_end=date(2026, 3, 31), enrolled=False) == (
        False, "ABC class B is not among A")


sale = st.tuples(
    st.integers(min_value=0, max_value=3),  # customer
    st.integers(min_value=0, max_value=180),  # day offset from 2026-01-01
    st.integers(min_value=1, max_value=400_000),  # yuan
    st.integers(min_value=0, max_value=100),  # % of it returned later (0: none)
    st.integers(min_value=1, max_value=120),  # days until the return
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sales=st.lists(sale, min_size=1, max_size=12), settle_q1_on=st.integers(min_value=91, max_value=200))
def test_settlement_laws_hold_for_any_sales_and_returns(sales, settle_q1_on):
    """Settling twice posts nothing; statements add up to the recomputed rebate; the ledger balances."""
    with transaction.atomic():
        catalog()
        apply("dist", "calculation: {type: tiers, mode: retroactive, tiers: [{from: 0, rate_percent: 1}, "
                      "{from: 100000, rate_percent: 2}, {from: 300000, rate_percent: 3}]}")
        people = [customer(f"C{i}") for i in range(4)]
        start = date(2026, 1, 1)
        for who, offset, yuan, returned, later in sales:
            document = invoice(people[who], start + timedelta(days=offset), ("TEA-1", str(yuan)))
            if returned:
                credit_note(people[who], document.document_date + timedelta(days=later),
                            ("TEA-1", str(yuan * returned // 100 or 1)), reverses=document)
        settlement_run(period_key="2026-Q1", actor=None, today=start + timedelta(days=settle_q1_on))
        settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 12, 1))
        entries, statements = LedgerEntry.objects.count(), Statement.objects.count()
        settlement_run(period_key="2026-Q2", actor=None, today=date(2026, 12, 2))
        settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 12, 2))
        assert (LedgerEntry.objects.count(), Statement.objects.count()) == (entries, statements)
        assert reconcile() == []
        assert sum(trial_balance().values()) == 0
        assert ledger_check()["problems"] == []
        transaction.set_rollback(True)


def test_stacking_after_an_unknown_policy_or_in_a_circle_is_refused_when_applied():
    from fanli.common.exceptions import ValidationFailed
    from fanli.rebates.models import PolicyVersion

    apply("base", "calculation: {type: flat_rate, rate_percent: 10}")
    with pytest.raises(ValidationFailed) as unknown:
        apply("extra", "stacks_after: [nope]\ncalculation: {type: flat_rate, rate_percent: 10}")
    assert unknown.value.details["errors"] == [{"path": "stacks_after.0", "message": "no published policy nope"}]
    apply("extra", "stacks_after: [base]\ncalculation: {type: flat_rate, rate_percent: 10}")
    with pytest.raises(ValidationFailed) as circle:
        apply("base", "stacks_after: [extra]\ncalculation: {type: flat_rate, rate_percent: 10}")
    assert circle.value.details["errors"][0]["message"] == "policies would stack in a circle through extra"
    assert PolicyVersion.objects.count() == 2


def test_enrolment_overrides_must_fit_the_policys_calculation():
    from fanli.common.exceptions import ValidationFailed
    from fanli.rebates.services import enrolment_set

    apply("flat", "calculation: {type: flat_rate, rate_percent: 1}\neligibility: {enrolment_required: true}")
    customer("C1")
    for overrides, expected in (
        ({"rate_percent": "150"}, {"path": "overrides.rate_percent", "message": "must be a percentage between 0 and 100"}),
        ({"tiers": [{"from": 0, "rate_percent": 1}]}, {"path": "overrides.tiers", "message": "the policy's calculation is flat_rate"}),
        ({"target": 5}, {"path": "overrides.target", "message": "the policy's calculation is flat_rate"}),
    ):
        with pytest.raises(ValidationFailed) as refused:
            enrolment_set(policy_code="flat", customer_code="C1", actor=None, overrides=overrides)
        assert refused.value.details["errors"] == [expected]
    enrolment = enrolment_set(policy_code="flat", customer_code="C1", actor=None, overrides={"rate_percent": 2.5})
    assert enrolment.overrides == {"rate_percent": "2.5"}


def test_a_paid_basis_growth_policy_measures_last_year_by_what_was_paid_too():
    catalog()
    apply("grow-paid", "metric: growth\nbasis_source: paid\ngrowth: {applies_to: increase, no_prior_year: ineligible}\n"
                       "calculation: {type: flat_rate, rate_percent: 10}", period="year")
    buyer = customer("G1")
    invoice(buyer, date(2025, 5, 1), ("TEA-1", "100000"), paid="50000")
    invoice(buyer, date(2026, 5, 1), ("TEA-1", "80000"))
    settlement_run(period_key="2026", actor=None, today=date(2027, 1, 2))
    assert amounts() == {("grow-paid", "G1"): 300_000}  # paid 80,000 against 50,000 paid last year
