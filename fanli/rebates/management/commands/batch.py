"""``fanli batch prepare|list|show|bank-file|paid|remove|cancel``: payment batches from the command line,
through the same services as the Payments page."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.db.models import Count, Sum

from fanli.accounts.selectors import customers_for
from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.money import format_minor, minor_to_major
from fanli.rebates.models import PaymentBatch, Statement
from fanli.rebates.payment_batches import (
    bank_file,
    bank_transfers,
    batch_summary,
    payment_batch_cancel,
    payment_batch_confirm,
    payment_batch_prepare,
    payment_batch_remove,
)

BANK_HEADER = ("payee_account_number", "payee_account_name", "payee_bank", "amount", "currency", "remark",
               "customer_code", "customer_name", "statements")


class Command(FanliCommand):
    help = ("Payment batches: prepare one of approved statements, list, show, write the bank file, record paid, "
            "take statements out, cancel.")

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        prepare = sub.add_parser("prepare", help="a batch of the given statements, or of every approved one matching")
        prepare.add_argument("ids", nargs="*", type=int)
        prepare.add_argument("--period")
        prepare.add_argument("--policy")
        prepare.add_argument("--customer")
        sub.add_parser("list")
        for name in ("show", "bank-file", "paid", "cancel", "remove"):
            action = sub.add_parser(name)
            action.add_argument("reference")
            if name == "remove":
                action.add_argument("ids", nargs="+", type=int, help="the statements to take out")
            if name == "bank-file":
                action.add_argument("--output", help="write the CSV here (default: standard output)")
            if name == "paid":
                action.add_argument("--paid-on", required=True, help="the day the bank paid, YYYY-MM-DD")
            if name in ("cancel", "remove"):
                action.add_argument("--reason", required=True)

    def work(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        action = options["action"]
        if action == "prepare":
            self._prepare(options, actor)
        elif action == "list":
            rows = PaymentBatch.objects.annotate(n=Count("statements"), total=Sum("statements__amount_minor"))
            for row in rows.values("reference", "state", "n", "total", "paid_on"):
                self.out(f"{row['reference']:18} {row['state']:10} {row['n']:>6} {format_minor(row['total'] or 0):>18} "
                         f"{row['paid_on'] or ''}")
        else:
            found = PaymentBatch.objects.filter(reference=options["reference"]).first()
            if found is None:
                raise NotFound(f"no payment batch {options['reference']}")
            batch: PaymentBatch = found
            if action == "show":
                self._show(batch)
            elif action == "bank-file":
                self._bank_file(batch, options.get("output"))
            elif action == "paid":
                batch = payment_batch_confirm(batch_id=batch.pk, paid_on=parse_day(options["paid_on"], name="paid_on"),
                                              actor=actor)
                self.out(f"{batch.reference}: paid on {batch.paid_on}, {batch.statements.count()} statement(s)")
            elif action == "remove":
                batch = payment_batch_remove(batch_id=batch.pk, statement_ids=options["ids"], reason=options["reason"],
                                             actor=actor)
                self.out(f"{batch.reference}: {len(options['ids'])} statement(s) taken out, "
                         f"{batch.statements.count()} left ({batch.state})")
            else:
                batch = payment_batch_cancel(batch_id=batch.pk, reason=options["reason"], actor=actor)
                self.out(f"{batch.reference}: cancelled")

    def _prepare(self, options: dict[str, Any], actor: Any) -> None:
        ids = list(options["ids"])
        if not ids:
            qs = (Statement.objects.filter(state=Statement.State.APPROVED, amount_minor__gt=0,
                                           customer__in=customers_for(actor))
                  .exclude(payment_batch__state=PaymentBatch.State.PREPARED))
            for field, lookup in (("period", "period_key"), ("policy", "policy__code"), ("customer", "customer__code")):
                if options[field]:
                    qs = qs.filter(**{lookup: options[field]})
            ids = list(qs.order_by("id").values_list("id", flat=True))
            if not ids:
                raise ValidationFailed("no approved statement matches: nothing to put into a payment batch",
                                       details={"errors": [{"path": "statements", "message": "none match"}]})
        batch = payment_batch_prepare(statement_ids=ids, actor=actor)
        summary = batch_summary(batch)
        self.out(f"{batch.reference}: {summary.statements} statement(s), {format_minor(summary.amount_minor)} "
                 f"({format_minor(summary.cash_minor)} by bank transfer)")

    def _show(self, batch: PaymentBatch) -> None:
        summary = batch_summary(batch)
        self.out(f"{batch.reference} {batch.state}: {summary.statements} statement(s), "
                 f"{format_minor(summary.amount_minor)}; by bank transfer {format_minor(summary.cash_minor)}")
        for transfer in bank_transfers(batch):
            self.out(f"  {transfer.customer_code:10} {transfer.account_number:>22} {format_minor(transfer.amount_minor):>16}"
                     f"  {transfer.bank_name}")

    def _bank_file(self, batch: PaymentBatch, output: str | None) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(BANK_HEADER)
        for t in bank_file(batch):
            writer.writerow([t.account_number, t.account_name, t.bank_name, f"{minor_to_major(t.amount_minor):.2f}",
                             batch.currency, t.remark, t.customer_code, t.customer_name,
                             " ".join(str(pk) for pk in t.statements)])
        if output:
            Path(output).write_text(buffer.getvalue(), encoding="utf-8")
            self.out(f"{batch.reference}: bank file written to {output}")
        else:
            self.stdout.write(buffer.getvalue(), ending="")
