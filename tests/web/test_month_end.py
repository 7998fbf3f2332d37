"""Month end on the statement list: filters kept through actions and exports, every matching
draft approved at once after a confirmation naming their count and total, a statement's history,
and the dashboard's "due next" leading with what is overdue."""

from __future__ import annotations

import re
from datetime import date

from django.contrib.messages import get_messages

from fanli.rebates.models import Statement
from fanli.rebates.payouts import payout_record
from fanli.rebates.services import settlement_run, statement_approve
from tests.builders import customer, invoice

HTMX = {"HTTP_HX_REQUEST": "true"}


def _ids(page: str) -> set[int]:
    return {s.pk for s in Statement.objects.all() if f'href="/office/statements/{s.pk}/"' in page}


def test_the_export_link_follows_the_filters_when_the_rows_are_swapped(client, world):
    client.force_login(world["users"]["finance"])
    rows = client.get("/office/statements/", {"policy": "dist-q", "max": "1000", "page": "1"}, **HTMX).content.decode()
    assert 'id="export-xlsx" href="/office/statements/export.xlsx?policy=dist-q&amp;max=1000"' in rows
    assert re.findall(r"\d+", rows.split('<span id="matching-count">')[1].split("</span>")[0]) == ["1"]
    beside = rows.split('<span id="all-matching-text" hx-swap-oob="true">')[1].split("</span>")[0]
    assert "¥900.00" in beside and re.findall(r"\d+", beside.replace("¥900.00", "")) == ["1"]
    unfiltered = client.get("/office/statements/", **HTMX).content.decode()
    assert 'id="export-xlsx" href="/office/statements/export.xlsx"' in unfiltered


def test_approving_the_ticked_statements_keeps_the_filters(client, world):
    client.force_login(world["users"]["finance"])
    other, acme = world["other_statement"], world["acme_statement"]
    response = client.post("/office/statements/approve/", {"ids": [other.pk], "policy": "dist-q", "max": "1000",
                                                            "page": "3"})
    assert response.status_code == 302 and response["Location"] == "/office/statements/?policy=dist-q&max=1000"
    assert Statement.objects.get(pk=other.pk).state == "approved"
    assert Statement.objects.get(pk=acme.pk).state == "draft"


def test_every_matching_draft_is_approved_after_a_confirmation_with_its_count_and_total(client, world):
    client.force_login(world["users"]["finance"])
    other, acme = world["other_statement"], world["acme_statement"]
    asked = client.post("/office/statements/approve/", {"all_matching": "1", "max": "1000"})
    page = asked.content.decode()
    assert asked.status_code == 200 and 'id="approve-confirm"' in page
    assert "¥900.00" in page and 'name="expected_count" value="1"' in page
    assert 'name="expected_total" value="90000"' in page
    assert Statement.objects.filter(state="approved").count() == 0  # asking approves nothing

    done = client.post("/office/statements/approve/", {"all_matching": "1", "confirmed": "1", "max": "1000",
                                                       "expected_count": "1", "expected_total": "90000"})
    assert done["Location"] == "/office/statements/?max=1000"
    assert Statement.objects.get(pk=other.pk).state == "approved"
    assert Statement.objects.get(pk=acme.pk).state == "draft"


def test_a_confirmation_that_no_longer_matches_approves_nothing(client, world):
    client.force_login(world["users"]["finance"])
    response = client.post("/office/statements/approve/", {"all_matching": "1", "confirmed": "1",
                                                           "expected_count": "1", "expected_total": "90000"})
    assert response["Location"] == "/office/statements/"
    assert Statement.objects.filter(state="approved").count() == 0
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert len(said) == 1 and "2" in said[0]


def test_who_may_not_approve_cannot_approve_all_matching(client, world):
    client.force_login(world["users"]["channel_manager"])
    response = client.post("/office/statements/approve/", {"all_matching": "1", "confirmed": "1",
                                                           "expected_count": "2", "expected_total": "394000"})
    assert response.status_code == 403
    assert not Statement.objects.filter(state="approved").exists()


def test_all_matching_reaches_beyond_the_first_page(client, world):
    for number in range(3, 63):
        invoice(customer(f"C{number:03d}"), date(2026, 3, 1), ("TEA-1", str(1000 + number)))
    settlement_run(period_key="2026-Q1", actor=None, today=date(2026, 4, 3))
    drafts = Statement.objects.filter(state="draft")
    count, total = drafts.count(), sum(drafts.values_list("amount_minor", flat=True))
    assert count == 62
    client.force_login(world["users"]["finance"])
    listed = client.get("/office/statements/").content.decode()
    assert len(_ids(listed)) == 50 and 'name="all_matching"' in listed
    client.post("/office/statements/approve/", {"all_matching": "1", "confirmed": "1", "expected_count": str(count),
                                                "expected_total": str(total)})
    assert Statement.objects.filter(state="approved").count() == 62
    assert not Statement.objects.filter(state="draft").exists()


def test_a_statement_page_tells_its_whole_life(client, world):
    acme = world["acme_statement"]
    statement_approve(statement_id=acme.pk, actor=world["users"]["finance"], today=date(2026, 4, 5))
    payout_record(statement_id=acme.pk, actor=world["users"]["administrator"], paid_on=date(2026, 4, 20),
                  reference="BANK-7781", today=date(2026, 4, 20))
    client.force_login(world["users"]["auditor"])
    page = client.get(f"/office/statements/{acme.pk}/").content.decode()
    life = page.split('id="statement-life"')[1].split("</section>")[0]
    rows = life.split("<tr>")[2:]
    assert len(rows) == 3
    assert "2026-04-05" in rows[1] and "finance" in rows[1]
    assert "2026-04-20" in rows[2] and "administrator" in rows[2] and "BANK-7781" in rows[2]


def test_due_next_leads_with_what_is_overdue(client, world):
    client.force_login(world["users"]["finance"])
    page = client.get("/office/").content.decode()
    assert 'id="due-overdue"' in page and "¥3,940.00" in page and "/office/statements/?overdue=1" in page
    due = page.split('id="due-next"')[1].split("</table>")[0]
    assert f'/office/statements/{world["acme_statement"].pk}/' in due
    assert f'/office/statements/{world["other_statement"].pk}/' in due
