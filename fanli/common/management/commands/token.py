"""``fanli token create USER [--name NAME] [--expires-days N]``: an API token, shown once.
``fanli token list [USER]``: every token (or one user's), never its secret.
``fanli token revoke ID [--as-user NAME]``: refused from its very next request; audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from fanli.common.command import FanliCommand
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.selectors import api_tokens
from fanli.common.services import api_token_create, api_token_revoke


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(FanliCommand):
    help = "Create, list and revoke API tokens (a token is printed once; only its hash is stored)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("target", nargs="?", default=None,
                            help="create: the username; list: a username (optional); revoke: the token id")
        parser.add_argument("--name", default="cli", help="create: what the token is for")
        parser.add_argument("--expires-days", dest="expires_days", type=int, default=None,
                            help="create: the token stops working after this many days (1 to 3650)")

    def work(self, *args: Any, **options: Any) -> None:
        action, target = options["action"], options["target"]
        if action == "list":
            self._list(self._user(target) if target else None)
        elif target is None:
            raise ValidationFailed(f"token {action} needs {'a username' if action == 'create' else 'a token id'}",
                                   details={"errors": [{"path": "target", "message": "missing"}]})
        elif action == "create":
            self.out(api_token_create(user=self._user(target), name=options["name"], actor=self.actor(options),
                                      expires_days=options["expires_days"]))
        else:
            if not target.isdigit():
                raise ValidationFailed(f"{target!r} is not a token id (see fanli token list)",
                                       details={"errors": [{"path": "target", "message": "not a whole number"}]})
            token = api_token_revoke(token_id=int(target), actor=self.actor(options))
            self.out(f"token {token.pk} ({token.user.get_username()} / {token.name}) revoked at {_when(token.revoked_at)}")

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise NotFound(f"no user {username}")
        return user

    def _list(self, user: Any) -> None:
        self.out(f"{'id':>5}  {'user':<16} {'name':<20} {'created':<16}  {'last used':<16}  {'expires':<16}  revoked")
        for token in api_tokens(user=user):
            self.out(f"{token.pk:>5}  {token.user.get_username():<16} {token.name:<20} {_when(token.created_at):<16}  "
                     f"{_when(token.last_used_at):<16}  {_when(token.expires_at):<16}  {_when(token.revoked_at)}")
