"""``fanli notices send|list``: send the notices to customers that are due now, or show the log."""

from __future__ import annotations

from typing import Any

from fanli.common.command import FanliCommand
from fanli.common.exceptions import ValidationFailed
from fanli.notices.models import Delivery
from fanli.notices.selectors import deliveries
from fanli.notices.services import deliveries_send


class Command(FanliCommand):
    help = "Send notices to customers that are due (new or to retry), or list what was sent to whom."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("send", help="send every e-mail that is due now")
        listing = sub.add_parser("list", help="the latest e-mails, newest first")
        listing.add_argument("--state", choices=Delivery.State.values)
        listing.add_argument("--limit", type=int, default=50)

    def work(self, *args: Any, **options: Any) -> None:
        if options["action"] == "send":
            result = deliveries_send()
            self.out(f"{result['sent']} sent, {result['failed']} failed")
            return
        if options["limit"] < 1:
            raise ValidationFailed("--limit must be at least 1")
        found = deliveries(state=options.get("state") or "").order_by("-notice__created_at", "-id")
        for d in found[:options["limit"]]:
            when = (d.sent_at or d.next_attempt_at).strftime("%Y-%m-%d %H:%M")
            self.out(f"{when}  {d.state:8} {d.notice.customer.code:10} {d.notice.key:24} {d.address} ({d.language})"
                     + (f"  {d.attempts} attempt(s): {d.last_error}" if d.last_error else ""))
        self.out(f"{found.count()} e-mail(s)")
