"""The base of every ``fanli`` command: errors as messages, never tracebacks.

A ``FanliError`` (bad input, a missing object, a state that forbids the action) prints its
message and each listed error (``path: message``) to stderr and exits with status 2; the
command's own work goes in ``work``. Commands speak English whatever the site's language.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from . import heap
from .exceptions import FanliError, ValidationFailed

CLI_LANGUAGE = "en"


def parse_day(text: str, *, name: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{name} {text!r} is not a date: use YYYY-MM-DD",
                               details={"errors": [{"path": name, "message": "not a date"}]}) from None


class FanliCommand(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-user", dest="as_user", help="username recorded as the actor (audit)")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        """``--as-user`` is taken before or after an action (``fanli statement approve 12 --as-user
        finance`` as well as ``fanli statement --as-user finance approve 12``)."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _as_user_in_every_action(parser)
        return parser

    def actor(self, options: dict[str, Any]) -> Any:
        username = options.get("as_user")
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationFailed(f"no user {username}", details={"errors": [{"path": "as_user", "message": "unknown"}]})
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        heap.settle_for_command()  # start-up objects leave the collector's scans (a settlement: -20 %)
        try:
            with translation.override(CLI_LANGUAGE):  # output others may script against stays stable
                self.work(*args, **options)
        except FanliError as exc:
            lines = [exc.message]
            for error in (exc.details or {}).get("errors", []) if isinstance(exc.details, dict) else []:
                where = error.get("path") or ", ".join(f"{k} {error[k]}" for k in ("line", "column") if k in error)
                lines.append(f"  {where}: {error.get('message') or error.get('reason')}")
            raise CommandError("\n".join(lines), returncode=2) from None

    def work(self, *args: Any, **options: Any) -> None:
        raise NotImplementedError

    def apply_files(self, names: list[str], apply: Callable[[str], tuple[Any, bool]], code: Callable[[Any], str]) -> None:
        """Apply each YAML/JSON file in turn; an error names its file. Prints one line a file."""
        for name in names:
            path = Path(name)
            if not path.is_file():
                raise ValidationFailed(f"{name}: no such file", details={"errors": [{"path": name, "message": "missing"}]})
            try:
                version, created = apply(path.read_text(encoding="utf-8"))
            except ValidationFailed as exc:
                raise ValidationFailed(f"{name}: {exc.message}", details=exc.details) from None
            self.out(f"{name}: {code(version)} v{version.number} {version.status} "
                     f"({'new version' if created else 'unchanged'})")

    def out(self, text: str = "") -> None:
        self.stdout.write(text)

    def out_json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _as_user_in_every_action(parser: Any) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if not any("--as-user" in known.option_strings for known in sub._actions):
                    sub.add_argument("--as-user", dest="as_user", default=argparse.SUPPRESS,
                                     help="username recorded as the actor (audit)")
                _as_user_in_every_action(sub)
