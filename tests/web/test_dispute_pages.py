"""Dispute pages: the thread on both sides, proposals, four-eyes approval, and who may do what."""

from __future__ import annotations

import pytest

from fanli.rebates.models import Dispute, DisputeMessage, Statement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("issued")]  # customers dispute issued statements


def open_dispute(client, world) -> Dispute:
    client.force_login(world["users"]["portal"])
    client.post(f"/portal/statements/{world['acme_statement'].pk}/dispute/", {"reason": "March invoices missing"})
    return Dispute.objects.get()


def test_customer_and_staff_talk_staff_propose_finance_approves_and_the_customer_sees_the_outcome(client, world):
    dispute = open_dispute(client, world)
    statement = world["acme_statement"]
    client.post(f"/portal/statements/{statement.pk}/dispute/message/", {"body": "invoice IN-77 is ours"})
    client.force_login(world["users"]["customer_service"])
    client.post(f"/office/disputes/{dispute.pk}/message/", {"body": "asking the warehouse", "internal": "on"})
    client.post(f"/office/disputes/{dispute.pk}/message/", {"body": "we are checking IN-77"})
    client.post(f"/office/disputes/{dispute.pk}/propose/", {"amount": "500", "reason": "IN-77 was counted late"})
    assert client.post(f"/office/disputes/{dispute.pk}/decide/", {"decision": "approve"}).status_code == 403
    staff_page = client.get(f"/office/disputes/{dispute.pk}/").content.decode()
    assert "asking the warehouse" in staff_page and 'id="proposal-amount">¥500.00<' in staff_page

    client.force_login(world["users"]["finance"])
    client.post(f"/office/disputes/{dispute.pk}/decide/", {"decision": "approve", "note": "ok"})
    dispute.refresh_from_db()
    manual = Statement.objects.get(kind="manual")
    assert (dispute.state, dispute.outcome, dispute.adjustment_id, manual.amount_minor) == (
        "resolved", "adjusted", manual.pk, 50_000)

    client.force_login(world["users"]["portal"])
    portal = client.get(f"/portal/statements/{statement.pk}/").content.decode()
    assert "invoice IN-77 is ours" in portal and "we are checking IN-77" in portal
    assert "asking the warehouse" not in portal  # internal notes stay inside
    assert "已入账调整 ¥500.00" in portal and f'href="/portal/statements/{manual.pk}/"' in portal
    assert client.get(f"/portal/statements/{manual.pk}/").status_code == 200


def test_the_proposer_cannot_approve_even_with_approval_rights(client, world):
    dispute = open_dispute(client, world)
    client.force_login(world["users"]["administrator"])
    client.post(f"/office/disputes/{dispute.pk}/propose/", {"amount": "80", "reason": "rounding"})
    response = client.post(f"/office/disputes/{dispute.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "the person who proposed an adjustment cannot approve or reject it" in response.content.decode()
    assert not Statement.objects.filter(kind="manual").exists()


def test_a_customer_never_writes_in_another_customers_dispute(client, world):
    dispute = open_dispute(client, world)
    client.force_login(world["users"]["portal_other"])
    response = client.post(f"/portal/statements/{world['acme_statement'].pk}/dispute/message/", {"body": "hello"})
    assert response.status_code == 404
    assert DisputeMessage.objects.filter(dispute=dispute).count() == 1


@pytest.mark.parametrize("role", ["administrator", "channel_manager", "finance", "customer_service", "auditor"])
def test_staff_read_disputes_of_customers_they_may_see_and_only_dispute_roles_write(client, world, role):
    dispute = open_dispute(client, world)
    client.force_login(world["users"][role])
    assert client.get("/office/disputes/").status_code == 200
    assert client.get(f"/office/disputes/{dispute.pk}/").status_code == 200  # C001 is the channel manager's
    writes = client.post(f"/office/disputes/{dispute.pk}/message/", {"body": "noted"})
    assert writes.status_code == (302 if role in {"administrator", "finance", "customer_service"} else 403)


def test_a_channel_manager_gets_404_for_a_dispute_of_a_customer_they_do_not_own(client, world):
    client.force_login(world["users"]["portal_other"])
    client.post(f"/portal/statements/{world['other_statement'].pk}/dispute/", {"reason": "too low"})
    dispute = Dispute.objects.get()
    client.force_login(world["users"]["channel_manager"])
    assert client.get(f"/office/disputes/{dispute.pk}/").status_code == 404
    assert f'data-dispute="{dispute.pk}"' not in client.get("/office/disputes/").content.decode()


def test_strangers_and_customers_never_reach_the_office_dispute_pages(client, world):
    dispute = open_dispute(client, world)
    client.logout()
    assert client.get(f"/office/disputes/{dispute.pk}/").status_code == 302
    client.force_login(world["users"]["portal"])
    assert client.get("/office/disputes/").status_code == 403
    assert client.post(f"/office/disputes/{dispute.pk}/propose/", {"amount": "1", "reason": "x"}).status_code == 403
