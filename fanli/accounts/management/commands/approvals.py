"""``fanli approvals list | submit | publish | reject``: the four-eyes queue.

    fanli approvals list
    fanli approvals submit policy CODE NUMBER --as-user author
    fanli approvals publish policy CODE NUMBER --as-user approver
    fanli approvals publish discount-rule CODE NUMBER --as-user approver
    fanli approvals publish programme CODE --as-user approver
    fanli approvals reject scorecard CODE --note "weights agreed otherwise" --as-user approver
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fanli.accounts.selectors import awaiting_approval
from fanli.common.command import FanliCommand
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.money import format_minor

KINDS = ("policy", "discount-rule", "programme", "scorecard")


class Command(FanliCommand):
    help = "What one person prepared and another must decide: list it, submit a policy draft, publish or reject."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="submitted versions and documents, approved statements waiting for payment")
        submit = sub.add_parser("submit", help="hand a policy draft over for approval")
        submit.add_argument("kind", choices=["policy"])
        submit.add_argument("code")
        submit.add_argument("number", type=int)
        for name in ("publish", "reject"):
            decide = sub.add_parser(name, help=f"{name} a submitted policy or discount rule version, programme or "
                                               "score card")
            decide.add_argument("kind", choices=KINDS)
            decide.add_argument("code")
            decide.add_argument("number", type=int, nargs="?", help="the version (policies and discount rules)")
            if name == "reject":
                decide.add_argument("--note", required=True, help="why it goes back to its author")

    def work(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
            return
        actor, kind, code, number = self.actor(options), options["kind"], options["code"], options["number"]
        if kind in ("policy", "discount-rule") and number is None:
            raise ValidationFailed(f"a {kind} is decided by version: give its number",
                                   details={"errors": [{"path": "number", "message": "required"}]})
        if options["action"] == "submit":
            from fanli.rebates.services import policy_version_submit

            version = policy_version_submit(version_id=_policy_version_id(code, number), actor=actor)
            self.out(f"{code} v{version.number} {version.status}")
            return
        publish, note = options["action"] == "publish", options.get("note") or ""
        if kind == "policy":
            from fanli.rebates.services import policy_version_publish, policy_version_reject

            version_id = _policy_version_id(code, number)
            version = (policy_version_publish(version_id=version_id, actor=actor) if publish
                       else policy_version_reject(version_id=version_id, actor=actor, note=note))
            self.out(f"{code} v{version.number} {version.status}")
        elif kind == "discount-rule":
            from fanli.discounts.services import discount_rule_version_decide

            rule = discount_rule_version_decide(rule_code=code, number=number, actor=actor, publish=publish, note=note)
            self.out(f"{code} v{rule.number} {rule.status}")
        elif kind == "programme":
            from fanli.loyalty.services import programme_publish, programme_reject

            if publish:
                self.out(f"{code} v{programme_publish(code=code, actor=actor).version} published")
            else:
                programme_reject(code=code, actor=actor, note=note)
                self.out(f"{code}: change rejected")
        else:
            from fanli.customers.services import scorecard_publish, scorecard_reject, scorecards_compute

            if publish:
                scorecard_publish(code=code, actor=actor)
                scorecards_compute(today=timezone.localdate(), actor=actor, codes=[code])
                self.out(f"{code} published and rescored")
            else:
                scorecard_reject(code=code, actor=actor, note=note)
                self.out(f"{code}: change rejected")

    def _list(self) -> None:
        pending = awaiting_approval()
        for version in pending["policies"]:
            self.out(f"policy         {version.policy.code} v{version.number}  submitted {version.submitted_at:%Y-%m-%d %H:%M}"
                     f" by {_name(version.submitted_by)}")
        for version in pending["rules"]:
            self.out(f"discount-rule  {version.rule.code} v{version.number}  submitted {version.submitted_at:%Y-%m-%d %H:%M}"
                     f" by {_name(version.submitted_by)}")
        for submission in pending["submissions"]:
            self.out(f"{submission.kind:<14} {submission.code}  submitted {submission.submitted_at:%Y-%m-%d %H:%M} "
                     f"by {_name(submission.submitted_by)}")
        for statement in pending["statements"]:
            self.out(f"payment        statement {statement.pk} {statement.customer.code} {statement.policy.code} "
                     f"{statement.period_key} {format_minor(statement.amount_minor)}  approved {statement.approved_on or '-'}"
                     f" by {_name(statement.approved_by)}")


def _name(user: Any) -> str:
    return user.get_username() if user is not None else "system"


def _policy_version_id(code: str, number: int) -> int:
    from fanli.rebates.models import PolicyVersion

    version_id = PolicyVersion.objects.filter(policy__code=code, number=number).values_list("id", flat=True).first()
    if version_id is None:
        raise NotFound(f"no version {number} of policy {code}")
    return version_id
