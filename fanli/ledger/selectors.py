"""Ledger reads: balances per account (and customer), and the books' self-checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from .models import Account, CreditLot, CreditUse, LedgerEntry

# Liability and income-like accounts grow with credits; the others with debits.
CREDIT_NORMAL = {Account.ACCRUED_REBATES, Account.REBATES_PAYABLE, Account.REBATE_ACCOUNT,
                 Account.POINTS_LIABILITY, Account.CASH}


def account_balances(*, customer_id: int | None = None, **filters: Any) -> dict[str, int]:
    """Balance of each account, in its normal direction (liabilities positive)."""
    qs = LedgerEntry.objects.all()
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if filters:
        qs = qs.filter(**filters)
    balances: dict[str, int] = defaultdict(int)
    for row in qs.values("debit_account").annotate(total=Sum("amount_minor")):
        balances[row["debit_account"]] += row["total"]
    for credit_row in qs.values("credit_account").annotate(total=Sum("amount_minor")):
        balances[credit_row["credit_account"]] -= credit_row["total"]
    return {
        account: (-value if account in CREDIT_NORMAL else value) for account, value in balances.items()
    }


def customer_balances(customer_id: int) -> dict[str, int]:
    """What a customer has: rebate-account credit, payable not yet paid, paid out by form."""
    return customers_balances([customer_id])


def customers_balances(customer_ids: list[int]) -> dict[str, int]:
    """``customer_balances`` summed over several customers (a group head and its branches)."""
    b = account_balances(customer_id__in=customer_ids)
    paid = LedgerEntry.objects.filter(customer_id__in=customer_ids, kind="payout", debit_account=Account.REBATES_PAYABLE)
    by_form = {row["credit_account"]: row["total"] for row in paid.values("credit_account").annotate(total=Sum("amount_minor"))}
    today = timezone.localdate()
    return {
        "rebate_account_minor": b.get(Account.REBATE_ACCOUNT, 0),
        "credit_available_minor": sum(credit_available_minor(pk, on=today) for pk in customer_ids),
        "payable_minor": b.get(Account.REBATES_PAYABLE, 0),
        "accrued_minor": b.get(Account.ACCRUED_REBATES, 0),
        "paid_cash_minor": by_form.get(Account.CASH, 0),
        "paid_goods_minor": by_form.get(Account.GOODS_ISSUED, 0),
        "paid_points_minor": by_form.get(Account.POINTS_LIABILITY, 0),
        "credited_minor": by_form.get(Account.REBATE_ACCOUNT, 0),
    }


def balances_by_customer(customer_ids: Collection[int], accounts: Collection[str]) -> dict[int, dict[str, int]]:
    """Per customer, the balance of each of ``accounts`` in its normal direction: two grouped
    queries whatever the number of customers (a page of the customer list)."""
    found: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    entries = LedgerEntry.objects.filter(customer_id__in=list(customer_ids))
    for side, sign in (("debit_account", 1), ("credit_account", -1)):
        rows = (entries.filter(**{f"{side}__in": list(accounts)}).values("customer_id", side)
                .annotate(total=Sum("amount_minor")).order_by())
        for row in rows:
            account = row[side]
            value = sign * row["total"]
            found[row["customer_id"]][account] += -value if account in CREDIT_NORMAL else value
    return {customer: dict(balances) for customer, balances in found.items()}


def balance_between(*, account: str, keys: Q) -> int:
    """Credit-normal balance of ``account`` over the entries matching ``keys``."""
    qs = LedgerEntry.objects.filter(keys)
    credit = qs.filter(credit_account=account).aggregate(s=Sum("amount_minor"))["s"] or 0
    debit = qs.filter(debit_account=account).aggregate(s=Sum("amount_minor"))["s"] or 0
    return credit - debit


def accrued_by_customer(*, policy_id: int, period_key: str, customer_ids: Collection[int] | None = None) -> dict[int, int]:
    """Accrued (estimated, not yet released) rebate per customer for one policy and period."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, SUM(CASE WHEN credit_account = %s THEN amount_minor ELSE -amount_minor END) "
            "FROM ledger_ledgerentry WHERE policy_id = %s AND period_key = %s "
            "AND (credit_account = %s OR debit_account = %s) GROUP BY customer_id",
            [Account.ACCRUED_REBATES, policy_id, period_key, Account.ACCRUED_REBATES, Account.ACCRUED_REBATES],
        )
        rows = {int(c): int(s) for c, s in cursor.fetchall() if c is not None}
    if customer_ids is not None:
        rows = {c: s for c, s in rows.items() if c in customer_ids}
    return rows


def trial_balance() -> dict[str, int]:
    """Debits minus credits per account over the whole ledger; the values add up to zero."""
    totals: dict[str, int] = defaultdict(int)
    for row in LedgerEntry.objects.values("debit_account").annotate(total=Sum("amount_minor")):
        totals[row["debit_account"]] += row["total"]
    for credit_row in LedgerEntry.objects.values("credit_account").annotate(total=Sum("amount_minor")):
        totals[credit_row["credit_account"]] -= credit_row["total"]
    return dict(totals)


def ledger_check() -> dict[str, Any]:
    """Prove the books: every account adds up to zero, every statement's amount is booked as
    payable exactly once, every payout pays exactly its statement, no credit balance is negative."""
    statement_model = LedgerEntry._meta.get_field("statement").related_model  # the ledger's own reference
    assert statement_model is not None and not isinstance(statement_model, str)
    problems: list[str] = []
    balances = trial_balance()
    if sum(balances.values()) != 0:
        problems.append(f"debits and credits differ by {sum(balances.values())}")
    booked = _net_by_statement("settlement", Account.REBATES_PAYABLE)
    paid = _net_by_statement("payout", Account.REBATES_PAYABLE, sign=-1)
    statements = statement_model._default_manager.values_list("id", "amount_minor", "state")
    for statement_id, amount, state in statements.iterator(chunk_size=5000):
        if booked.get(statement_id, 0) != amount:
            problems.append(f"statement {statement_id}: amount {amount} but {booked.get(statement_id, 0)} booked as payable")
        expected_paid = amount if state == "paid" else 0
        if paid.get(statement_id, 0) != expected_paid:
            problems.append(f"statement {statement_id} ({state}): {paid.get(statement_id, 0)} paid, expected {expected_paid}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, SUM(CASE WHEN credit_account = %s THEN amount_minor ELSE -amount_minor END) "
            "FROM ledger_ledgerentry WHERE credit_account = %s OR debit_account = %s GROUP BY customer_id",
            [Account.REBATE_ACCOUNT] * 3,
        )
        for customer_id, balance in cursor.fetchall():
            if balance < 0:
                problems.append(f"customer {customer_id}: rebate credit is negative ({balance})")
            in_lots = sum(lot_remaining(list(CreditLot.objects.filter(customer_id=customer_id)
                                              .values_list("id", flat=True))).values())
            if in_lots != balance:
                problems.append(f"customer {customer_id}: rebate account {balance} but credit lots hold {in_lots}")
    return {
        "balanced": not problems,
        "entries": LedgerEntry.objects.count(),
        "statements": len(statements),
        "trial_balance": balances,
        "problems": problems,
    }


def _net_by_statement(kind: str, account: str, *, sign: int = 1) -> dict[int, int]:
    """Per statement, entries of ``kind`` crediting ``account`` minus those debiting it (times sign)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement_id, SUM(CASE WHEN credit_account = %s THEN amount_minor ELSE -amount_minor END) "
            "FROM ledger_ledgerentry WHERE kind = %s AND statement_id IS NOT NULL "
            "AND (credit_account = %s OR debit_account = %s) GROUP BY statement_id",
            [account, kind, account, account],
        )
        return {int(s): sign * int(v) for s, v in cursor.fetchall()}


def lot_remaining(lot_ids: list[int]) -> dict[int, int]:
    used = dict(
        CreditUse.objects.filter(lot_id__in=lot_ids).values("lot_id").annotate(total=Sum("amount_minor"))
        .values_list("lot_id", "total")
    )
    amounts = dict(CreditLot.objects.filter(pk__in=lot_ids).values_list("id", "amount_minor"))
    return {lot_id: amounts[lot_id] - used.get(lot_id, 0) for lot_id in lot_ids}


def credit_available_minor(customer_id: int, *, on: date) -> int:
    """Credit usable on ``on``: what is left of the lots that have not expired by then."""
    lot, use = CreditLot._meta.db_table, CreditUse._meta.db_table  # one statement: quotes offer it on every call
    live = "l.customer_id = %s AND (l.expires_on IS NULL OR l.expires_on >= %s)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT COALESCE(SUM(l.amount_minor), 0) FROM {lot} l WHERE {live}) - "
                       f"(SELECT COALESCE(SUM(u.amount_minor), 0) FROM {use} u JOIN {lot} l ON l.id = u.lot_id "
                       f"WHERE {live})", [customer_id, on, customer_id, on])
        return int(cursor.fetchone()[0])
