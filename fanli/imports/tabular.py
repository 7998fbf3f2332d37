"""Reading tabular files (CSV and XLSX) and parsing their cells exactly.

Design overview
---------------
- ``read_table`` turns a file (bytes in memory or a path) into a ``Table``: the header (names
  normalised to lower case) and a stream of ``Row`` objects read as they are needed (a file is
  never held whole in memory: a CSV file is checked in one pass over its bytes, then read row by
  row; ``Table.again`` reads the rows once more), each carrying its line number in the file (the
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

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from fanli.common.limits import LINE_NUMBER_MAX, TABLE_MAX_CELL_CHARS, table_max_columns, table_max_rows

PROGRESS_EVERY_ROWS = 10_000

# The csv module refuses a longer field itself, at no cost per row; every CSV Fanli reads is an
# import file, so its one process-wide setting is the cell limit.
csv.field_size_limit(TABLE_MAX_CELL_CHARS)


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
    # The rows after the header once more, from the start of the file (a planner's second pass).
    again: Callable[[], Iterator[Row]] | None = None


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


READ_CHUNK_BYTES = 1024 * 1024


def read_table(*, content: bytes | None = None, path: Path | None = None, filename: str) -> Table:
    """Open ``content`` (or the file at ``path``) as CSV or XLSX according to ``filename``'s extension."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if content is None and path is None:
        raise ValueError("read_table needs content or a path")

    def opened() -> IO[bytes]:
        return io.BytesIO(content) if content is not None else path.open("rb")  # type: ignore[union-attr]

    if suffix in {"xlsx", "xlsm"}:
        size = len(content) if content is not None else path.stat().st_size  # type: ignore[union-attr]
        table = _read_xlsx(opened(), size)
        table.again = lambda: _read_xlsx(opened(), size).rows
        return table
    if suffix in {"csv", "txt", ""}:
        newlines = _csv_check(opened)
        table = _read_csv(opened(), newlines)
        table.again = lambda: _read_csv(opened(), newlines).rows
        return table
    raise FileRefused([RowError(None, None, f"unsupported file type .{suffix} (expected .csv or .xlsx)")])


def _csv_check(opened: Callable[[], IO[bytes]]) -> tuple[int, bool]:
    """One pass over the bytes before any row is read: the file is UTF-8 text without NUL
    characters, or it is refused as a whole (an invalid byte wins over a NUL, wherever they are).
    Answers the number of line feeds and whether the text ends with one (to estimate the rows)."""
    offset = 0  # bytes read so far, after a byte-order mark
    newlines = 0
    first_nul: int | None = None  # the line of the first NUL character
    carry = b""  # the start of a character cut by the end of a chunk
    ends_with_newline = False
    with opened() as source:
        chunk = source.read(len(codecs.BOM_UTF8))
        if chunk == codecs.BOM_UTF8:
            chunk = source.read(READ_CHUNK_BYTES)
        while chunk:
            data = carry + chunk
            try:
                _text, consumed = codecs.utf_8_decode(data, "strict", False)
            except UnicodeDecodeError as error:
                line = newlines + data[: error.start].count(b"\n") + 1
                raise _not_utf8(line, offset - len(carry) + error.start) from None
            if first_nul is None and b"\x00" in chunk:
                first_nul = newlines + chunk[: chunk.index(b"\x00")].count(b"\n") + 1
            newlines += chunk.count(b"\n")
            offset += len(chunk)
            carry = data[consumed:]
            ends_with_newline = chunk.endswith(b"\n")
            chunk = source.read(READ_CHUNK_BYTES)
    if carry:  # the text ends inside a character
        raise _not_utf8(newlines + 1, offset - len(carry))
    if first_nul is not None:
        raise FileRefused([RowError(first_nul, None, "file contains a NUL byte; is it really a CSV file?")])
    return newlines, ends_with_newline


def _not_utf8(line: int, position: int) -> FileRefused:
    return FileRefused([RowError(line, None, f"file is not UTF-8 text (invalid byte at position {position})")])


def _read_csv(source: IO[bytes], newlines: tuple[int, bool]) -> Table:
    max_rows, max_columns = table_max_rows(), table_max_columns()
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    header_line = 0
    try:
        header: list[str] | None = None
        for cells in reader:
            _check_csv_row(reader.line_num, cells, max_columns)
            if any(cell.strip() for cell in cells):
                header = cells
                header_line = reader.line_num
                break
    except csv.Error as error:
        text.close()
        raise FileRefused([RowError(reader.line_num, None, _csv_reason(error))]) from None
    if header is None:
        text.close()
        raise FileRefused([RowError(1, None, "file is empty (no header row)")])
    line_feeds, ends_with_newline = newlines
    estimated = max(line_feeds - header_line + (0 if ends_with_newline else 1), 0)
    return Table(_normalise_header(header), header_line, _csv_rows(text, reader, len(header), max_rows, max_columns),
                 min(estimated, max_rows))


def _csv_reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a cell is longer than {TABLE_MAX_CELL_CHARS:,} characters"
    return f"malformed CSV: {error}"


def _check_csv_row(line: int, cells: list[str], max_columns: int) -> None:
    """Refuse the file for a row wider than the limit or a cell longer than the limit."""
    if len(cells) > max_columns:
        raise FileRefused([RowError(line, None, f"the row has {len(cells):,} columns; at most {max_columns} are read")])
    for cell in cells:
        if len(cell) > TABLE_MAX_CELL_CHARS:
            raise FileRefused([RowError(line, None, f"a cell is longer than {TABLE_MAX_CELL_CHARS:,} characters")])


def _csv_rows(text: IO[str], reader: Any, width: int, max_rows: int, max_columns: int) -> Iterator[Row]:
    """The rows after the header. A row of more than the file's columns is reported, not read
    on; the line limit counts every row read, blank ones too."""
    with text:
        yield from _csv_rows_of(reader, width, max_rows, max_columns)


def _csv_rows_of(reader: Any, width: int, max_rows: int, max_columns: int) -> Iterator[Row]:
    previous_end = reader.line_num
    rows_read = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):  # a bound: the whole file is refused
                raise FileRefused([RowError(previous_end + 1, None, _csv_reason(error))]) from None
            yield Row(previous_end + 1, [], _csv_reason(error))
            return
        line = previous_end + 1
        previous_end = reader.line_num
        rows_read += 1
        if rows_read >= max_rows:
            raise FileRefused([RowError(line, None, _too_many_rows(max_rows))])
        if (not cells or not cells[0]) and not any(cell.strip() for cell in cells):
            continue  # a blank line, or a row of empty cells
        if len(cells) != width:
            _check_csv_row(line, cells, max_columns)
            yield Row(line, cells, f"expected {width} columns, found {len(cells)}")
        else:
            yield Row(line, cells)  # no cell is longer than the limit: the reader's own limit says so


def _too_many_rows(max_rows: int) -> str:
    return f"the file has more than {max_rows:,} rows; split it into files of at most {max_rows:,} rows"


# Parts of a workbook that are read whole (shared strings, styles, the workbook itself): a bound
# on their unpacked size keeps a small "zip bomb" from filling the memory. Worksheets are read
# row by row under ``_XLSX_ROW_MAX_BYTES`` instead.
_XLSX_PART_MAX_BYTES = 256 * 1024 * 1024
_XLSX_MAX_PARTS = 10_000
# The most XML read for one row, and the most XML elements in it (cells, values, rich text runs):
# far above a row of the largest number of the longest cells.
_XLSX_ROW_MAX_BYTES = 32 * 1024 * 1024
_XLSX_ROW_MAX_ELEMENTS = 50_000


def _unreadable(error: BaseException) -> FileRefused:
    name = type(error).__name__
    if name in {"DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden", "NotSupportedError"}:
        return FileRefused([RowError(None, None, "not a readable XLSX workbook: it declares XML entities or a "
                                                 "document type, which are refused; save it again from Excel")])
    return FileRefused([RowError(None, None, f"not a readable XLSX workbook ({name})")])


def _read_xlsx(content: IO[bytes], size: int) -> Table:
    """A workbook's first worksheet, read row by row as the XML really has them: the dimension a
    file declares (``A1:XFD1048576``) is never used, rows and columns are counted as they are
    read, and nothing outside the rows is built."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    max_rows, max_columns = table_max_rows(), table_max_columns()
    try:
        archive = zipfile.ZipFile(content)
        parts = archive.infolist()
        if len(parts) > _XLSX_MAX_PARTS:
            raise FileRefused([RowError(None, None, f"not a readable XLSX workbook ({len(parts):,} parts)")])
        for part in parts:
            if part.file_size > _XLSX_PART_MAX_BYTES and not part.filename.startswith("xl/worksheets/"):
                raise FileRefused([RowError(None, None, f"not a readable XLSX workbook: part {part.filename} "
                                                        f"unpacks to more than {_XLSX_PART_MAX_BYTES:,} bytes")])
        reader = ExcelReader(content, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheet_path = next(rel.target for _sheet, rel in reader.parser.find_sheets()
                          if "chartsheet" not in rel.Type and rel.target in reader.valid_files)
        source = _Budgeted(reader.archive.open(sheet_path))
    except FileRefused:
        raise
    except StopIteration:
        raise FileRefused([RowError(None, None, "not a readable XLSX workbook (no worksheet)")]) from None
    except Exception as error:  # a damaged file can fail anywhere inside the reading library
        raise _unreadable(error) from None
    rows = _xlsx_sheet_rows(reader, source, max_rows, max_columns)
    header: list[str] | None = None
    header_line = 0
    for number, values in rows:
        cells = _xlsx_cells(values)
        if any(cells):
            header = cells
            header_line = number
            break
    if header is None:
        source.close()
        raise FileRefused([RowError(1, None, "workbook is empty (no header row)")])
    estimated = max(min(size // 16, max_rows) - header_line, 0)  # progress only: about 16 bytes a row
    return Table(_normalise_header(header), header_line, _xlsx_rows(source, rows, len(header)), estimated)


class _Budgeted:
    """A file read by the XML parser that refuses more than ``_XLSX_ROW_MAX_BYTES`` between rows."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.since_row = 0
        self.line: int | None = None

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size is not None and size >= 0 else 64 * 1024)
        self.since_row += len(data)
        if self.since_row > _XLSX_ROW_MAX_BYTES:
            raise FileRefused([RowError(self.line, None, f"a row holds more than {_XLSX_ROW_MAX_BYTES:,} bytes of XML")])
        return data

    def close(self) -> None:
        self.raw.close()


def _xlsx_sheet_rows(reader: Any, source: _Budgeted, max_rows: int, max_columns: int) -> Iterator[tuple[int, list]]:
    """``(row number, values)`` for each row element of the sheet, in file order."""
    from openpyxl.worksheet._reader import CELL_TAG, DATA_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    workbook = reader.wb
    parser = WorkSheetParser(source, reader.shared_strings, data_only=True, epoch=workbook.epoch,
                             date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
    rows_read = 0
    elements = 0
    sheet_data = None
    try:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                if element.tag == DATA_TAG:
                    sheet_data = element
                continue
            tag = element.tag
            elements += 1
            if tag == CELL_TAG:
                if elements > _XLSX_ROW_MAX_ELEMENTS:
                    raise FileRefused([RowError(source.line, None, "a row holds more than "
                                                                   f"{_XLSX_ROW_MAX_ELEMENTS:,} XML elements")])
            elif tag == ROW_TAG:
                rows_read += 1
                number, parsed = parser.parse_row(element)
                if rows_read > max_rows:
                    raise FileRefused([RowError(number, None, _too_many_rows(max_rows))])
                if sheet_data is not None:
                    sheet_data.remove(element)
                element.clear()
                elements = 0
                source.since_row = 0
                source.line = number
                yield number, _row_values(number, parsed, max_columns)
            elif tag == DATA_TAG:
                return  # nothing after the rows is needed
            elif elements > _XLSX_ROW_MAX_ELEMENTS:
                raise FileRefused([RowError(source.line, None, f"more than {_XLSX_ROW_MAX_ELEMENTS:,} XML elements "
                                                               "outside the rows")])
    except FileRefused:
        raise
    except Exception as error:  # damaged XML, entities, a bad number: never a traceback
        raise _unreadable(error) from None


def _row_values(number: int, parsed: list[dict[str, Any]], max_columns: int) -> list:
    """The row's values by column, up to its last cell holding a value (styled empty cells are no
    column of the file)."""
    last = 0
    for cell in parsed:
        if cell["value"] is not None and cell["column"] > last:
            last = cell["column"]
    if last > max_columns:
        raise FileRefused([RowError(number, None, f"the row has a value in column {last:,}; at most "
                                                  f"{max_columns} columns are read")])
    values: list = [None] * last
    for cell in parsed:
        column = cell["column"]
        if column <= last and cell["value"] is not None:
            value = cell["value"]
            if isinstance(value, str) and len(value) > TABLE_MAX_CELL_CHARS:
                raise FileRefused([RowError(number, None, f"a cell is longer than {TABLE_MAX_CELL_CHARS:,} "
                                                          "characters")])
            values[column - 1] = value
    return values


def _xlsx_rows(source: _Budgeted, rows: Iterator[tuple[int, list]], width: int) -> Iterator[Row]:
    try:
        for number, values in rows:
            cells = _xlsx_cells(values)
            if not any(cells):
                continue
            if len(cells) > width:
                yield Row(number, cells, f"expected {width} columns, found {len(cells)}")
            else:
                cells.extend([""] * (width - len(cells)))
                yield Row(number, cells)
    finally:
        source.close()


def _xlsx_cells(values: list | tuple) -> list[str]:
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
    if len(whole) > _WHOLE_DIGITS_MAX and whole.lstrip("0")[_WHOLE_DIGITS_MAX:]:
        raise CellError(f"{_shortened(text)} is too large")
    fraction = fraction[:places].ljust(places, "0")
    value = int(whole or "0") * 10**places + int(fraction or "0")
    return -value if sign == "-" else value


# No amount or quantity has more whole digits; longer text is refused before it becomes an int.
_WHOLE_DIGITS_MAX = 18


def _shortened(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}…({len(text):,} characters)"


def parse_bounded(text: str, *, places: int, largest: int, what: str) -> int:
    """``parse_scaled`` within ``-largest..largest`` (scaled units): the bounds that keep every
    sum and product of stored figures inside a 64-bit integer (``fanli.common.limits``)."""
    value = parse_scaled(text, places=places)
    if value > largest or value < -largest:
        whole, fraction = divmod(largest, 10**places)
        limit = f"{whole:,}.{fraction:0{places}d}" if places else f"{whole:,}"
        raise CellError(f"{_shortened(text.strip())} is out of bounds: {what} lies within ±{limit}")
    return value


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise CellError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def parse_positive_int(text: str, *, largest: int = LINE_NUMBER_MAX) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > _WHOLE_DIGITS_MAX or int(value) <= 0:
        raise CellError(f"{_shortened(text)!r} is not a positive whole number")
    if int(value) > largest:
        raise CellError(f"{value} is more than {largest:,}")
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

    def add(self, line: int | None, column: str | None, reason: str) -> None:
        self.total += 1
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
    # Tables ``apply`` fills; their planner statistics are refreshed after a large import.
    tables_written: tuple[Any, ...] = ()  # model classes

    def __init__(self) -> None:
        self.errors = ErrorLog()

    def apply(self, *, batch: Any) -> ImportCounts:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what planning holds in the database (a stage); called once, when the import ends."""


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
