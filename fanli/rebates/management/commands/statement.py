"""``fanli statement list|approve|dispute|resolve``: the statement lifecycle."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.utils import timezone

from fanli.accounts.selectors import customers_for
from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import ValidationFailed
from fanli.common.money import format_minor, minor_to_major
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
        listing.add_argument("--limit", type=int, default=50, help="rows per page (default 50); 0 lists them all")
        listing.add_argument("--page", type=int, default=1, help="which page of --limit rows (default 1)")
        listing.add_argument("--format", choices=["text", "json", "csv"], default="text",
                             help="text for people (default), json or csv for programs; amounts in fen and yuan")
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
            self._list(options, actor)
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

    def _list(self, options: dict[str, Any], actor: Any) -> None:
        """The statements matching the options, newest first, a page at a time. When the page is
        not the whole list it says so (on standard error for json and csv, so the output stays
        machine-readable): how many were shown of how many, and the option for the next page."""
        limit, page = options["limit"], options["page"]
        if limit < 0 or page < 1:
            raise ValidationFailed("--limit is 0 (all) or more, --page 1 or more",
                                   details={"errors": [{"path": "limit", "message": "not negative"}]})
        qs = Statement.objects.filter(customer__in=customers_for(actor)).select_related("policy", "customer")
        qs = qs.order_by("-id")
        for field, lookup in (("period", "period_key"), ("policy", "policy__code"), ("customer", "customer__code"),
                              ("state", "state")):
            if options[field]:
                qs = qs.filter(**{lookup: options[field]})
        today = timezone.localdate()
        if options["overdue"]:
            qs = qs.filter(statements_overdue(today))
        total = qs.count()
        start = (page - 1) * limit if limit else 0
        rows = list(qs[start:start + limit] if limit else qs)
        shown = f"{len(rows):,} of {total:,} statement(s) shown"
        cut = len(rows) < total
        more = f"; the next {limit:,}: --page {page + 1}" if limit and start + len(rows) < total else ""
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(json.dumps([_row(s, today) for s in rows], ensure_ascii=False, indent=2))
        elif fmt == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(_row(s, today) for s in rows)
            self.stdout.write(buffer.getvalue(), ending="")
        else:
            for s in rows:
                late = "  OVERDUE" if s.state in UNPAID and s.due_date < today else ""
                self.out(f"{s.pk:>7} {s.policy.code:20} {s.period_key:8} {s.customer.code:10} #{s.sequence} "
                         f"{s.kind:10} {format_minor(s.amount_minor):>16} {s.state:9} due {s.due_date}{late}")
            if cut:
                self.out(f"{shown}{more}")
            return
        if cut:
            self.stderr.write(f"{shown}{more}")


CSV_FIELDS = ("id", "policy", "period", "customer", "customer_name", "sequence", "kind", "amount_minor", "amount",
              "currency", "state", "due_date", "overdue")


def _row(s: Statement, today: Any) -> dict[str, Any]:
    return {"id": s.pk, "policy": s.policy.code, "period": s.period_key, "customer": s.customer.code,
            "customer_name": s.customer.name, "sequence": s.sequence, "kind": s.kind, "amount_minor": s.amount_minor,
            "amount": f"{minor_to_major(s.amount_minor):.2f}", "currency": s.currency, "state": s.state,
            "due_date": s.due_date.isoformat(), "overdue": s.state in UNPAID and s.due_date < today}
