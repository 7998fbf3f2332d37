"""``fanli user list|create|role|password|deactivate|activate``: staff logins and their roles.

The admin only shows users; every change is made here, through services that record it in the
audit log (``--as-user`` names who acted). Passwords are read from the terminal, or from the
first line of standard input with ``--password-stdin``, never from the command line.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model

from fanli.accounts.models import Role
from fanli.accounts.services import staff_user_create, staff_user_role_set, user_active_set, user_password_set
from fanli.common.command import FanliCommand
from fanli.common.exceptions import ValidationFailed


class Command(FanliCommand):
    help = "List staff users, create one with a role, change a role or a password, deactivate or activate."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list")
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--email", default="")
        create.add_argument("--password-stdin", action="store_true")
        role = sub.add_parser("role")
        role.add_argument("username")
        role.add_argument("role", choices=Role.values)
        password = sub.add_parser("password")
        password.add_argument("username")
        password.add_argument("--password-stdin", action="store_true")
        for name in ("deactivate", "activate"):
            sub.add_parser(name).add_argument("username")

    def work(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        action, username = options["action"], str(options.get("username") or "")
        if action == "list":
            for user in get_user_model().objects.prefetch_related("groups").order_by("username"):
                roles = ",".join(sorted(g.name for g in user.groups.all() if g.name in Role.values)) or "-"
                flags = " superuser" * user.is_superuser + " inactive" * (not user.is_active)
                self.out(f"{user.username}\t{roles}{flags}")
        elif action == "create":
            password = self._password(options)
            user = staff_user_create(username=username, password=password, role=options["role"], actor=actor,
                                     email=options["email"])
            self.out(f"user {user.username}: {options['role']}")
        elif action == "role":
            staff_user_role_set(username=username, role=options["role"], actor=actor)
            self.out(f"user {username}: {options['role']}")
        elif action == "password":
            user_password_set(username=username, password=self._password(options), actor=actor)
            self.out(f"user {username}: password changed")
        else:
            user_active_set(username=username, active=action == "activate", actor=actor)
            self.out(f"user {username}: {action}d")

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise ValidationFailed("the passwords differ", details={"errors": [{"path": "password",
                                                                                     "message": "differ"}]})
        if not password:
            raise ValidationFailed("a password is required", details={"errors": [{"path": "password",
                                                                                 "message": "empty"}]})
        return password
