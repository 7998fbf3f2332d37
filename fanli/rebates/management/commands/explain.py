"""``fanli explain STATEMENT [--json] [--lines N]``: why a statement is that amount."""

from __future__ import annotations

from typing import Any

from fanli.common.command import FanliCommand
from fanli.common.exceptions import NotFound
from fanli.common.money import format_minor
from fanli.rebates.explain import explanation_text
from fanli.rebates.models import Statement
from fanli.rebates.selectors import statement_lines


class Command(FanliCommand):
    help = "Explain a statement or adjustment: lines counted and excluded, tiers, campaigns, caps, rounding."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("statement", type=int)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--lines", type=int, default=20, help="sales lines to list (default 20)")

    def work(self, *args: Any, **options: Any) -> None:
        statement = Statement.objects.select_related("policy_version").filter(pk=options["statement"]).first()
        if statement is None:
            raise NotFound(f"no statement {options['statement']}")
        lines = statement_lines(statement, limit=options["lines"])
        if options["json"]:
            self.out_json({"statement": statement.pk, "explanation": statement.explanation, "lines": lines})
            return
        self.out(f"Statement {statement.pk} ({statement.kind} #{statement.sequence}, {statement.state}, due {statement.due_date})")
        self.out(explanation_text(statement.explanation, currency=statement.currency))
        self.out(f"Sales lines ({lines['total_lines']}):")
        for reason, total in lines["by_reason"].items():
            self.out(f"  {reason}: {total['lines']} line(s), {format_minor(total['amount_minor'])}")
        for line in lines["lines"]:
            mark = "counted " if line["counted"] else "excluded"
            self.out(f"  {mark} {line['document']} {line['date']} #{line['line']} {line['sku']} x{line['quantity']} "
                     f"{format_minor(line['net_amount_minor'])}" + ("" if line["counted"] else f"  ({line['reason']})"))
        if lines["truncated"]:
            self.out(f"  ... {lines['total_lines'] - len(lines['lines'])} more (use --lines or --json)")
