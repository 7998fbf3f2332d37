"""The ``fanli`` command: Fanli's management commands under one short name.

``fanli policy apply FILE`` is ``python manage.py policy apply FILE``; every subcommand is a
management command of one of Fanli's apps, so the CLI and the API call the same services.
``fanli``, ``fanli help`` and ``fanli --help`` list Fanli's own commands, grouped, one line each.
Django's commands (``migrate``, ``createsuperuser``, ``shell``, …) stay reachable by name and are
listed by ``fanli django``; the ones that wipe or replace data wholesale (``flush``,
``loaddata``, …) are not offered in the list.
"""

from __future__ import annotations

import os
import sys

# The areas of the overview, in the order a user meets them, by the app that holds the command.
AREAS = (
    ("fanli.rebates", "Rebates: policies, settlement, statements, payouts"),
    ("fanli.imports", "Data in"),
    ("fanli.customers", "Customers"),
    ("fanli.crm", "Customer management and warnings"),
    ("fanli.notices", "Notices to customers"),
    ("fanli.discounts", "Discounts"),
    ("fanli.loyalty", "Loyalty points"),
    ("fanli.ledger", "Ledger"),
    ("fanli.accounts", "People and approvals"),
    ("fanli.demo", "Demo data"),
    ("fanli.common", "Running Fanli"),
)
WHOLESALE = frozenset({"flush", "loaddata", "sqlflush", "squashmigrations", "makemigrations", "dumpdata",
                       "testserver", "test", "startapp", "startproject", "sendtestemail"})


def overview() -> str:
    """Fanli's commands by area, each with the first line of its own help."""
    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    commands = get_commands()
    lines = ["Usage: fanli COMMAND [options]   (fanli COMMAND --help: its options and examples)", ""]
    for app, title in AREAS:
        names = sorted(name for name, owner in commands.items() if owner == app)
        if not names:
            continue
        lines.append(title)
        for name in names:
            text = (load_command_class(app, name).help or "").strip().splitlines()
            lines.append(f"  {name:<12} {text[0] if text else ''}")
        lines.append("")
    lines.append("Django's own commands (migrate, createsuperuser, shell, …): fanli django")
    return "\n".join(lines)


def django_commands() -> str:
    import django
    from django.core.management import get_commands

    django.setup()
    names = sorted(name for name, owner in get_commands().items()
                   if not owner.startswith("fanli.") and name not in WHOLESALE)
    return "Django's commands, run as fanli NAME (fanli NAME --help for its options):\n" + "\n".join(
        f"  {name}" for name in names)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args in (["help"], ["--help"], ["-h"]):
        print(overview())
        return
    if args[0] == "django":
        if len(args) == 1:
            print(django_commands())
            return
        args = args[1:]
    execute_from_command_line(["fanli", *args])


if __name__ == "__main__":
    main()
