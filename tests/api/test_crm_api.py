"""Customer management, the what-if and effectiveness over real HTTP, with token authentication."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from fanli.crm.models import Interaction
from fanli.ledger.models import LedgerEntry
from fanli.rebates.models import PolicyVersion, Statement
from fanli.rebates.services import policy_apply
from tests.api.test_rebates_api import POLICY, api, second  # noqa: F401  (the fixtures)
from tests.builders import catalog, customer, invoice


def test_contacts_complaints_surveys_and_the_calendar(api):  # noqa: F811
    customer("C001")
    today = timezone.localdate().isoformat()
    status, logged = api.call("POST", "/customers/C001/interactions", {
        "channel": "M", "happened_on": today, "summary": "年度洽谈", "outcome": "寄合同",
        "next_follow_up": today, "owner": "finance"})
    assert status == 201 and logged["follow_ups"][0]["owner"] == "finance"
    status, refused = api.call("POST", "/customers/C001/interactions", {"channel": "X", "happened_on": today,
                                                                         "summary": ""})
    assert status == 422 and [e["path"] for e in refused["details"]["errors"]] == ["channel", "summary"]
    assert Interaction.objects.count() == 1
    status, done = api.call("POST", f"/follow-ups/{logged['follow_ups'][0]['id']}/done")
    assert status == 200 and done["done_at"]
    status, complaint = api.call("POST", "/customers/C001/complaints", {"category": "billing", "summary": "重复开票",
                                                                       "opened_on": today})
    assert status == 201 and complaint["status"] == "open"
    status, resolved = api.call("POST", f"/complaints/{complaint['id']}/progress", {"status": "resolved",
                                                                                   "resolution": "已冲红"})
    assert (status, resolved["status"], resolved["resolution_days"]) == (200, "resolved", 0)
    assert api.call("POST", "/customers/C001/surveys", {"score": 6, "answered_on": today})[0] == 422
    assert api.call("POST", "/customers/C001/surveys", {"score": 5, "answered_on": today})[0] == 201
    assert api.call("PUT", "/customers/C001/relationship", {"relationship": "partner"}) == (
        200, {"customer": "C001", "relationship": "partner"})
    status, contacts = api.call("GET", "/customers/C001/contacts")
    assert (contacts["relationship"], len(contacts["interactions"]), contacts["follow_ups"]) == ("partner", 1, [])
    status, grid = api.call("GET", f"/contacts/calendar?month={today[:7]}")
    assert grid["rows"] == [{"customer": "C001", "name": "C001 商贸有限公司", "total": 1,
                             "days": {str(int(today[8:])): [{"channel": "M", "summary": "年度洽谈"}]}}]
    assert api.call("GET", "/contacts/calendar?month=2026-13")[0] == 422
    status, segments = api.call("POST", "/segments/recompute")
    assert status == 200 and segments["customers"] == 1


def test_a_what_if_and_the_effectiveness_of_a_policy(api):  # noqa: F811
    catalog()
    policy_apply(text=__import__("json").dumps(POLICY), actor=None)
    acme, other = customer("C001"), customer("C002", kind="dealer")
    invoice(acme, date(2025, 2, 1), ("TEA-1", "100000"))
    invoice(acme, date(2026, 2, 1), ("TEA-1", "150000"))
    invoice(other, date(2025, 2, 1), ("TEA-1", "50000"))
    invoice(other, date(2026, 2, 1), ("TEA-1", "55000"))
    changed = {**POLICY, "calculation": {**POLICY["calculation"], "tiers": [
        {"from": 0, "rate_percent": "1"}, {"from": 100000, "rate_percent": "2.5"}]}}
    before = (Statement.objects.count(), LedgerEntry.objects.count(), PolicyVersion.objects.count())
    status, whatif = api.call("POST", "/policies/what-if", {"document": changed, "period": "2026-Q1"})
    # the dealer is eligible too (no kinds named): C001 150,000 at 2.5 % and C002 55,000 at 1 %
    assert status == 200 and (whatif["total_minor"], whatif["in_force_total_minor"]) == (430_000, 355_000)
    assert (Statement.objects.count(), LedgerEntry.objects.count(), PolicyVersion.objects.count()) == before
    status, refused = api.call("POST", "/policies/what-if", {"document": changed, "period": "2099-Q1"})
    assert status == 422 and refused["details"]["errors"][0]["path"] == "period"
    status, effect = api.call("GET", "/policies/dist-q/effectiveness?period=2026-Q1")
    assert status == 200 and (effect["participants"], effect["rebate_minor"]) == (2, 355_000)
    assert effect["panel"]["growth_percent"] == "36.67"  # 205,000 against 150,000
    assert effect["comparison"]["customers"] == 0 and effect["difference_in_differences_points"] is None


def test_a_score_card_is_applied_scored_and_rated_over_http(api, second):  # noqa: F811
    from tests.customers.test_scorecard import CARD

    customer("C001")
    status, applied = api.call("POST", "/scorecards", {"document": CARD})
    assert (status, applied["status"], applied["card"]) == (200, "submitted", "dealer")
    assert api.call("POST", "/scorecards/dealer/publish")[1]["code"] == "four_eyes"
    status, published = second.call("POST", "/scorecards/dealer/publish")
    assert (status, published["status"], published["changed"]) == (200, "published", True)
    assert api.call("POST", "/scorecards", {"document": CARD})[1]["changed"] is False
    status, refused = api.call("POST", "/scorecards", {"document": CARD.replace("weight: 20", "weight: 25", 1)})
    assert status == 422 and refused["details"]["errors"][0]["message"] == "weights add up to 105, not 100"
    status, rated = api.call("POST", "/scorecards/dealer/ratings", {"customer": "C001", "criterion": "initiative",
                                                                     "score": 80})
    assert status == 200 and rated["parts"][0]["score"] == 80
    status, scores = api.call("GET", "/scorecards/dealer")
    assert [s["customer"] for s in scores["scores"]] == ["C001"] and scores["scores"][0]["total"] == rated["total"]
