"""The quote engine on worked scenarios, with exact amounts, and its invariants under random input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fanli.discounts.document import parse_discount_rule
from fanli.discounts.engine import QuoteLine, RuleInput, Skipped, quote
from fanli.rebates.compile import CustomerFacts, ProductFacts

TEA = ProductFacts(1, "TEA-1", ("tea", "drinks"), "acme")
RICE = ProductFacts(2, "RICE-1", ("food",), "acme")
DAY = date(2026, 11, 11)


def customer(grade: str | None = "vip", kind: str = "dealer") -> CustomerFacts:
    return CustomerFacts(1, "C001", kind, grade, "华东", (), date(2020, 1, 1), None)


def rule(version_id: int = 1, **fields) -> RuleInput:
    extra = {k: fields.pop(k) for k in ("contract_percent", "customer_uses", "total_uses", "spent_minor") if k in fields}
    document = {"code": f"r{version_id}", "name": "rule", "valid_from": "2026-01-01",
                "discount": {"type": "percent", "percent": "10"}, **fields}
    return RuleInput(version_id, parse_discount_rule(document), **extra)


def line(number: int, product: ProductFacts = TEA, quantity: str = "1", price_minor: int = 100_000) -> QuoteLine:
    return QuoteLine(number, product, Decimal(quantity), price_minor)


LADDER = {"code": "ladder", "discount": {"type": "grade_ladder", "grades": {"normal": "5", "vip": "10", "svip": "15"}}}


def test_a_grade_ladder_gives_each_grade_its_rate_and_a_contract_overrides_it():
    ladder = rule(**LADDER)
    for grade, off in [("normal", 5_000), ("vip", 10_000), ("svip", 15_000)]:
        result = quote(customer(grade), DAY, [line(1)], [ladder])
        assert (result.lines[0].discount_minor, result.lines[0].net_minor) == (off, 100_000 - off)
        assert result.lines[0].applied[0].reason == f"{off // 1000}% (grade {grade})"
    contract = rule(**LADDER, contract_percent=Decimal("12.5"))
    result = quote(customer("vip"), DAY, [line(1)], [contract])
    assert [(a.rule, a.percent, a.amount_minor, a.reason) for a in result.lines[0].applied] == [
        ("ladder", Decimal("12.5"), 12_500, "12.5% (contract)")]
    nobody = quote(customer(None), DAY, [line(1)], [ladder])
    assert nobody.lines[0].applied == [] and nobody.lines[0].skipped == [Skipped("ladder", "grade - has no discount in this ladder")]


def test_best_of_picks_the_largest_and_additive_rules_stack_up_to_their_cap():
    rules = [
        rule(1, code="big", discount={"type": "percent", "percent": "10"}),
        rule(2, code="small", discount={"type": "percent", "percent": "8"}),
        rule(3, code="extra", stacking="additive", additive_cap_percent="12", discount={"type": "percent", "percent": "5"},
             priority=50),
        rule(4, code="loyal", stacking="additive", discount={"type": "percent", "percent": "3"}, priority=60),
    ]
    result = quote(customer(), DAY, [line(1)], rules)
    q = result.lines[0]
    assert [(a.rule, a.amount_minor, a.reason) for a in q.applied] == [
        ("big", 10_000, "10% (rule)"),
        ("extra", 2_000, "5% (rule); trimmed to the 12% cap"),
        ("loyal", 3_000, "3% (rule)"),
    ]
    assert q.skipped == [Skipped("small", "best-of: big gives ¥100.00, this rule ¥80.00")]
    assert (result.gross_minor, result.discount_minor, result.net_minor) == (100_000, 15_000, 85_000)
    assert result.by_rule() == {1: 10_000, 3: 2_000, 4: 3_000}


def test_a_tie_goes_to_the_lower_priority_number_then_the_code():
    rules = [rule(1, code="b-rule", priority=10), rule(2, code="a-rule", priority=10), rule(3, code="first", priority=5)]
    assert [a.rule for a in quote(customer(), DAY, [line(1)], rules).lines[0].applied] == ["first"]
    assert [a.rule for a in quote(customer(), DAY, [line(1)], rules[:2]).lines[0].applied] == ["a-rule"]


def test_a_window_adds_its_extra_percent_on_its_last_day_and_not_the_day_after():
    windowed = rule(windows=[{"name": "双11", "from": "2026-11-01", "until": "2026-11-11", "extra_percent": "5"}])
    inside = quote(customer(), date(2026, 11, 11), [line(1)], [windowed]).lines[0].applied[0]
    assert (inside.percent, inside.amount_minor, inside.reason) == (Decimal(15), 15_000, "10% (rule) + 5% (双11)")
    after = quote(customer(), date(2026, 11, 12), [line(1)], [windowed]).lines[0].applied[0]
    assert (after.percent, after.amount_minor) == (Decimal(10), 10_000)


def test_limits_used_up_skip_the_rule_for_the_whole_order_with_the_reason():
    cases = [
        (rule(limits={"uses_per_customer": 2}, customer_uses=2), "already used on 2 invoice(s) of this customer, the limit"),
        (rule(limits={"uses_total": 100}, total_uses=100), "already used on 100 invoice(s), the limit"),
        (rule(limits={"budget": "500"}, spent_minor=50_000), "budget of ¥500.00 used up"),
        (rule(valid_until="2026-10-31"), "not valid on 2026-11-11 (valid 2026-01-01 to 2026-10-31)"),
        (rule(eligibility={"kinds": ["distributor"]}), "kind dealer is not among distributor"),
    ]
    for limited, reason in cases:
        result = quote(customer(), DAY, [line(1), line(2)], [limited])
        assert result.skipped == [Skipped("r1", reason)]
        assert result.discount_minor == 0 and all(not q.skipped for q in result.lines)


def test_a_budget_nearly_spent_is_trimmed_on_the_line_that_reaches_it():
    budgeted = rule(limits={"budget": "150"}, spent_minor=2_000)  # ¥130.00 left
    result = quote(customer(), DAY, [line(1), line(2), line(3)], [budgeted])
    assert [q.discount_minor for q in result.lines] == [10_000, 3_000, 0]
    assert result.lines[1].applied[0].reason == "10% (rule); trimmed to the budget left (¥30.00)"
    assert result.lines[2].skipped == [Skipped("r1", "budget used up")]


def test_conditions_on_quantity_order_amount_and_scope():
    rules = [rule(1, conditions={"min_quantity": "10"}),
             rule(2, code="big-order", conditions={"min_order_amount": "2000"}, stacking="additive",
                  discount={"type": "percent", "percent": "1"}),
             rule(3, code="tea-only", scope={"include": {"categories": ["tea"]}}, stacking="additive",
                  discount={"type": "percent", "percent": "2"})]
    result = quote(customer(), DAY, [line(1, TEA, "9", 10_000), line(2, RICE, "10", 10_000)], rules)
    tea, rice = result.lines
    assert result.skipped == [Skipped("big-order", "order amount in scope ¥1,900.00 is below the minimum ¥2,000.00")]
    assert [(a.rule, a.amount_minor) for a in tea.applied] == [("tea-only", 1_800)]
    assert tea.skipped == [Skipped("r1", "quantity 9 is below the minimum 10")]
    assert [(a.rule, a.amount_minor) for a in rice.applied] == [("r1", 10_000)]
    assert rice.skipped == [Skipped("tea-only", "not in the policy's product scope")]


def test_an_amount_off_larger_than_the_price_never_makes_a_negative_line():
    generous = rule(discount={"type": "amount_per_unit", "amount": "900"})
    result = quote(customer(), DAY, [line(1, TEA, "2", 50_000)], [generous])
    assert (result.lines[0].gross_minor, result.lines[0].discount_minor, result.lines[0].net_minor) == (100_000, 100_000, 0)


def test_rounding_happens_once_per_line_and_rule_half_up():
    result = quote(customer(), DAY, [line(1, TEA, "3", 3_335)], [rule(discount={"type": "percent", "percent": "7.5"})])
    # 3 x 33.35 = 100.05; 7.5 % = 7.50375 -> 7.50
    assert (result.lines[0].gross_minor, result.lines[0].discount_minor, result.lines[0].net_minor) == (10_005, 750, 9_255)


percents = st.decimals(min_value=0, max_value=100, places=2)


@settings(max_examples=200, deadline=None)
@given(
    prices=st.lists(st.tuples(st.integers(0, 10_000_000), st.decimals(min_value="0.001", max_value=1000, places=3)),
                    min_size=1, max_size=6),
    offers=st.lists(st.tuples(percents, st.sampled_from(["exclusive", "additive"]), st.none() | percents,
                              st.integers(0, 5)), min_size=1, max_size=5),
    per_unit=st.none() | st.decimals(min_value=0, max_value=100_000, places=2),
    budget=st.none() | st.integers(0, 1_000_000),
)
def test_quotes_never_go_negative_and_additive_caps_hold(prices, offers, per_unit, budget):
    rules = []
    for index, (percent, stacking, cap, priority) in enumerate(offers, start=1):
        fields = {"code": f"r{index}", "priority": priority, "stacking": stacking,
                  "discount": {"type": "percent", "percent": str(percent)}}
        if stacking == "additive" and cap is not None:
            fields["additive_cap_percent"] = str(cap)
        rules.append(rule(index, **fields))
    if per_unit is not None:
        rules.append(rule(99, code="unit", discount={"type": "amount_per_unit", "amount": str(per_unit)}))
    if budget is not None:
        rules[0] = RuleInput(rules[0].version_id, rules[0].document.model_copy(
            update={"limits": rules[0].document.limits.model_copy(update={"budget": Decimal(budget) / 100})}))
    lines = [line(i, TEA, str(quantity), price) for i, (price, quantity) in enumerate(prices, start=1)]
    result = quote(customer(), DAY, lines, rules)
    for q in result.lines:
        assert 0 <= q.net_minor <= q.gross_minor
        assert all(a.amount_minor >= 0 for a in q.applied)
        exclusive = [a for a in q.applied if a.rule in {r.document.code for r in rules
                                                       if r.document.stacking.value == "exclusive"}]
        assert len(exclusive) <= 1
        caps = {r.document.code: r.document.additive_cap_percent for r in rules}
        running = 0
        for applied in q.applied:
            running += applied.amount_minor
            cap = caps[applied.rule] if applied not in exclusive else None
            if cap is not None:  # an additive rule never takes the line past its cap
                assert running <= int((Decimal(q.gross_minor) * cap / 100).quantize(Decimal(1), "ROUND_HALF_UP"))
    if budget is not None:
        assert result.by_rule().get(rules[0].version_id, 0) <= budget
    assert result.net_minor == result.gross_minor - result.discount_minor
