"""``fanli import`` and ``fanli imports`` through call_command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fanli.sales.models import SalesDocument

from .helpers import SALES_HEADER, csv_bytes, sales_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_way")]


def _run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_import_command_loads_a_file_and_prints_a_summary(master_data, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2")]))

    output = _run("sales", str(path))

    assert "done; 2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected" in output
    assert SalesDocument.objects.count() == 2


def test_a_refused_file_prints_each_bad_row_and_fails_without_a_traceback(master_data, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(csv_bytes(SALES_HEADER, [sales_row("INV-1", quantity="-1"), sales_row("INV-2", sku="X")]))
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"sales\.csv was refused; nothing was written"):
        call_command("import", "sales", str(path), stdout=out, stderr=io.StringIO())

    assert "  line 2, column quantity: quantity on an invoice must not be negative (use a return)" in out.getvalue()
    assert "  line 3, column sku: unknown SKU 'X'" in out.getvalue()
    assert SalesDocument.objects.count() == 0


def test_the_partial_flag_writes_the_good_documents(master_data, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(csv_bytes(SALES_HEADER, [sales_row("INV-1"), sales_row("INV-2", sku="X")]))

    output = _run("sales", str(path), "--partial")

    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in output
    assert SalesDocument.objects.count() == 1


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "sales", str(tmp_path / "nope.csv"))


def test_the_imports_command_lists_recent_batches(master_data, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(csv_bytes(SALES_HEADER, [sales_row("INV-1")]))
    _run("sales", str(path))
    out = io.StringIO()

    call_command("imports", stdout=out)

    assert "sales     done    total 1, created 1" in out.getvalue()
