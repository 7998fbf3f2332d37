"""``fanli scorecard apply FILE | compute [--date D] | show CODE [--top N] | rate CARD CUSTOMER CRITERION SCORE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from fanli.accounts.models import Submission
from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.customers.models import DealerScore, ScoreCard
from fanli.customers.services import rating_set, scorecard_apply, scorecards_compute


class Command(FanliCommand):
    help = "Dealer score cards (经销商评分卡): criteria and weights from a file, scores computed nightly."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("apply", help="create or replace a score card from a YAML/JSON file").add_argument("file")
        compute = sub.add_parser("compute", help="score every customer on every card")
        compute.add_argument("--date", help="YYYY-MM-DD (default today)")
        show = sub.add_parser("show", help="a card's best-scored customers with each criterion")
        show.add_argument("code")
        show.add_argument("--top", type=int, default=20)
        rate = sub.add_parser("rate", help="rate a customer on a manual criterion (0-100) and rescore")
        for name in ("card", "customer", "criterion"):
            rate.add_argument(name)
        rate.add_argument("score", type=int)

    def work(self, *args: Any, **options: Any) -> None:
        actor, action = self.actor(options), options["action"]
        if action == "apply":
            path = Path(options["file"])
            if not path.is_file():
                raise ValidationFailed(f"{path}: no such file")
            card, changed = scorecard_apply(text=path.read_text(encoding="utf-8"), actor=actor)
            if isinstance(card, Submission):
                self.out(f"{path}: score card {card.code} submitted: another person publishes it "
                         f"(fanli approvals publish scorecard {card.code})")
                return
            self.out(f"{path}: score card {card.code} ({'stored' if changed else 'unchanged'})")
        elif action == "compute":
            day = parse_day(options["date"]) if options.get("date") else timezone.localdate()
            for code, count in scorecards_compute(today=day, actor=actor).items():
                self.out(f"{code}: {count} customers scored on {day}")
        elif action == "rate":
            score = rating_set(card_code=options["card"], customer_code=options["customer"],
                               criterion=options["criterion"], score=options["score"], today=timezone.localdate(),
                               actor=actor)
            self.out(f"{options['customer']}: {score.total if score else '-'} on {options['card']}")
        else:
            shown = ScoreCard.objects.filter(code=options["code"]).first()
            if shown is None:
                raise NotFound(f"no score card {options['code']!r}")
            for score in (DealerScore.objects.filter(card=shown, total__isnull=False).select_related("customer")
                          .order_by("-total", "customer__code")[:options["top"]]):
                parts = "  ".join(f"{p['key']} {'-' if p['score'] is None else p['score']}" for p in score.parts)
                self.out(f"{score.total:>3}  {score.customer.code:<10} {parts}")
