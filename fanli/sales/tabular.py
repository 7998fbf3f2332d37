"""Reading tabular files (CSV and XLSX) and parsing their cells exactly.

Design overview
---------------
- ``read_table`` turns uploaded bytes into a ``Table``: the header (names normalised to lower
  case) and a stream of ``Row`` objects, each carrying its line number in the file (the
  spreadsheet row number for XLSX), its cells as text, and a ``problem`` when the row itself is
  malformed (wrong number of cells). Problems with the whole file (not UTF-8, not a workbook,
  no header) raise ``FileRefused`` with row errors in the common shape.
- ``resolve_columns`` checks a header against a ``ColumnSpec`` (required and optional names)
  and answers the position of each column, or every header error at once.
- Cell parsers turn text into exact values: decimal text into integers scaled by a power of
  ten (money into minor units, quantities into thousandths), dates, booleans. No float is ever
  involved; XLSX numbers are formatted back to their shortest decimal text first.
- ``RowError`` is the one error shape of every import: ``{"line", "column", "reason"}``.

This module knows no models; each kind of import (customers, products, sales) builds its
validation on it, so reading and cell parsing exist once.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

PROGRESS_EVERY_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class RowError:
    line: int | None
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class FileRefused(Exception):
    """The file as a whole cannot be read (encoding, format, header)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


@dataclass(slots=True)
class Row:
    line: int
    cells: list[str]
    problem: str | None = None


@dataclass(slots=True)
class Table:
    header: list[str]
    header_line: int
    rows: Iterator[Row]
    estimated_row_count: int


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(slots=True)
class Columns:
    """Positions of the columns a file has; ``get`` answers "" for an absent column."""

    positions: dict[str, int] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.positions

    def index(self, name: str) -> int:
        return self.positions.get(name, -1)


# --------------------------------------------------------------------------- reading


def read_table(*, content: bytes, filename: str) -> Table:
    """Open ``content`` as CSV or XLSX according to ``filename``'s extension."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in {"xlsx", "xlsm"}:
        return _read_xlsx(content)
    if suffix in {"csv", "txt", ""}:
        return _read_csv(content)
    raise FileRefused([RowError(None, None, f"unsupported file type .{suffix} (expected .csv or .xlsx)")])


def _read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise FileRefused(
            [RowError(line, None, f"file is not UTF-8 text (invalid byte at position {error.start})")]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise FileRefused([RowError(line, None, "file contains a NUL byte; is it really a CSV file?")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header_line = 0
    try:
        header: list[str] | None = None
        for cells in reader:
            if any(cell.strip() for cell in cells):
                header = cells
                header_line = reader.line_num
                break
    except csv.Error as error:
        raise FileRefused([RowError(reader.line_num, None, f"malformed CSV: {error}")]) from None
    if header is None:
        raise FileRefused([RowError(1, None, "file is empty (no header row)")])
    estimated = max(text.count("\n") - header_line + (0 if text.endswith("\n") else 1), 0)
    return Table(_normalise_header(header), header_line, _csv_rows(reader, len(header)), estimated)


def _csv_rows(reader: Any, width: int) -> Iterator[Row]:
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(previous_end + 1, [], f"malformed CSV: {error}")
            return
        line = previous_end + 1
        previous_end = reader.line_num
        if (not cells or not cells[0]) and not any(cell.strip() for cell in cells):
            continue  # a blank line, or a row of empty cells
        if len(cells) != width:
            yield Row(line, cells, f"expected {width} columns, found {len(cells)}")
        else:
            yield Row(line, cells)


def _read_xlsx(content: bytes) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, IndexError) as error:
        raise FileRefused([RowError(None, None, f"not a readable XLSX workbook ({type(error).__name__})")]) from None
    rows = sheet.iter_rows(values_only=True)
    header: list[str] | None = None
    header_line = 0
    for number, values in enumerate(rows, start=1):
        cells = _xlsx_cells(values)
        if any(cells):
            header = cells
            header_line = number
            break
    if header is None:
        workbook.close()
        raise FileRefused([RowError(1, None, "workbook is empty (no header row)")])
    estimated = max((sheet.max_row or 0) - header_line, 0)
    return Table(_normalise_header(header), header_line, _xlsx_rows(workbook, rows, header_line, len(header)), estimated)


def _xlsx_rows(workbook: Any, rows: Iterator[tuple], header_line: int, width: int) -> Iterator[Row]:
    try:
        for number, values in enumerate(rows, start=header_line + 1):
            cells = _xlsx_cells(values)
            if not any(cells):
                continue
            if len(cells) > width:
                yield Row(number, cells, f"expected {width} columns, found {len(cells)}")
            else:
                cells.extend([""] * (width - len(cells)))
                yield Row(number, cells)
    finally:
        workbook.close()


def _xlsx_cells(values: tuple) -> list[str]:
    cells = [_xlsx_text(value) for value in values]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.hour or value.minute or value.second or value.microsecond:
            return value.isoformat(sep=" ")
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # The shortest text that reads back as the same float: what the user typed.
        text = format(Decimal(repr(value)), "f")
        return text[:-2] if text.endswith(".0") else text
    return str(value).strip()


def _normalise_header(cells: list[str]) -> list[str]:
    return [cell.strip().lower().replace(" ", "_") for cell in cells]


def resolve_columns(table: Table, spec: ColumnSpec) -> Columns:
    """Map the spec's column names to positions, or refuse the file with every header error."""
    errors: list[RowError] = []
    positions: dict[str, int] = {}
    known = set(spec.all)
    for position, name in enumerate(table.header):
        if not name:
            errors.append(RowError(table.header_line, f"#{position + 1}", "column has no name"))
        elif name in positions:
            errors.append(RowError(table.header_line, name, "duplicate column"))
        elif name not in known:
            errors.append(RowError(table.header_line, name, f"unknown column (expected: {', '.join(spec.all)})"))
        else:
            positions[name] = position
    for name in spec.required:
        if name not in positions:
            errors.append(RowError(table.header_line, name, "missing required column"))
    if errors:
        raise FileRefused(errors)
    return Columns(positions)


# --------------------------------------------------------------------------- cells

_DECIMAL_TEXT = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")
_PLACES_WORD = {2: "2 decimal places", 3: "3 decimal places"}


class CellError(ValueError):
    """A cell's text is not a valid value; the message is the reason shown to the user."""


def parse_scaled(text: str, *, places: int) -> int:
    """Decimal text to an integer scaled by ``10 ** places``, refusing finer values.

    ``parse_scaled("1234.5", places=2) == 123450``; thousands separators are allowed.
    """
    match = _DECIMAL_TEXT.fullmatch(text.replace(",", "").strip())
    if match is None:
        raise CellError(f"{text!r} is not a number")
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if not whole and not fraction:
        raise CellError(f"{text!r} is not a number")
    if len(fraction.rstrip("0")) > places:
        raise CellError(f"{text} has more than {_PLACES_WORD.get(places, f'{places} decimal places')}")
    fraction = fraction[:places].ljust(places, "0")
    value = int(whole or "0") * 10**places + int(fraction or "0")
    return -value if sign == "-" else value


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise CellError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def parse_positive_int(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or int(value) <= 0:
        raise CellError(f"{text!r} is not a positive whole number")
    return int(value)


_TRUE = {"1", "true", "yes", "y", "t", "是"}
_FALSE = {"", "0", "false", "no", "n", "f", "否"}


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(f"{text!r} is not yes/no")


class CachedParser:
    """Memoises a parser over repeated cell texts (dates, prices and quantities repeat a lot)."""

    __slots__ = ("_cache", "_parse")

    def __init__(self, parse: Any) -> None:
        self._parse = parse
        self._cache: dict[str, Any] = {}

    def __call__(self, text: str) -> Any:
        try:
            result = self._cache[text]
        except KeyError:
            try:
                result = self._parse(text)
            except CellError as error:
                result = error
            if len(self._cache) < 200_000:
                self._cache[text] = result
        if isinstance(result, CellError):
            raise result
        return result


class ErrorLog:
    """Row errors of one import; keeps the first ``limit`` in full and counts the rest."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self.errors: list[RowError] = []
        self.total = 0
        self.lines: set[int | None] = set()

    def add(self, line: int | None, column: str | None, reason: str) -> None:
        self.total += 1
        self.lines.add(line)
        if len(self.errors) < self.limit:
            self.errors.append(RowError(line, column, reason))

    def __bool__(self) -> bool:
        return self.total > 0

    def as_list(self) -> list[dict[str, Any]]:
        listed = [error.as_dict() for error in sorted(self.errors, key=_error_order)]
        if self.total > len(self.errors):
            listed.append({"line": None, "column": None, "reason": f"... and {self.total - len(self.errors)} more errors"})
        return listed


def _error_order(error: RowError) -> tuple[int, str]:
    return (error.line if error.line is not None else -1, error.column or "")


# --------------------------------------------------------------------------- plans


@dataclass(slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportPlan:
    """What one kind of import found in a file: errors, and the writes it would make.

    Planning only reads the database; ``apply`` writes, inside the caller's transaction.
    """

    rows_total: int = 0
    rows_rejected: int = 0

    def __init__(self) -> None:
        self.errors = ErrorLog()

    def apply(self, *, batch: Any) -> ImportCounts:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


def chunked(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parents_loop(code: str, parents: dict[str, str | None]) -> bool:
    """True when following ``parents`` from ``code`` comes back to a code already seen."""
    seen = {code}
    current = parents.get(code)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False
