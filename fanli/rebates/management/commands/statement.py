"""``fanli statement list|approve|dispute|resolve``: the statement lifecycle."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand, parse_day
from fanli.common.money import format_minor
from fanli.rebates.models import Statement
from fanli.rebates.selectors import UNPAID, statements_overdue
from fanli.rebates.services import statement_approve, statement_dispute, statement_resolve


class Command(FanliCommand):
    help = "List statements, approve, dispute (with a reason) or resolve a dispute."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list")
        listing.add_argument("--period")
        listing.add_argument("--policy")
        listing.add_argument("--customer")
        listing.add_argument("--state", choices=[s.value for s in Statement.State])
        listing.add_argument("--overdue", action="store_true", help="only unpaid statements past their due date")
        listing.add_argument("--limit", type=int, default=50)
        for name in ("approve", "dispute", "resolve"):
            p = sub.add_parser(name)
            p.add_argument("ids", nargs="+", type=int)
            if name != "approve":
                p.add_argument("--reason", required=True)
            else:
                p.add_argument("--on", help="business date of the approval, YYYY-MM-DD (default today)")

    def work(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        action = options["action"]
        if action == "list":
            self._list(options)
            return
        for statement_id in options["ids"]:
            if action == "approve":
                statement = statement_approve(statement_id=statement_id, actor=actor,
                                              on=parse_day(options["on"], name="on") if options.get("on") else None)
            elif action == "dispute":
                statement = statement_dispute(statement_id=statement_id, reason=options["reason"], actor=actor)
            else:
                statement = statement_resolve(statement_id=statement_id, resolution=options["reason"], actor=actor)
            self.out(f"statement {statement.pk}: {statement.state}")

    def _list(self, options: dict[str, Any]) -> None:
        qs = Statement.objects.select_related("policy", "customer").order_by("-id")
        for field, lookup in (("period", "period_key"), ("policy", "policy__code"), ("customer", "customer__code"),
                              ("state", "state")):
            if options[field]:
                qs = qs.filter(**{lookup: options[field]})
        today = timezone.localdate()
        if options["overdue"]:
            qs = qs.filter(statements_overdue(today))
        for s in qs[: options["limit"]]:
            late = "  OVERDUE" if s.state in UNPAID and s.due_date < today else ""
            self.out(f"{s.pk:>7} {s.policy.code:20} {s.period_key:8} {s.customer.code:10} #{s.sequence} {s.kind:10} "
                     f"{format_minor(s.amount_minor):>16} {s.state:9} due {s.due_date}{late}")
