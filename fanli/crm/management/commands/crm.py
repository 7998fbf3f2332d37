"""``fanli crm log | done | follow-ups | complaint | resolve | survey | relationship | calendar``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from fanli.common.command import FanliCommand, parse_day
from fanli.common.exceptions import ValidationFailed
from fanli.crm.models import FollowUp
from fanli.crm.selectors import contact_calendar
from fanli.crm.services import (
    complaint_open,
    complaint_progress,
    customer_relationship_set,
    follow_up_done,
    interaction_log,
    survey_record,
)
from fanli.customers.models import Customer


class Command(FanliCommand):
    help = "Customer management (客户管理): contacts and follow-ups, complaints, surveys, relationship, calendar."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        log = sub.add_parser("log", help="log a contact: T phone, E e-mail, M meeting, V visit, S message")
        log.add_argument("customer")
        log.add_argument("channel", choices=["T", "E", "M", "V", "S"])
        log.add_argument("summary")
        log.add_argument("--on", help="YYYY-MM-DD (default today)")
        log.add_argument("--outcome", default="")
        log.add_argument("--follow-up", dest="follow_up", help="YYYY-MM-DD: make a follow-up task due then")
        log.add_argument("--owner", help="username of who follows up (default: the sales rep)")
        sub.add_parser("done", help="mark a follow-up done").add_argument("follow_up_id", type=int)
        sub.add_parser("follow-ups", help="open follow-ups, the most urgent first")
        complaint = sub.add_parser("complaint", help="record a complaint")
        complaint.add_argument("customer")
        complaint.add_argument("category", choices=["quality", "delivery", "billing", "rebate", "service", "other"])
        complaint.add_argument("summary")
        complaint.add_argument("--on", help="YYYY-MM-DD (default today)")
        resolve = sub.add_parser("resolve", help="resolve a complaint, saying how")
        resolve.add_argument("complaint_id", type=int)
        resolve.add_argument("resolution")
        survey = sub.add_parser("survey", help="record a satisfaction score (1-5)")
        survey.add_argument("customer")
        survey.add_argument("score", type=int)
        survey.add_argument("--comment", default="")
        survey.add_argument("--on", help="YYYY-MM-DD (default today)")
        relation = sub.add_parser("relationship", help="set the relationship level")
        relation.add_argument("customer")
        relation.add_argument("level", choices=["transactional", "preferred", "partner", "strategic"])
        calendar = sub.add_parser("calendar", help="the contact calendar of a month")
        calendar.add_argument("month", nargs="?", help="YYYY-MM (default this month)")

    def work(self, *args: Any, **options: Any) -> None:
        actor, action, today = self.actor(options), options["action"], timezone.localdate()
        on = parse_day(options["on"], name="on") if options.get("on") else today
        if action == "log":
            owner = None
            if options.get("owner"):
                owner = get_user_model().objects.filter(username=options["owner"]).first()
                if owner is None:
                    raise ValidationFailed(f"no user {options['owner']!r}")
            follow = parse_day(options["follow_up"], name="follow-up") if options.get("follow_up") else None
            contact = interaction_log(customer_code=options["customer"], channel=options["channel"], happened_on=on,
                                      summary=options["summary"], outcome=options["outcome"], next_follow_up=follow,
                                      owner=owner, today=today, actor=actor)
            task = contact.follow_ups.first()
            self.out(f"contact {contact.pk} logged" + (f"; follow-up {task.pk} due {task.due_on} for "
                                                        f"{task.owner.get_username() if task.owner else '-'}"
                                                        if task else ""))
        elif action == "done":
            self.out(f"follow-up {follow_up_done(follow_up_id=options['follow_up_id'], actor=actor).pk} done")
        elif action == "follow-ups":
            for task in FollowUp.objects.filter(done_at__isnull=True).select_related("customer", "owner"):
                late = " (late)" if task.due_on < today else ""
                self.out(f"{task.pk:>6} {task.due_on}{late} {task.customer.code:<10} "
                         f"{task.owner.get_username() if task.owner else '-':<14} {task.title}")
        elif action == "complaint":
            complaint = complaint_open(customer_code=options["customer"], category=options["category"],
                                       summary=options["summary"], opened_on=on, today=today, actor=actor)
            self.out(f"complaint {complaint.pk} recorded")
        elif action == "resolve":
            complaint = complaint_progress(complaint_id=options["complaint_id"], status="resolved",
                                           resolution=options["resolution"], on=today, actor=actor)
            self.out(f"complaint {complaint.pk} resolved in {complaint.resolution_days} day(s)")
        elif action == "survey":
            answer = survey_record(customer_code=options["customer"], score=options["score"], answered_on=on,
                                   comment=options["comment"], today=today, actor=actor)
            self.out(f"survey answer {answer.pk} recorded")
        elif action == "relationship":
            customer = customer_relationship_set(customer_code=options["customer"], relationship=options["level"],
                                                 actor=actor)
            self.out(f"{customer.code}: {customer.relationship}")
        else:
            month = options.get("month") or f"{today:%Y-%m}"
            try:
                year, number = (int(part) for part in month.split("-"))
                grid = contact_calendar(Customer.objects.all(), year, number)
            except ValueError:
                raise ValidationFailed(f"month {month!r} is not YYYY-MM") from None
            self.out(f"{'':<10} " + "".join(f"{day['day']:>3}" for day in grid["days"]))
            for row in grid["rows"]:
                cells = "".join(f"{''.join(c['channel'] for c in cell['contacts']) or '.':>3}" for cell in row.cells)
                self.out(f"{row.code:<10} {cells}")
