"""The ``fanli`` command: Django's management commands under one short name.

``fanli policy apply FILE`` is ``python manage.py policy apply FILE``; every subcommand is a
management command of one of Fanli's apps, so the CLI and the API call the same services.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["fanli", *args])


if __name__ == "__main__":
    main()
