"""Writing spreadsheets that stay inert: no text a user typed (a customer's name, a code) ever
becomes a formula in a file someone opens.

openpyxl stores a string starting with ``=`` as a formula, and spreadsheet programs read text
starting with ``+``, ``-``, ``@`` (or a tab, carriage return or line feed), also after leading
spaces and in their full-width forms, as the start of one when it is typed or pasted. Every
export therefore writes its rows through ``inert_row``: such text becomes a text cell
(``data_type`` ``s``) with a quote prefix, so it is shown as typed and stays text when edited.
Numbers, dates and money (exact ``Decimal``) are left as they are. ``xlsx_inert`` is the last
guard for a workbook held in memory: no cell of it is written as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell

FORMULA_STARTS = frozenset("=+-@＝＋－＠")
CONTROL_STARTS = frozenset("\t\r\n")


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (see the module's docstring)."""
    if text[:1] in CONTROL_STARTS:
        return True
    stripped = text.lstrip()
    return stripped[:1] in FORMULA_STARTS or stripped[:1] in CONTROL_STARTS


def inert(sheet: Any, value: Any) -> Any:
    """``value`` for ``sheet.append``: text that reads as a formula becomes a text cell."""
    if isinstance(value, str) and reads_as_formula(value):
        cell = WriteOnlyCell(sheet, value=value)
        _as_text(cell)
        return cell
    if isinstance(value, Cell) and value.data_type == "f":
        _as_text(value)
    return value


def inert_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    return [inert(sheet, value) for value in values]


def xlsx_inert(workbook: Workbook) -> None:
    """Turn every formula cell of an in-memory workbook into text (a write-only workbook has
    already streamed its rows, written through ``inert_row``)."""
    if workbook.write_only:
        return
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and reads_as_formula(cell.value)):
                    _as_text(cell)


def _as_text(cell: Cell) -> None:
    cell.data_type = "s"
    cell.quotePrefix = True
