"""``fanli ledger check | balances``: prove the books balance."""

from __future__ import annotations

from typing import Any

from fanli.common.command import FanliCommand
from fanli.common.money import format_minor
from fanli.ledger.selectors import account_balances, ledger_check


class Command(FanliCommand):
    help = "check: the books balance and match the statements and payouts (exit 1 if not); balances: per account."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("action", choices=["check", "balances"])

    def work(self, *args: Any, **options: Any) -> None:
        if options["action"] == "balances":
            for account, balance in sorted(account_balances().items()):
                self.out(f"{account:20} {format_minor(balance):>20}")
            return
        report = ledger_check()
        self.out(f"{report['entries']} entries, {report['statements']} statements")
        for account, total in sorted(report["trial_balance"].items()):
            self.out(f"  {account:20} debit-credit {format_minor(total):>20}")
        if report["balanced"]:
            self.out("the ledger balances and matches every statement and payout")
            return
        for problem in report["problems"]:
            self.stderr.write(f"  {problem}")
        raise SystemExit(1)
