"""``fanli import KIND FILE [--partial] [--allow-unmatched-returns]``: load grades, customers,
products or sales from CSV/XLSX."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fanli.common.exceptions import FanliError
from fanli.imports.models import ImportBatch
from fanli.imports.registry import import_kinds
from fanli.imports.services import import_file


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of grades, customers, products or sales lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(import_kinds()))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--partial", action="store_true",
            help="write the good records and report the bad rows (default: any bad row refuses the whole file)",
        )
        parser.add_argument(
            "--allow-unmatched-returns", action="store_true",
            help="sales only: accept returns that name no invoice or take back more than their invoice still has "
                 "(default: every return is checked against its invoice, per SKU, in quantity and amount)",
        )
        parser.add_argument("--as-user", "--user", dest="user",
                            help="username recorded as the actor, as for every command (default: none)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no such user: {options['user']}")
        started = time.perf_counter()
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if interactive:
                self.stderr.write(f"\r{done:,} / {total:,} rows", ending="")
            else:
                self.stderr.write(f"{done:,} / {total:,} rows")

        try:
            batch = import_file(
                kind=options["kind"], path=path, filename=path.name, actor=actor,
                partial=options["partial"], allow_unmatched_returns=options["allow_unmatched_returns"],
                progress=progress,
            )
        except FanliError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
        if interactive:
            self.stderr.write("")
        elapsed = time.perf_counter() - started
        self.stdout.write(summary(batch, elapsed_seconds=elapsed))
        for row_error in batch.errors:
            self.stdout.write(describe_error(row_error))
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(f"{batch.source_name} was refused; nothing was written")


def summary(batch: ImportBatch, *, elapsed_seconds: float | None = None) -> str:
    text = (
        f"import {batch.pk} ({batch.kind}, {batch.source_name}): {batch.status}; "
        f"{batch.rows_total} rows: {batch.rows_created} created, {batch.rows_updated} updated, "
        f"{batch.rows_unchanged} unchanged, {batch.rows_rejected} rejected"
    )
    if elapsed_seconds is not None:
        text += f" in {elapsed_seconds:.2f}s"
    return text


def describe_error(error: dict[str, Any]) -> str:
    where = []
    if error.get("line") is not None:
        where.append(f"line {error['line']}")
    if error.get("column"):
        where.append(f"column {error['column']}")
    return f"  {', '.join(where)}: {error['reason']}" if where else f"  {error['reason']}"
