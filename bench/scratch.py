"""Shared by the benchmarks: Django on a scratch database, migrated and ready.

Without ``DATABASE_URL`` the database is a SQLite file in a temporary directory that the
caller removes with ``cleanup()``; with it, that (empty) database is used as it is.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def django_on_scratch_database() -> tempfile.TemporaryDirectory[str]:
    scratch = tempfile.TemporaryDirectory(prefix="fanli-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FANLI_VAR_DIR"] = scratch.name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return scratch
