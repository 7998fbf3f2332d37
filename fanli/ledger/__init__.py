"""The rebate ledger: append-only, balanced by construction.

Design: every ``LedgerEntry`` moves one positive integer amount from a debit account to a credit
account, so each row balances on its own; nothing is ever updated or deleted, and mistakes are
undone by a reversing entry that names the entry it reverses and a reason code. Each entry has a
unique ``idempotency_key`` derived from what caused it (the statement, the payout, the accrual
month), so a replayed run cannot post twice — the database refuses it.

Accounts (see ``Account``) follow the life of a rebate:

    accrual        rebate_expense  -> accrued_rebates      (estimate during the period)
    settlement     accrued_rebates -> rebate_expense        (release the estimate)
                   rebate_expense  -> rebates_payable       (the settled statement)
    payout         rebates_payable -> rebate_account | cash | goods_issued | points_liability
    order offset   rebate_account  -> receivables           (credit used against an order)
"""
