"""Dealer score cards: hand-computed parts and totals, missing figures, ratings and validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fanli.common.exceptions import ValidationFailed
from fanli.customers.scorecard import ScoreFacts, load_scorecard_text, score_customers

CARD = """
code: dealer
name: 经销商评分卡
criteria:
  - {key: initiative, name: 积极性, weight: 20, source: manual}
  - {key: capability, name: 经营能力, weight: 30, source: sales_rank}
  - {key: growth, name: 成长性, weight: 10, source: growth}
  - {key: credit, name: 信用, weight: 20, source: collection}
  - {key: satisfaction, name: 满意度, weight: 10, source: satisfaction}
  - {key: complaints, name: 投诉, weight: 5, source: complaints}
  - {key: relations, name: 合作关系, weight: 5, source: contacts}
"""


def test_each_part_and_the_weighted_total_by_hand():
    card = load_scorecard_text(CARD)
    big = ScoreFacts(1, sales_12m_minor=900_00, sales_prior_12m_minor=600_00, due_12m_minor=1000_00,
                     paid_12m_minor=950_00, survey_average=Decimal("4.5"), complaints_12m=1, contacts_90d=2,
                     ratings={"initiative": 80})
    mid = ScoreFacts(2, sales_12m_minor=500_00, sales_prior_12m_minor=1000_00, due_12m_minor=0)
    small = ScoreFacts(3, sales_12m_minor=100_00)
    silent = ScoreFacts(4)
    scores = {s.customer_id: s for s in score_customers(card, [big, mid, small, silent])}
    assert [(p.key, p.score) for p in scores[1].parts] == [
        ("initiative", 80), ("capability", 100), ("growth", 100),  # +50 %: the top of the scale
        ("credit", 95), ("satisfaction", 88), ("complaints", 80), ("relations", 50)]  # (4.5-1)*25 = 87.5 -> 88
    # (20*80 + 30*100 + 10*100 + 20*95 + 10*88 + 5*80 + 5*50) / 100 = 9030 / 100 = 90.3 -> 90
    assert scores[1].total == 90
    # mid: not rated, nothing due, no answers -> those weights left out: (30*50 + 10*0 + 5*100 + 5*0) / 50 = 40
    assert [(p.key, p.score) for p in scores[2].parts] == [
        ("initiative", None), ("capability", 50), ("growth", 0), ("credit", None), ("satisfaction", None),
        ("complaints", 100), ("relations", 0)]
    assert scores[2].total == 40
    assert scores[2].parts[2].detail == "-50 % on the year before"
    assert (scores[3].parts[1].score, scores[3].parts[2].score, scores[3].parts[2].detail) == (0, 100, "new sales")
    assert (scores[4].parts[1].score, scores[4].parts[2].detail) == (0, "no sales in either year")


def test_a_card_whose_weights_do_not_add_up_is_refused_with_the_reason():
    with pytest.raises(ValidationFailed) as refused:
        load_scorecard_text("code: x1\nname: x\ncriteria: [{key: a, name: A, weight: 60, source: manual}, "
                            "{key: a, name: B, weight: 30, source: telepathy}]")
    assert [(e["path"], e["message"]) for e in refused.value.details["errors"]] == [
        ("criteria.1.source", "Input should be 'sales_rank', 'growth', 'collection', 'satisfaction', 'complaints', "
                              "'contacts' or 'manual'")]
    with pytest.raises(ValidationFailed) as refused:
        load_scorecard_text("code: x1\nname: x\ncriteria: [{key: a, name: A, weight: 60, source: manual}]")
    assert refused.value.details["errors"][0]["message"] == "weights add up to 60, not 100"


@pytest.mark.django_db
def test_scores_are_computed_from_the_data_and_a_rating_rescoring_the_card():
    from fanli.crm.services import complaint_open
    from fanli.customers.models import DealerScore
    from fanli.customers.services import rating_set, scorecard_apply, scorecards_compute
    from fanli.sales.models import SalesDocument
    from tests.builders import catalog, customer, invoice

    catalog()
    acme, other = customer("C001"), customer("C002", kind="dealer")
    customer("R001", kind="retailer")  # not a kind the card rates
    invoice(acme, date(2026, 3, 1), ("TEA-1", "1000"), paid="1000")
    invoice(other, date(2026, 3, 1), ("TEA-1", "400"), paid="100")
    invoice(other, date(2025, 3, 1), ("TEA-1", "400"), paid="400")
    SalesDocument.objects.filter(document_date=date(2026, 3, 1)).update(due_date=date(2026, 3, 31))
    complaint_open(customer_code="C002", category="billing", summary="x", opened_on=date(2026, 5, 1),
                   today=date(2026, 11, 24), actor=None)
    card, changed = scorecard_apply(text=CARD)
    assert changed and scorecard_apply(text=CARD) == (card, False)
    assert scorecards_compute(today=date(2026, 11, 24)) == {"dealer": 2}
    scores = {s.customer.code: s for s in DealerScore.objects.select_related("customer")}
    # C001: capability 100, growth 100 (new), credit 100 (due 2026-03-31, paid), complaints 100, relations 0
    #   -> (30*100 + 10*100 + 20*100 + 5*100 + 5*0) / 70 = 6500 / 70 = 92.86 -> 93
    # C002: capability 0, growth 0 % -> 50, credit 25, complaints 80, relations 0
    #   -> (30*0 + 10*50 + 20*25 + 5*80 + 5*0) / 70 = 1400 / 70 = 20
    assert (scores["C001"].total, scores["C002"].total) == (93, 20)
    rated = rating_set(card_code="dealer", customer_code="C002", criterion="initiative", score=90,
                       today=date(2026, 11, 24), actor=None)
    assert rated is not None and rated.total == 36  # (1400 + 20*90) / 90 = 35.56
    assert rated.parts[0] == {"key": "initiative", "name": "积极性", "weight": 20, "score": 90, "detail": "rated"}
    with pytest.raises(ValidationFailed):
        rating_set(card_code="dealer", customer_code="C002", criterion="credit", score=50, today=date(2026, 11, 24),
                   actor=None)
