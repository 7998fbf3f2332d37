"""Controls: every money-moving service checks the actor's right, and what one person prepares
another approves (four eyes) — policies and other documents, statements and their payouts."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.accounts.models import Submission
from fanli.accounts.services import portal_user_create, staff_user_create
from fanli.common.exceptions import Forbidden, StateError, ValidationFailed
from fanli.common.models import AuditEvent
from fanli.customers.models import ScoreCard
from fanli.customers.services import scorecard_apply, scorecard_publish, scorecard_reject
from fanli.ledger.models import LedgerEntry, Payout
from fanli.loyalty.models import Programme
from fanli.loyalty.services import programme_apply, programme_publish
from fanli.rebates.models import PolicyVersion, Statement
from fanli.rebates.payouts import payout_record
from fanli.rebates.services import (
    policy_apply,
    policy_draft_save,
    policy_version_publish,
    policy_version_reject,
    policy_version_submit,
    settlement_run,
    statement_approve,
    statement_dispute,
)
from tests.builders import catalog, customer, invoice
from tests.customers.test_scorecard import CARD
from tests.loyalty.test_points import PROGRAMME
from tests.web.conftest import POLICY

pytestmark = pytest.mark.django_db



@pytest.fixture
def people(db):
    def user(name: str, role: str):
        return staff_user_create(username=name, password="pw-123456789", role=role, actor=None)

    return {"author": user("wang", "channel_manager"), "finance": user("li", "finance"),
            "controller": user("zhao", "finance"), "auditor": user("audit", "auditor"),
            "service": user("svc", "customer_service"), "admin": user("chen", "administrator")}


@pytest.fixture
def approved(people):
    """A Q1 statement of ¥4,500.00, approved by finance on 2026-04-02."""
    catalog()
    policy_apply(text=POLICY, actor=None)
    invoice(customer("C001"), date(2026, 1, 10), ("TEA-1", "150000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    statement = Statement.objects.get()
    return statement_approve(statement_id=statement.pk, actor=people["finance"], on=date(2026, 4, 2))


def test_a_policy_written_by_one_person_is_in_force_only_when_another_publishes_it(people):
    catalog()
    applied = policy_apply(text=POLICY, actor=people["author"])
    version = applied.version
    assert (version.status, version.submitted_by, version.published_at) == ("submitted", people["author"], None)
    with pytest.raises(Forbidden) as own:  # the channel manager has no right to publish at all
        policy_version_publish(version_id=version.pk, actor=people["author"])
    assert own.value.code == "forbidden" and own.value.details == {"permission": "publish"}

    policy_version_publish(version_id=version.pk, actor=people["finance"])
    version.refresh_from_db()
    assert (version.status, version.published_by) == ("published", people["finance"])
    actions = list(AuditEvent.objects.filter(object_type="policy_version").order_by("id").values_list("action", "actor"))
    assert actions == [("policy.version_create", people["author"].pk), ("policy.submit", people["author"].pk),
                       ("policy.publish", people["finance"].pk)]


def test_the_person_who_wrote_or_submitted_a_version_cannot_publish_it_even_with_the_right(people):
    catalog()
    applied = policy_apply(text=POLICY, actor=people["admin"])  # an administrator may write and publish, not both
    with pytest.raises(Forbidden) as refused:
        policy_version_publish(version_id=applied.version.pk, actor=people["admin"])
    assert refused.value.code == "four_eyes"
    assert "another person with the right must do it" in refused.value.message
    applied.version.refresh_from_db()
    assert applied.version.status == "submitted"
    assert not PolicyVersion.objects.filter(status="published").exists()


def test_a_draft_is_submitted_before_it_is_published_and_a_change_takes_it_back_to_draft(people):
    catalog()
    draft = policy_apply(text=POLICY, actor=people["author"], publish=False).version
    with pytest.raises(StateError) as not_submitted:
        policy_version_publish(version_id=draft.pk, actor=people["finance"])
    assert not_submitted.value.code == "not_submitted"
    policy_version_submit(version_id=draft.pk, actor=people["author"])
    document = dict(draft.document, name="Distributor quarterly, renamed")
    changed = policy_draft_save(data=document, actor=people["author"], policy_code=draft.policy.code)
    assert (changed.pk, changed.status, changed.submitted_by) == (draft.pk, "draft", None)  # withdrawn by the change
    policy_version_submit(version_id=draft.pk, actor=people["author"])
    with pytest.raises(ValidationFailed):
        policy_version_reject(version_id=draft.pk, actor=people["finance"], note="  ")
    rejected = policy_version_reject(version_id=draft.pk, actor=people["finance"], note="tier 3 too generous")
    assert rejected.status == "draft"
    assert AuditEvent.objects.get(action="policy.reject").data["note"] == "tier 3 too generous"


def test_someone_who_edited_the_draft_cannot_publish_it_either(people):
    catalog()
    draft = policy_apply(text=POLICY, actor=people["author"], publish=False).version
    policy_draft_save(data=dict(draft.document, name="Edited by the administrator"), actor=people["admin"],
                      policy_code=draft.policy.code)
    policy_version_submit(version_id=draft.pk, actor=people["author"])
    with pytest.raises(Forbidden) as refused:
        policy_version_publish(version_id=draft.pk, actor=people["admin"])
    assert refused.value.code == "four_eyes"
    policy_version_publish(version_id=draft.pk, actor=people["finance"])


def test_with_four_eyes_off_one_person_with_the_right_writes_and_publishes(people, settings):
    settings.FANLI_FOUR_EYES = False
    catalog()
    assert policy_apply(text=POLICY, actor=people["admin"]).version.status == "published"
    with pytest.raises(Forbidden):  # the right is still needed
        policy_apply(text=POLICY.replace("Distributor", "Dealer"), actor=people["auditor"])


def test_who_approved_a_statement_cannot_pay_it_and_another_person_can(approved, people):
    assert (approved.approved_by, approved.approved_on) == (people["finance"], date(2026, 4, 2))
    with pytest.raises(Forbidden) as refused:
        payout_record(statement_id=approved.pk, actor=people["finance"], paid_on=date(2026, 4, 10))
    assert refused.value.code == "four_eyes" and "statement" in refused.value.message
    assert (Payout.objects.count(), Statement.objects.get().state) == (0, "approved")
    entries = LedgerEntry.objects.count()
    payout = payout_record(statement_id=approved.pk, actor=people["controller"], paid_on=date(2026, 4, 10))
    assert (payout.amount_minor, payout.actor) == (approved.amount_minor, people["controller"])
    assert LedgerEntry.objects.count() == entries + 1


def test_a_payout_is_never_dated_before_the_period_ended_or_before_the_approval(approved, people):
    with pytest.raises(ValidationFailed) as early:
        payout_record(statement_id=approved.pk, actor=people["controller"], paid_on=date(2026, 4, 1))
    assert early.value.message == f"a payout of statement {approved.pk} cannot be dated 2026-04-01: it was approved on 2026-04-02"
    assert early.value.details == {"errors": [{"path": "paid_on", "message": "on or after 2026-04-02"}]}
    with pytest.raises(ValidationFailed) as in_period:
        payout_record(statement_id=approved.pk, actor=people["controller"], paid_on=date(2026, 3, 31))
    assert in_period.value.details["errors"][0]["message"] == "on or after 2026-04-02"
    assert Payout.objects.count() == 0 and Statement.objects.get().state == "approved"


def test_an_approval_is_dated_after_the_period_and_never_in_the_future(people):
    catalog()
    policy_apply(text=POLICY, actor=None)
    invoice(customer("C001"), date(2026, 1, 10), ("TEA-1", "150000"))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 2))
    statement = Statement.objects.get()
    with pytest.raises(ValidationFailed) as inside:
        statement_approve(statement_id=statement.pk, actor=people["finance"], on=date(2026, 3, 31))
    assert inside.value.details == {"errors": [{"path": "on", "message": "after 2026-03-31"}]}
    with pytest.raises(ValidationFailed):
        statement_approve(statement_id=statement.pk, actor=people["finance"], on=date(2999, 1, 1))
    assert Statement.objects.get().state == "draft"


@pytest.mark.parametrize("role", ["auditor", "service", "author"])
def test_the_services_themselves_refuse_a_role_without_the_right(approved, people, role):
    """Whatever door a request comes through (page, API, admin, command), the service checks."""
    draft = Statement.objects.get()
    Statement.objects.filter(pk=draft.pk).update(state="draft", approved_by=None, approved_on=None)
    with pytest.raises(Forbidden) as refused:
        statement_approve(statement_id=draft.pk, actor=people[role], on=date(2026, 4, 2))
    assert refused.value.details == {"permission": "approve"}
    with pytest.raises(Forbidden):
        settlement_run(period_key="2026-Q1", actor=people[role], today=date(2026, 4, 2))
    assert Statement.objects.get().state == "draft"
    assert not AuditEvent.objects.filter(action="statement.approve", actor=people[role]).exists()


def test_a_customer_disputes_its_own_statements_from_the_portal_and_no_one_elses(approved, people):
    other = customer("C002")
    mine = portal_user_create(username="acme", password="pw-123456789", customer_code="C001", actor=None)
    theirs = portal_user_create(username="other", password="pw-123456789", customer_code=other.code, actor=None)
    with pytest.raises(Forbidden):
        statement_dispute(statement_id=approved.pk, reason="not ours to dispute", actor=theirs)
    statement_dispute(statement_id=approved.pk, reason="March is missing", actor=mine)
    assert Statement.objects.get().state == "disputed"


def test_a_loyalty_programme_change_waits_for_a_second_person(people):
    submitted, changed = programme_apply(text=PROGRAMME, actor=people["author"])
    assert isinstance(submitted, Submission) and changed and not Programme.objects.exists()
    with pytest.raises(Forbidden):
        programme_publish(code="club", actor=people["author"])
    programme = programme_publish(code="club", actor=people["finance"])
    assert programme.version == 1
    assert Submission.objects.get().state == "published" and Submission.objects.get().decided_by == people["finance"]
    assert programme_apply(text=PROGRAMME, actor=people["author"]) == (programme, False)  # same content: nothing waits


def test_a_score_card_change_is_rejected_with_a_reason_and_nothing_changes(people):
    scorecard_apply(text=CARD, actor=None)
    before = ScoreCard.objects.get().document
    changed = CARD.replace("weight: 20", "weight: 15", 1).replace("weight: 10", "weight: 15", 1)
    submitted, _ = scorecard_apply(text=changed, actor=people["admin"])
    assert isinstance(submitted, Submission)
    with pytest.raises(Forbidden) as own:
        scorecard_publish(code="dealer", actor=people["admin"])
    assert own.value.code == "four_eyes"
    with pytest.raises(ValidationFailed):  # a rejection says why
        scorecard_reject(code="dealer", actor=people["controller"], note=" ")
    scorecard_reject(code="dealer", actor=people["controller"], note="keep the weights")
    assert ScoreCard.objects.get().document == before
    assert Submission.objects.get().state == "rejected"


def test_the_approvals_command_lists_and_decides_as_the_named_person(people, capsys):
    catalog()
    version = policy_apply(text=POLICY, actor=people["author"]).version
    call_command("approvals", "list")
    assert f"policy         {version.policy.code} v1  submitted" in capsys.readouterr().out
    with pytest.raises(CommandError) as refused:
        call_command("approvals", "--as-user", "wang", "publish", "policy", version.policy.code, "1")
    assert "your role does not allow this (publish)" in str(refused.value)
    call_command("approvals", "--as-user", "li", "publish", "policy", version.policy.code, "1")
    assert "v1 published" in capsys.readouterr().out


def test_credit_use_and_dispute_adjustments_check_the_right_in_the_service(approved, people):
    from fanli.ledger.models import OrderOffset
    from fanli.rebates.disputes import dispute_adjustment_decide, dispute_adjustment_propose
    from fanli.rebates.models import Dispute
    from fanli.rebates.payouts import rebate_credit_use

    with pytest.raises(Forbidden) as credit:
        rebate_credit_use(customer_id=approved.customer_id, order_reference="SO-1", line_amounts_minor=[10_000],
                          effective_date=date(2026, 4, 10), actor=people["auditor"])
    assert credit.value.details == {"permission": "settle"}
    statement_dispute(statement_id=approved.pk, reason="March is missing", actor=people["service"])
    dispute = Dispute.objects.get()
    with pytest.raises(Forbidden):
        dispute_adjustment_propose(dispute_id=dispute.pk, amount="100", reason="goodwill", actor=people["auditor"])
    dispute_adjustment_propose(dispute_id=dispute.pk, amount="100", reason="goodwill", actor=people["service"])
    with pytest.raises(Forbidden) as decide:  # customer service proposes, but only those who approve decide
        dispute_adjustment_decide(dispute_id=dispute.pk, approve=True, actor=people["author"])
    assert decide.value.details == {"permission": "approve"}
    assert (OrderOffset.objects.count(), Dispute.objects.get().state, Statement.objects.count()) == (0, "proposed", 1)


def test_who_proposed_an_adjustment_cannot_decide_it_even_with_the_right(approved, people):
    from fanli.rebates.disputes import dispute_adjustment_decide, dispute_adjustment_propose
    from fanli.rebates.models import Dispute

    statement_dispute(statement_id=approved.pk, reason="March is missing", actor=people["admin"])
    dispute = Dispute.objects.get()
    dispute_adjustment_propose(dispute_id=dispute.pk, amount="100", reason="goodwill", actor=people["admin"])
    with pytest.raises(StateError) as refused:
        dispute_adjustment_decide(dispute_id=dispute.pk, approve=True, actor=people["admin"])
    assert refused.value.code == "four_eyes"
    decided = dispute_adjustment_decide(dispute_id=dispute.pk, approve=True, actor=people["finance"])
    assert (decided.state, decided.adjustment.amount_minor) == ("resolved", 10_000)


def test_only_an_administrator_manages_logins_and_roles(people):
    from django.contrib.auth import get_user_model

    from fanli.accounts.services import staff_user_role_set

    with pytest.raises(Forbidden) as refused:  # finance may not make themselves (or anyone) an administrator
        staff_user_role_set(username="li", role="administrator", actor=people["finance"])
    assert refused.value.details == {"permission": "users"}
    with pytest.raises(Forbidden):
        staff_user_create(username="ghost", password="pw-123456789", role="finance", actor=people["author"])
    assert not get_user_model().objects.filter(username="ghost").exists()
    staff_user_role_set(username="zhao", role="auditor", actor=people["admin"])
    assert list(people["controller"].groups.values_list("name", flat=True)) == ["auditor"]


def test_a_payout_is_never_dated_in_the_future(approved, people):
    with pytest.raises(ValidationFailed) as ahead:
        payout_record(statement_id=approved.pk, actor=people["controller"], paid_on=date(2026, 5, 2),
                      today=date(2026, 5, 1))
    assert ahead.value.details == {"errors": [{"path": "paid_on", "message": "on or before 2026-05-01"}]}
    assert Payout.objects.count() == 0
    payout_record(statement_id=approved.pk, actor=people["controller"], paid_on=date(2026, 5, 1), today=date(2026, 5, 1))


def test_only_those_who_settle_may_switch_off_the_return_checks_of_an_import(people):
    from fanli.imports.models import ImportBatch
    from fanli.imports.services import import_file

    content = (b"document_number,kind,document_date,customer_code,reverses,line_number,sku,quantity,unit_price,"
               b"net_amount\nR-1,return,2026-05-04,C001,,1,TEA-1,1,120.00,120.00\n")
    catalog()
    customer("C001")
    with pytest.raises(Forbidden) as refused:
        import_file(kind="sales", content=content, filename="r.csv", actor=people["author"],
                    allow_unmatched_returns=True)
    assert refused.value.details == {"permission": "settle"}
    assert not ImportBatch.objects.exists()
    batch = import_file(kind="sales", content=content, filename="r.csv", actor=people["finance"],
                        allow_unmatched_returns=True)
    assert (batch.status, batch.rows_created, batch.unmatched_returns_allowed) == ("done", 1, True)


def test_contract_percents_recorded_discounts_points_and_imports_check_the_right_in_the_service(people):
    from fanli.discounts.services import discount_contract_set, invoice_discounts_record
    from fanli.imports.services import import_file
    from fanli.loyalty.services import member_enrol, points_grant, points_redeem

    auditor = people["auditor"]
    calls = [
        ("policies", lambda: discount_contract_set(customer_code="C001", rule_code="r", percent="5", actor=auditor)),
        ("import", lambda: invoice_discounts_record(invoice_number="INV-1", customer_code="C001", day=date(2026, 5, 1),
                                                   lines=[], actor=auditor)),
        ("crm", lambda: member_enrol(programme_code="club", customer_code="C001", day=date(2026, 5, 1), actor=auditor)),
        ("pay", lambda: points_grant(programme_code="club", customer_code="C001", points=1, reference="G-1",
                                    day=date(2026, 5, 1), reason="goodwill", actor=auditor)),
        ("import", lambda: points_redeem(programme_code="club", customer_code="C001", reference="R-1",
                                        day=date(2026, 5, 1), points=1, actor=auditor)),
    ]
    for permission, call in calls:
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.details == {"permission": permission}
    with pytest.raises(Forbidden) as refused:
        import_file(kind="sales", content=b"x", filename="x.csv", actor=auditor)
    assert refused.value.details == {"permission": "import"}
