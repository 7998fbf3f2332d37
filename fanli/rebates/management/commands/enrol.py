"""``fanli enrol POLICY CUSTOMER [--from D] [--until D] [--overrides JSON]``."""

from __future__ import annotations

import json
from typing import Any

from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import ValidationFailed
from fanli.rebates.services import enrolment_set


class Command(FanliCommand):
    help = "Enrol a customer under a policy (返利协议), optionally overriding tiers, rate, target or bonus."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("policy")
        parser.add_argument("customer")
        parser.add_argument("--from", dest="valid_from")
        parser.add_argument("--until", dest="valid_until")
        parser.add_argument("--overrides", help='JSON, e.g. {"tiers": [{"from": 0, "rate_percent": 2}]}')

    def work(self, *args: Any, **options: Any) -> None:
        overrides = {}
        if options["overrides"]:
            try:
                overrides = json.loads(options["overrides"])
            except json.JSONDecodeError as exc:
                raise ValidationFailed(f"--overrides is not JSON: {exc}") from None
        enrolment = enrolment_set(
            policy_code=options["policy"], customer_code=options["customer"], actor=self.actor(options),
            valid_from=parse_day(options["valid_from"], name="from") if options["valid_from"] else None,
            valid_until=parse_day(options["valid_until"], name="until") if options["valid_until"] else None,
            overrides=overrides,
        )
        self.out(f"{options['customer']} enrolled in {options['policy']} (enrolment {enrolment.pk})")
