"""Discounts through the command line and over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.common.services import api_token_create
from fanli.discounts.models import DiscountUsage
from tests.builders import catalog, customer
from tests.discounts.test_services import LADDER, ONCE


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_apply_quote_and_record_from_the_command_line(tmp_path):
    catalog()
    customer("C001", grade="vip")
    rules = tmp_path / "ladder.yaml"
    rules.write_text(LADDER, encoding="utf-8")
    assert run("discount", "apply", str(rules)) == f"{rules}: grade-ladder v1 published (new version)\n"
    assert run("discount", "contract", "C001", "grade-ladder", "12") == "C001: 12% under grade-ladder\n"
    quoted = run("discount", "quote", "C001", "TEA-1:2", "RICE-1:1:50.00", "--date", "2026-11-20")
    assert quoted.splitlines() == [
        "line 1 TEA-1 x2: ¥240.00 -> ¥211.20",
        "  - grade-ladder: ¥28.80 (12% (contract))",
        "line 2 RICE-1 x1: ¥50.00 -> ¥44.00",
        "  - grade-ladder: ¥6.00 (12% (contract))",
        "total ¥290.00 - ¥34.80 = ¥255.20",
    ]
    assert DiscountUsage.objects.count() == 0
    recorded = run("discount", "record", "INV-9", "C001", "TEA-1:2", "--date", "2026-11-20", "--expect", "21120")
    assert recorded.splitlines()[-1] == "recorded as invoice INV-9"
    assert DiscountUsage.objects.count() == 1
    assert "grade-ladder             v1  invoices 1 / no limit  spent ¥28.80 / no budget" in run("discount", "usage")
    with pytest.raises(CommandError) as failure:
        run("discount", "quote", "C001", "GHOST:1", "TEA-1:-1")
    assert str(failure.value).splitlines() == [
        "the quote has 2 error(s)", "  lines.0.sku: no product with SKU 'GHOST'",
        "  lines.1.quantity: '-1' is not a positive quantity"]


def call(base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     method=method, headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_quote_and_record_over_http(live_server, transactional_db):
    catalog()
    customer("C001", grade="vip")
    till = User.objects.create_user("pos", is_staff=True)
    till.groups.add(Group.objects.get_or_create(name="finance")[0])  # reads and records invoices
    token = api_token_create(user=till, name="till")
    base = f"{live_server.url}/api"
    assert call(base, token, "POST", "/discount-rules", {"document": LADDER})[0] == 403  # a till writes no rules
    manager = User.objects.create_user("manager", is_staff=True)
    manager.groups.add(Group.objects.get_or_create(name="channel_manager")[0])
    rules = api_token_create(user=manager, name="rules")
    for document in (LADDER, ONCE):  # the channel manager writes; finance (another person) publishes
        status, submitted = call(base, rules, "POST", "/discount-rules", {"document": document})
        assert (status, submitted["status"]) == (201, "submitted")
        path = f"/discount-rules/{submitted['rule']}/versions/{submitted['number']}/publish"
        assert call(base, rules, "POST", path)[0] == 403  # no publish right, and it is their own
        status, published = call(base, token, "POST", path)
        assert (status, published["status"]) == (200, "published")
    order = {"customer": "C001", "date": "2026-11-20", "lines": [{"sku": "TEA-1", "quantity": "2"}]}
    status, quote = call(base, token, "POST", "/quotes", order)
    assert status == 200 and (quote["gross_minor"], quote["discount_minor"], quote["net_minor"]) == (24_000, 2_880, 21_120)
    invoice = {**order, "invoice_number": "INV-1", "expected_net_minor": quote["net_minor"]}
    assert call(base, token, "POST", "/discounted-invoices", invoice)[0] == 201
    assert call(base, token, "POST", "/discounted-invoices", invoice)[0] == 200  # replay: nothing new
    status, changed = call(base, token, "POST", "/discounted-invoices", {**invoice, "invoice_number": "INV-2"})
    assert (status, changed["code"]) == (409, "quote_changed")  # the first-order discount is used up
    status, stored = call(base, token, "GET", "/discounted-invoices/INV-1")
    assert status == 200 and stored["discount_minor"] == 2_880
    status, bad = call(base, token, "POST", "/quotes", {"customer": "NOPE", "lines": [{"sku": "TEA-1", "quantity": "x"}]})
    assert status == 422 and [e["path"] for e in bad["details"]["errors"]] == ["customer", "lines.0.quantity"]
    assert DiscountUsage.objects.count() == 2
