"""Disputes: the thread, four-eyes manual adjustments, and recomputation that never claws them back."""

from __future__ import annotations

from datetime import date

import pytest

from fanli.accounts.services import staff_user_create
from fanli.common.exceptions import Forbidden, StateError, ValidationFailed
from fanli.ledger.selectors import ledger_check
from fanli.rebates.disputes import (
    dispute_adjustment_decide,
    dispute_adjustment_propose,
    dispute_confirm,
    dispute_message_add,
)
from fanli.rebates.models import Dispute, Statement
from fanli.rebates.selectors import reconcile
from fanli.rebates.services import policy_apply, settlement_run, statement_approve, statement_dispute, statement_resolve
from tests.builders import catalog, customer, invoice
from tests.web.conftest import POLICY

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(db):
    catalog()
    policy_apply(text=POLICY, actor=None)
    acme = customer("C001")
    invoice(acme, date(2026, 1, 10), ("TEA-1", "150000"), ("RICE-1", "2000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    statement = Statement.objects.get()
    statement_approve(statement_id=statement.pk, actor=None)
    return {
        "acme": acme, "statement": statement,
        "service": staff_user_create(username="svc", password="pw-123456789", role="customer_service", actor=None),
        "finance": staff_user_create(username="fin", password="pw-123456789", role="finance", actor=None),
    }


def _dispute(world) -> Dispute:
    statement_dispute(statement_id=world["statement"].pk, reason="we bought more in March", actor=None)
    return Dispute.objects.get(statement=world["statement"])


def test_an_approved_adjustment_is_a_manual_statement_and_recomputation_never_claws_it_back(settled):
    dispute = _dispute(settled)
    dispute_message_add(dispute_id=dispute.pk, body="checking the March invoices", actor=settled["service"],
                        internal=True)
    dispute_adjustment_propose(dispute_id=dispute.pk, amount="500.00", reason="goodwill for a late delivery",
                               actor=settled["service"])
    with pytest.raises(Forbidden) as refused:  # customer service proposes; deciding needs the approve right
        dispute_adjustment_decide(dispute_id=dispute.pk, approve=True, actor=settled["service"])
    assert refused.value.details == {"permission": "approve"}
    decided = dispute_adjustment_decide(dispute_id=dispute.pk, approve=True, actor=settled["finance"])
    manual = decided.adjustment
    assert (decided.state, decided.outcome) == ("resolved", "adjusted")
    assert (manual.kind, manual.sequence, manual.state) == ("manual", 2, "approved")
    assert (manual.previously_settled_minor, manual.amount_minor, manual.earned_minor) == (304_000, 50_000, 354_000)
    assert manual.explanation["manual"]["approved_by"] == "fin" and manual.explanation["manual"]["proposed_by"] == "svc"
    settled["statement"].refresh_from_db()
    assert settled["statement"].state == "approved"
    assert ledger_check()["balanced"]

    again = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 20))
    assert again.summary["statements"] == 0  # the agreed ¥500.00 stays
    invoice(settled["acme"], date(2026, 3, 15), ("TEA-1", "10000"))  # a late sale: 162,000 at 2 % is +¥200.00
    late = settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 21))
    adjustment = Statement.objects.get(run=late)
    assert (adjustment.kind, adjustment.sequence, adjustment.amount_minor) == ("adjustment", 3, 20_000)
    assert (adjustment.previously_settled_minor, adjustment.earned_minor) == (354_000, 374_000)
    assert reconcile() == []
    assert ledger_check()["balanced"]
    thread = list(dispute.messages.values_list("event", "internal"))
    assert thread == [("opened", False), ("", True), ("proposed", False), ("resolved", False)]


def test_a_rejected_proposal_books_nothing_and_reopens_the_dispute(settled):
    dispute = _dispute(settled)
    dispute_adjustment_propose(dispute_id=dispute.pk, amount="-120.5", reason="returns not yet counted",
                               actor=settled["service"])
    rejected = dispute_adjustment_decide(dispute_id=dispute.pk, approve=False, actor=settled["finance"],
                                         note="the returns will come through the next run")
    assert (rejected.state, rejected.proposed_minor, rejected.adjustment) == ("open", -12_050, None)
    assert Statement.objects.count() == 1
    assert rejected.messages.last().body == "the returns will come through the next run"
    with pytest.raises(StateError):
        dispute_adjustment_decide(dispute_id=dispute.pk, approve=True, actor=settled["finance"])  # nothing proposed


def test_confirming_the_figure_closes_the_dispute_and_a_new_one_may_open_later(settled):
    dispute = _dispute(settled)
    with pytest.raises(StateError):
        statement_dispute(statement_id=settled["statement"].pk, reason="again", actor=None)  # already disputed
    closed = dispute_confirm(dispute_id=dispute.pk, resolution="the March invoice belongs to Q2",
                             actor=settled["service"])
    assert (closed.state, closed.outcome) == ("resolved", "confirmed")
    settled["statement"].refresh_from_db()
    assert settled["statement"].state == "approved"
    with pytest.raises(StateError):
        dispute_message_add(dispute_id=dispute.pk, body="one more thing", actor=None)
    statement_dispute(statement_id=settled["statement"].pk, reason="a second look", actor=None)
    statement_resolve(statement_id=settled["statement"].pk, resolution="checked again", actor=None)
    assert list(Dispute.objects.values_list("outcome", flat=True).order_by("id")) == ["confirmed", "confirmed"]


def test_bad_proposals_are_refused_with_the_field_and_nothing_changes(settled):
    dispute = _dispute(settled)
    for amount, reason, path in [("0", "x", "amount"), ("12.345", "x", "amount"), ("lots", "x", "amount"),
                                 ("100", " ", "reason")]:
        with pytest.raises(ValidationFailed) as failure:
            dispute_adjustment_propose(dispute_id=dispute.pk, amount=amount, reason=reason, actor=settled["service"])
        assert failure.value.details["errors"][0]["path"] == path
    with pytest.raises(ValidationFailed):
        dispute_message_add(dispute_id=dispute.pk, body="   ", actor=None)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.proposed_minor, dispute.messages.count()) == ("open", None, 1)
