"""``fanli token create USER [--name NAME]``: an API token, shown once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from fanli.common.command import FanliCommand
from fanli.common.exceptions import NotFound
from fanli.common.services import api_token_create


class Command(FanliCommand):
    help = "Create an API token for a user (printed once; only its hash is stored)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def work(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise NotFound(f"no user {options['username']}")
        self.out(api_token_create(user=user, name=options["name"]))
