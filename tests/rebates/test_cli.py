"""The ``fanli`` commands: the same services, readable output, clear errors and exit codes."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.rebates.models import PolicyVersion, Statement
from tests.builders import catalog, customer, invoice

pytestmark = pytest.mark.django_db

GOOD = """\
code: dist-q
name: Distributor quarterly
valid_from: 2026-01-01
settlement: {period: quarter, due_days: 30}
calculation:
  type: tiers
  mode: retroactive
  tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2}, {from: 300000, rate_percent: 3}]
"""


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_policy_file_with_wrong_types_is_refused_listing_every_error_and_stores_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("period: quarter", "period: weekly").replace("rate_percent: 2", "rate_percent: two")
                   + "payout: {form: goods}\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        run("policy", "apply", str(bad))
    message = str(refused.value)
    assert message.startswith(f"{bad}: the policy document has 3 error(s)")
    assert "settlement.period: Input should be 'month', 'quarter', 'half_year' or 'year'" in message
    assert "calculation.tiers.1.rate_percent: Input should be a valid decimal" in message
    assert "payout: goods payout needs goods_sku" in message
    assert refused.value.returncode == 2
    assert PolicyVersion.objects.count() == 0


def test_a_file_that_is_not_yaml_is_refused_clearly(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid YAML or JSON"):
        run("policy", "apply", str(broken))


def test_apply_settle_explain_progress_reconcile_and_check_from_the_command_line(tmp_path):
    catalog()
    path = tmp_path / "dist.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert run("policy", "apply", str(path)).strip() == f"{path}: dist-q v1 published (new version)"
    assert run("policy", "apply", str(path)).strip() == f"{path}: dist-q v1 published (unchanged)"
    buyer = customer("C001")
    invoice(buyer, date(2026, 1, 10), ("TEA-1", "200000"), ("COLA-1", "150000"))
    progress = run("progress", "C001", "--date", "2026-02-15")
    assert "dist-q 2026-Q1: amount 350000, tier 3; earned ¥10,500.00" in progress
    settled = run("settle", "2026-Q1", "--today", "2026-04-01")
    assert settled.splitlines()[1].strip() == "dist-q: 1 settlement; ¥10,500.00"
    assert "nothing new to settle" in run("settle", "2026-Q1", "--today", "2026-04-01")
    statement = Statement.objects.get()
    text = run("explain", str(statement.pk))
    assert "tier 3: from ¥300,000.00: 3%  <- applied" in text
    assert "This statement: ¥10,500.00" in text
    assert "counted: 2 line(s), ¥350,000.00" in text
    assert run("reconcile").strip() == "every settled figure matches the raw data"
    assert "the ledger balances" in run("ledger", "check")
    run("statement", "approve", str(statement.pk), "--on", "2026-04-02")
    assert "paid ¥10,500.00 as rebate_account" in run("payout", str(statement.pk), "--paid-on", "2026-04-05")
    assert run("credit", "balance", "C001").splitlines()[0].split() == ["rebate_account", "¥10,500.00"]


def test_unknown_objects_and_bad_dates_are_errors_not_tracebacks():
    with pytest.raises(CommandError, match="no customer NOPE"):
        run("progress", "NOPE")
    with pytest.raises(CommandError, match="today '2026-13-01' is not a date"):
        run("settle", "2026-Q1", "--today", "2026-13-01")
    with pytest.raises(CommandError, match="no statement 999"):
        run("explain", "999")


def test_unpaid_statements_past_their_due_date_are_flagged_overdue(tmp_path):
    catalog()
    path = tmp_path / "dist.yaml"
    path.write_text(GOOD, encoding="utf-8")
    run("policy", "apply", str(path))
    invoice(customer("C001"), date(2026, 1, 10), ("TEA-1", "1000"))
    run("settle", "2026-Q1", "--today", "2026-04-01")
    listing = run("statement", "list", "--overdue")
    # due 2026-04-30, and the real today is later than that
    assert listing.rstrip().endswith("OVERDUE")
    statement = Statement.objects.get()
    run("statement", "approve", str(statement.pk), "--on", "2026-05-01")
    run("payout", str(statement.pk), "--paid-on", "2026-05-05")
    assert run("statement", "list", "--overdue") == ""


def _statements(count: int, tmp_path) -> None:
    catalog()
    path = tmp_path / "dist.yaml"
    path.write_text(GOOD, encoding="utf-8")
    run("policy", "apply", str(path))
    for number in range(count):
        invoice(customer(f"C{number:03d}"), date(2026, 1, 10), ("TEA-1", str(1000 + number)))
    run("settle", "2026-Q1", "--today", "2026-04-01")


def test_a_statement_list_says_when_it_is_cut_and_how_to_see_the_rest(tmp_path):
    _statements(7, tmp_path)
    first = run("statement", "list", "--limit", "3").splitlines()
    assert len(first) == 4 and first[-1] == "3 of 7 statement(s) shown; the next 3: --page 2"
    last = run("statement", "list", "--limit", "3", "--page", "3").splitlines()
    assert len(last) == 2 and last[-1] == "1 of 7 statement(s) shown"
    whole = run("statement", "list", "--limit", "0").splitlines()
    assert len(whole) == 7  # nothing cut: no note


def test_a_statement_list_for_programs_is_json_or_csv_with_exact_amounts_and_the_note_on_stderr(tmp_path):
    import csv
    import json

    _statements(3, tmp_path)
    out, err = io.StringIO(), io.StringIO()
    call_command("statement", "list", "--format", "json", "--limit", "2", stdout=out, stderr=err)
    rows = json.loads(out.getvalue())
    assert [row["customer"] for row in rows] == ["C002", "C001"]
    assert (rows[0]["amount_minor"], rows[0]["amount"], rows[0]["state"]) == (1002, "10.02", "draft")
    assert err.getvalue().strip() == "2 of 3 statement(s) shown; the next 2: --page 2"
    table = list(csv.DictReader(io.StringIO(run("statement", "list", "--format", "csv"))))
    assert [row["customer"] for row in table] == ["C002", "C001", "C000"]
    assert table[2]["amount"] == "10.00" and table[2]["customer_name"] == "C000 商贸有限公司"


def test_fanli_help_lists_fanlis_commands_with_a_line_each_and_not_djangos(capsys):
    from fanli.cli import main

    main(["--help"])
    text = capsys.readouterr().out
    assert "  settle       Settle a period (2026-Q1, 2026, 2026-H1, 2026-03)" in text
    assert "  statement    List statements, approve, dispute" in text
    assert "flush" not in text and "migrate" in text  # only named as Django's, under fanli django
    main(["django"])
    djangos = capsys.readouterr().out
    assert "  migrate" in djangos and "flush" not in djangos
