"""``fanli serve``: the production web server, gunicorn with ``fanli/gunicorn_config.py``.

It replaces this process with ``python -m gunicorn -c python:fanli.gunicorn_config
fanli.wsgi:application`` plus the options given; static files are served by each web process
(WhiteNoise), so nothing else is needed in front for a private network. The development server
stays ``python3 dev.py start``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Fanli with gunicorn (production): web processes from the CPU count, access log on stdout."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", help="address:port (default FANLI_BIND or 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, help="processes (default FANLI_WEB_WORKERS or 2 per CPU + 1)")
        parser.add_argument("--threads", type=int, help="threads per process (default FANLI_WEB_THREADS or 2)")
        parser.add_argument("gunicorn_options", nargs="*", help="passed on to gunicorn (after --)")

    def handle(self, *args: Any, **options: Any) -> None:
        command = [sys.executable, "-m", "gunicorn", "-c", "python:fanli.gunicorn_config"]
        for name in ("bind", "workers", "threads"):
            if options[name] is not None:
                command += [f"--{name}", str(options[name])]
        command += [*options["gunicorn_options"], "fanli.wsgi:application"]
        os.environ.setdefault("FANLI_DB_CONN_MAX_AGE", "60")  # each web thread keeps its database connection
        sys.stdout.flush()
        os.execv(sys.executable, command)
