"""Shared by the benchmarks: Django on a scratch database, migrated and ready.

``django_on_scratch_database``: without ``DATABASE_URL`` the database is a SQLite file in a
temporary directory that the caller removes with ``cleanup()``; with it, that (empty) database
is used as it is.

``database_prepare(reuse=..., load=...)`` adds a database kept between runs: a SQLite file path
or a database URL, loaded by ``load()`` when it is empty, then copied for the run (a file copy,
or ``CREATE DATABASE .. TEMPLATE`` on PostgreSQL) so that what the run writes never reaches it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_scratch_database() -> tempfile.TemporaryDirectory[str]:
    scratch = tempfile.TemporaryDirectory(prefix="fanli-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["FANLI_VAR_DIR"] = scratch.name
    _django_setup()
    return scratch


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _empty() -> bool:
    from fanli.customers.models import Customer
    from fanli.sales.models import SalesDocument

    return not Customer.objects.exists() and not SalesDocument.objects.exists()


class Prepared:
    """The database a run measures; ``cleanup()`` removes whatever copy was made for it."""

    def __init__(self, scratch: tempfile.TemporaryDirectory[str], drop_database: str | None = None) -> None:
        self.scratch = scratch
        self.drop_database = drop_database

    def cleanup(self) -> None:
        from django.db import connection

        connection.close()
        if self.drop_database:
            with _maintenance_connection() as maintenance:
                maintenance.execute(f'DROP DATABASE IF EXISTS "{self.drop_database}"')
        self.scratch.cleanup()


def database_prepare(*, reuse: str | None, load: Callable[[], None]) -> Prepared:
    """Django on the database to measure: scratch and loaded, or a copy of ``reuse`` (loaded first
    when it is empty)."""
    if reuse is None:
        scratch = django_on_scratch_database()
        if not _empty():
            raise SystemExit("the database DATABASE_URL names is not empty: use --reuse to measure a loaded one")
        load()
        return Prepared(scratch)
    scratch = tempfile.TemporaryDirectory(prefix="fanli-bench-")
    os.environ["FANLI_VAR_DIR"] = scratch.name
    is_url = "://" in reuse
    os.environ["DATABASE_URL"] = reuse if is_url else f"sqlite:///{Path(reuse).resolve()}"
    _django_setup()
    from django.db import connection

    if _empty():
        print(f"{reuse} is empty: loading it once; later runs with --reuse measure a copy of it")
        load()
    else:
        print(f"reusing {reuse} (measured on a copy)")
    connection.close()
    if connection.vendor == "sqlite":
        source = Path(connection.settings_dict["NAME"])
        copy = Path(scratch.name) / "fanli.sqlite3"
        shutil.copyfile(source, copy)
        for suffix in ("-wal",):
            if source.with_name(source.name + suffix).exists():
                shutil.copyfile(source.with_name(source.name + suffix), copy.with_name(copy.name + suffix))
        connection.settings_dict["NAME"] = str(copy)
        return Prepared(scratch)
    if connection.vendor != "postgresql":
        raise SystemExit(f"--reuse does not know how to copy a {connection.vendor} database")
    template = connection.settings_dict["NAME"]
    copy_name = f"{template}_run_{os.getpid()}"
    with _maintenance_connection() as maintenance:
        maintenance.execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{template}"')
    connection.settings_dict["NAME"] = copy_name
    return Prepared(scratch, drop_database=copy_name)


def _maintenance_connection():  # type: ignore[no-untyped-def]
    """An autocommit connection to the server's ``postgres`` database (to create and drop copies)."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(dbname="postgres", host=settings["HOST"] or None, port=settings["PORT"] or None,
                           user=settings["USER"] or None, password=settings["PASSWORD"] or None, autocommit=True)
