"""``fanli imports [--limit N]``: the most recent import batches and their outcome."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fanli.imports.selectors import import_batch_list


class Command(BaseCommand):
    help = "List recent imports (files and API documents) with their counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        batches = import_batch_list(limit=options["limit"])
        if not batches:
            self.stdout.write("no imports yet")
            return
        for batch in batches:
            self.stdout.write(
                f"{batch.pk:>6}  {batch.started_at:%Y-%m-%d %H:%M}  {batch.kind:<9} {batch.status:<7} "
                f"total {batch.rows_total}, created {batch.rows_created}, updated {batch.rows_updated}, "
                f"unchanged {batch.rows_unchanged}, rejected {batch.rows_rejected}  {batch.source_name}"
            )
