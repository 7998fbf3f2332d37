"""The ``sales`` import kind (CSV and XLSX files of sales lines) and single sales documents.

Design overview
---------------
``plan_sales`` is the planner ``fanli.imports`` runs for ``fanli import sales`` and
``POST /api/imports/sales`` (registered below): it validates every row against lookups
prepared once (dicts keyed by code or SKU, existing documents fetched by number in chunks) and
decides, per document, create / update paid amount / unchanged / rejected, reading only;
``SalesPlan.apply`` writes in the import's transaction.

Sales documents are idempotent by number through ``document_fingerprint``: the same number
with the same fingerprint is unchanged; a different fingerprint is a conflict, never applied;
only a different paid amount on otherwise identical content updates ``paid_minor`` (payments
arrive later); what is paid never exceeds the document's total. A document is atomic: one bad
line rejects all of its lines. Returns are stored with negative quantities and amounts whatever
sign the file used, and take the reversed invoice's date as their ``basis_date``.

A return must name the invoice it reverses and may take back only what that invoice still has
per SKU, in quantity and in amount, after the returns stored before it and those earlier in the
same file: one grouped query answers what the referenced stored invoices have left per (invoice,
SKU). The write locks those invoices and asks again, so two imports at once cannot both take the
last units. An import that allows unmatched returns skips these checks (and says so on its batch).

``sales_document_submit`` runs the same planner over one document given as JSON (the API).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from fanli.accounts.controls import require
from fanli.accounts.selectors import customers_for
from fanli.catalog.models import Product
from fanli.common.bulk import (
    copy_text,
    keys_and_indexes_built_at_end,
    table_rows_insert,
)
from fanli.common.exceptions import Conflict, ValidationFailed
from fanli.common.jobs import runner_here
from fanli.common.limits import DOCUMENT_AMOUNT_MAX_MINOR, QUANTITY_MAX_MILLI
from fanli.common.money import minor_to_major, money_text
from fanli.common.revisions import revisions_bump_sales
from fanli.customers.models import Customer
from fanli.imports.models import ImportBatch
from fanli.imports.registry import ImportKind, ImportRaceLost, WritingAbandoned, import_kind_register
from fanli.imports.services import batch_finish, unmatched_returns_right
from fanli.imports.tabular import (
    PROGRESS_EVERY_ROWS,
    CachedParser,
    CellError,
    Columns,
    ColumnSpec,
    ImportCounts,
    ImportPlan,
    Row,
    RowError,
    Table,
    chunked,
    parse_bounded,
    parse_date,
    parse_positive_int,
    resolve_columns,
)

from .fingerprint import items_fingerprint
from .models import DocumentKind, SalesDocument, SalesLine
from .selectors import sales_document_get

Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)

LOOKUP_CHUNK_NUMBERS = 5_000

SALES_COLUMNS = ColumnSpec(
    required=(
        "document_number", "kind", "document_date", "customer_code",
        "line_number", "sku", "quantity", "unit_price", "net_amount",
    ),
    optional=("currency", "reverses", "due_date", "paid_amount"),
)
# Columns repeated on every line of a document; they must agree across its lines.
DOCUMENT_COLUMNS = ("kind", "document_date", "customer_code", "currency", "reverses", "due_date", "paid_amount")

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
NUMBER_MAX_LENGTH = SalesDocument._meta.get_field("number").max_length or 60


# --------------------------------------------------------------------------- sales planning


@dataclass(slots=True)
class DocumentDraft:
    number: str
    first_line: int
    header_texts: tuple[str, ...] | None
    raw_header: tuple[str, ...] | None = None
    kind: str = ""
    document_date: date | None = None
    customer_id: int = 0
    customer_code: str = ""
    currency: str = ""
    reverses_number: str | None = None
    due_date: date | None = None
    paid_minor: int = 0
    # (line_number, sku, product_id, quantity_milli, unit_price_minor, net_amount_minor)
    lines: list[tuple[int, str, int, int, int, int]] = field(default_factory=list)
    line_numbers: dict[int, int] = field(default_factory=dict)
    row_count: int = 0
    rejected: bool = False
    # (line, column, reason) of this document's rows, reported once the document is complete
    errors: list[tuple[int | None, str | None, str]] = field(default_factory=list)

    @property
    def total_minor(self) -> int:
        return sum(line[5] for line in self.lines)

    def error(self, line: int | None, column: str | None, reason: str) -> None:
        self.errors.append((line, column, reason))


@dataclass(frozen=True, slots=True)
class StoredDocument:
    id: int
    number: str
    kind: str
    document_date: date
    customer_id: int
    content_sha256: str
    paid_minor: int


# The stage: temporary tables of one sales import (they live as long as the database connection
# and are dropped when the import ends). One row per document, or per run of lines of a document
# whose lines are not next to each other in the file until those runs are merged; one row per line
# of a document without errors. ``line_from``..``line_to`` are the document's lines' ids.
_DOCUMENTS = "fanli_import_document"
_LINES = "fanli_import_line"
_CLAIMS = "fanli_import_claim"
_DOCUMENT_COLUMNS = (
    "key", "number", "first_line", "kind", "document_date", "basis_date", "customer_id", "customer_code", "currency",
    "reverses_number", "due_date", "paid_minor", "total_minor", "fingerprint", "row_count", "line_count", "rejected",
    "errors", "line_from", "line_to", "outcome",
)
_LINE_COLUMNS = ("id", "key", "line_number", "product_id", "quantity_milli", "unit_price_minor", "net_amount_minor",
                 "line")
STAGE_CHUNK_LINES = 10_000
COPY_WRITE_LINES = 2_000
SPLIT_NUMBERS_AT_ONCE = 20_000
RETURN_INVOICES_AT_ONCE = 2_000
BULK_LINES_MIN = 100_000  # see ``_bulk_load``


def _stage_create() -> None:
    integer_key = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "bigint PRIMARY KEY"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # The import's memory stays small whatever the file: its page cache is bounded, and
            # (outside a transaction, where it may be changed) its stage goes to temporary files.
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_IMPORT_CACHE_KIB}")
            if not connection.in_atomic_block:
                cursor.execute("PRAGMA temp_store=FILE")
        for table in (_DOCUMENTS, _LINES, _CLAIMS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_DOCUMENTS} (key {integer_key}, number varchar(200) NOT NULL, "
            "first_line integer NOT NULL, kind varchar(20) NOT NULL, document_date date, basis_date date, "
            "customer_id bigint, customer_code varchar(200), currency varchar(10), reverses_number varchar(200), "
            "due_date date, paid_minor bigint NOT NULL, total_minor bigint NOT NULL, fingerprint varchar(64), "
            "row_count integer NOT NULL, line_count integer NOT NULL, rejected boolean NOT NULL, errors text, "
            "line_from bigint, line_to bigint, outcome varchar(20), existing_id bigint, reverses_id bigint)"
        )
        line_id = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "bigint NOT NULL"
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_LINES} (id {line_id}, key bigint NOT NULL, line_number integer NOT NULL, "
            "product_id bigint NOT NULL, quantity_milli bigint NOT NULL, unit_price_minor bigint NOT NULL, "
            "net_amount_minor bigint NOT NULL, line integer NOT NULL)"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_CLAIMS} (invoice_id bigint NOT NULL, product_id bigint NOT NULL, "
            "quantity_milli bigint NOT NULL, amount_minor bigint NOT NULL)"
        )


def _stage_drop() -> None:
    with connection.cursor() as cursor:
        for table in (_DOCUMENTS, _LINES, _CLAIMS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA cache_size = {_SQLITE_CACHE_SIZE}")
            if not connection.in_atomic_block:
                cursor.execute(f"PRAGMA temp_store={_SQLITE_TEMP_STORE}")


# How the connection is configured (``fanli.settings``), restored when an import ends.
_SQLITE_TEMP_STORE = "MEMORY"
_SQLITE_CACHE_SIZE = -200_000
_SQLITE_IMPORT_CACHE_KIB = 32_000


def _fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _execute(sql: str, params: Iterable[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def _placeholders(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


class _Stager:
    """Receives complete documents from the row reader and writes them to the stage in chunks."""

    def __init__(self, plan: SalesPlan) -> None:
        self.plan = plan
        self.documents: list[tuple[Any, ...]] = []
        self.lines: list[tuple[Any, ...]] = []
        self.adapt_date = connection.ops.adapt_datefield_value
        self.direct = plan.direct

    def document(self, draft: DocumentDraft) -> None:
        """Check what needs the whole document (its total, its paid amount) and stage it."""
        if not draft.rejected and len(draft.lines) >= 2:
            total = draft.total_minor
            if total > DOCUMENT_AMOUNT_MAX_MINOR or total < -DOCUMENT_AMOUNT_MAX_MINOR:
                draft.rejected = True
                draft.error(draft.first_line, "net_amount",
                            f"document {draft.number} totals {money_text(abs(total))}: a document's total lies "
                            f"within ±{money_text(DOCUMENT_AMOUNT_MAX_MINOR)}; split it into several documents")
        total_minor = draft.total_minor
        if draft.paid_minor and not draft.rejected and abs(draft.paid_minor) > abs(total_minor):
            what = "return" if draft.kind == DocumentKind.RETURN else "invoice"
            draft.error(draft.first_line, "paid_amount",
                        f"paid amount {minor_to_major(abs(draft.paid_minor))} is more than the {what} total "
                        f"{minor_to_major(abs(total_minor))} of document {draft.number}")
            draft.rejected = True
        plan = self.plan
        key = plan.next_key
        plan.next_key += 1
        fingerprint = None
        line_from = line_to = None
        outcome: str | None = None if draft.rejected else "create"  # until _decide_outcomes finds it stored
        if not draft.rejected:
            assert draft.document_date is not None  # a draft without a valid date is rejected
            fingerprint = items_fingerprint(
                number=draft.number, kind=draft.kind, document_date=draft.document_date,
                customer_code=draft.customer_code, currency=draft.currency, reverses_number=draft.reverses_number,
                due_date=draft.due_date,
                items=[(number, sku, quantity, price, amount) for number, sku, _id, quantity, price, amount in draft.lines],
            )
        if self.direct is not None and not draft.rejected and draft.kind == DocumentKind.INVOICE:
            # written already: the checks after the read find it in the document table
            assert fingerprint is not None
            self.direct.document(draft, fingerprint, total_minor)
            if self.direct.pending_documents() >= STAGE_CHUNK_LINES:
                self.flush()
            return
        elif not draft.rejected:
            line_from = plan.next_line
            line_numbers = draft.line_numbers
            append = self.lines.append
            line_id = line_from
            for line_number, _sku, product_id, quantity_milli, unit_price_minor, net_amount_minor in draft.lines:
                append((line_id, key, line_number, product_id, quantity_milli, unit_price_minor, net_amount_minor,
                        line_numbers[line_number]))
                line_id += 1
            plan.next_line = line_id
            line_to = line_id - 1
        adapt_date = self.adapt_date
        document_date = adapt_date(draft.document_date)
        self.documents.append((
            key, draft.number, draft.first_line, draft.kind, document_date, document_date, draft.customer_id or None,
            draft.customer_code, draft.currency, draft.reverses_number, adapt_date(draft.due_date), draft.paid_minor,
            total_minor, fingerprint, draft.row_count, len(draft.lines), draft.rejected,
            json.dumps(draft.errors) if draft.errors else None, line_from, line_to, outcome,
        ))
        if len(self.lines) >= STAGE_CHUNK_LINES or len(self.documents) >= STAGE_CHUNK_LINES:
            self.flush()

    def flush(self) -> None:
        if self.direct is not None:  # the sender's thread writes while the rows are read
            self.direct.segment_end()
            if self.documents:
                self.direct.stage(_DOCUMENTS, _DOCUMENT_COLUMNS, self.documents)
            if self.lines:
                self.direct.stage(_LINES, _LINE_COLUMNS, self.lines)
            self.documents, self.lines = [], []
            return
        if self.documents:
            table_rows_insert(_DOCUMENTS, _DOCUMENT_COLUMNS, self.documents)
            self.documents = []
        if self.lines:
            table_rows_insert(_LINES, _LINE_COLUMNS, self.lines)
            self.lines = []


class SalesPlan(ImportPlan):
    """A sales file checked into the stage; ``apply`` writes what it accepted, set-wise."""

    tables_written = (SalesDocument, SalesLine)

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[str] = []  # numbers imported before with other content (the first 100)
        self.has_claims = False
        self.next_key = 1
        self.next_line = 1
        self.staged = False
        self.direct: _DirectWriter | None = None  # writing invoices while the file is read
        self.writing_batch_id: int | None = None  # the batch those invoices were written for
        self.lines_written = 0  # their lines
        self.bulk: ExitStack | None = None  # the sales tables' keys and plain indexes, built at the end

    def close(self) -> None:
        rolled_back = self.bulk is not None  # written while read but not applied: all of it goes
        if self.direct is not None:
            self.direct.abort()
            self.direct = None
        if self.bulk is not None:
            self.bulk.pop_all()  # nothing to build: the transaction is rolled back
            self.bulk = None
        if self.staged:
            self.staged = False
            if rolled_back:
                return  # the stage was made in that transaction and goes with it
            try:
                _stage_drop()
            except DatabaseError:  # a failed transaction rolls the stage back with it
                log.warning("the import stage could not be dropped", exc_info=True)

    def document_outcome(self, number: str) -> tuple[str, str]:
        """``(outcome, fingerprint)`` of the document ``number`` (create, update_paid, unchanged)."""
        rows = _fetch(f"SELECT outcome, fingerprint FROM {_DOCUMENTS} WHERE number = %s AND NOT rejected", [number])
        return rows[0][0], rows[0][1]

    def apply(self, *, batch: ImportBatch) -> ImportCounts:
        counts = ImportCounts()
        if self.has_claims:
            _claims_still_hold()
        new_lines = _fetch(f"SELECT COALESCE(SUM(line_count), 0) FROM {_DOCUMENTS} "
                           "WHERE outcome = 'create' AND NOT rejected")[0][0]
        if self.bulk is not None:  # written while read: the tables' keys and indexes are down already
            _insert_documents(batch=batch)
            _insert_lines(batch=batch)
        elif _bulk_load(int(new_lines)):
            with keys_and_indexes_built_at_end(SalesDocument, SalesLine):
                _insert_documents(batch=batch)
                _insert_lines(batch=batch)
        else:
            _insert_documents(batch=batch)
            _insert_lines(batch=batch)
        _execute(
            "UPDATE sales_salesdocument SET paid_minor = (SELECT stage.paid_minor FROM "
            f"{_DOCUMENTS} stage WHERE stage.existing_id = sales_salesdocument.id AND stage.outcome = 'update_paid' "
            "AND NOT stage.rejected) WHERE id IN (SELECT existing_id FROM "
            f"{_DOCUMENTS} WHERE outcome = 'update_paid' AND NOT rejected)"
        )
        _revisions_bump(batch=batch)
        for outcome, lines in _fetch(f"SELECT outcome, SUM(line_count) FROM {_DOCUMENTS} WHERE NOT rejected "
                                     "GROUP BY outcome"):
            if outcome == "create":
                counts.created += int(lines)
            elif outcome == "update_paid":
                counts.updated = int(lines)
            elif outcome == "unchanged":
                counts.unchanged = int(lines)
        counts.created += self.lines_written
        if self.bulk is not None:
            bulk, self.bulk = self.bulk, None
            bulk.close()  # the keys and indexes built once over every row
        return counts


_LINE_COPY = ("COPY sales_salesline (document_id, line_number, product_id, quantity_milli, unit_price_minor, "
              "net_amount_minor, customer_id, basis_date, is_return) FROM STDIN")
_DOCUMENT_COPY = ("COPY sales_salesdocument (id, number, kind, document_date, basis_date, customer_id, currency, "
                  "total_minor, due_date, paid_minor, content_sha256, batch_id, recorded_at) FROM STDIN")
SENDER_JOBS_AHEAD = 16  # chunks of rows waiting for the sender at most (a few MB)


class _Sender:
    """Sends a direct load's rows to the server from a thread of its own, on the import's own
    connection and transaction, so that Python parses the next rows while the server takes these
    (it waits on the network, not on Python). Jobs run in order: ``("lines", text)`` into a
    ``COPY`` of the line table kept open between jobs, ``("documents", text)`` in a ``COPY`` of
    their own under a savepoint (a number stored already answers ``WritingAbandoned``),
    ``("stage", table, columns, rows)`` for the stage. The caller touches the connection only
    after ``sync``; an error in the thread is raised there."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.jobs: queue.Queue[Any] = queue.Queue(maxsize=SENDER_JOBS_AHEAD)
        self.error: BaseException | None = None
        self.copy_block: Any = None
        self.copy: Any = None
        self.cursor: Any = None
        self.thread = threading.Thread(target=self._run, name="fanli-import-sender", daemon=True)
        self.thread.start()

    def put(self, job: tuple[Any, ...]) -> None:
        if self.error is not None:
            self._raise()
        while True:
            try:
                self.jobs.put(job, timeout=1)
                return
            except queue.Full:
                self._alive()

    def sync(self) -> None:
        """Wait until the server has everything sent so far; the connection is the caller's again."""
        done = threading.Event()
        self.put(("sync", done))
        while not done.wait(timeout=1):
            self._alive()
        if self.error is not None:
            self._raise()

    def _alive(self) -> None:
        if not self.thread.is_alive():  # never expected: every error is kept for the caller
            raise RuntimeError("the sales import's sending thread ended unexpectedly")

    def stop(self) -> None:
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()

    def _raise(self) -> None:
        error = self.error
        if isinstance(error, WritingAbandoned):
            raise error
        with connection.wrap_database_errors:  # psycopg's errors as Django's, as on any other path
            raise error  # type: ignore[misc]

    def _lines_end(self, error: BaseException | None = None) -> None:
        if self.copy_block is not None:
            copy_block, cursor = self.copy_block, self.cursor
            self.copy = self.copy_block = self.cursor = None
            try:
                copy_block.__exit__(type(error) if error else None, error, None)
            finally:
                cursor.close()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None or job[0] == "sync":
                if self.error is None or job is None:
                    try:
                        self._lines_end(self.error)
                    except BaseException as error:  # a cut COPY is reported; the rollback follows
                        self.error = self.error or error
                if job is None:
                    return
                job[1].set()
                continue
            if self.error is not None:
                continue  # drained: the caller hears of the error at its next sync
            try:
                self._do(job)
            except BaseException as error:
                self.error = error

    def _do(self, job: tuple[Any, ...]) -> None:
        kind = job[0]
        if kind == "lines":
            if self.copy is None:
                self.cursor = self.raw.cursor()
                self.copy_block = self.cursor.copy(_LINE_COPY)
                self.copy = self.copy_block.__enter__()
            self.copy.write(job[1])
            return
        self._lines_end()
        with self.raw.cursor() as cursor:
            if kind == "documents":
                cursor.execute("SAVEPOINT fanli_import_documents")
                try:
                    with cursor.copy(_DOCUMENT_COPY) as copy:
                        copy.write(job[1])
                except psycopg.errors.UniqueViolation:
                    # The tables are locked for this transaction, so the number was stored before
                    # it began (or is repeated in the file): its outcome needs the usual way.
                    cursor.execute("ROLLBACK TO SAVEPOINT fanli_import_documents")
                    self.error = WritingAbandoned("a document of the file is stored already")
                    return
                cursor.execute("RELEASE SAVEPOINT fanli_import_documents")
            else:
                _kind, table, columns, rows = job
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)


class _DirectWriter:
    """Writes accepted invoices straight into the sales tables while the file is still being read:
    a large load on PostgreSQL, in one transaction with the rest of the import (see
    ``_writes_while_reading``). Their lines and, at the end of each stage segment, the documents
    go to the server through ``_Sender``'s thread while Python parses the next rows; document ids
    are taken beforehand as one range of the table's sequence (the tables are locked for the
    import, so no one else takes any; what is left over is given back at the end).

    Only invoices whose every row passed are written here; returns, and documents with errors,
    are staged as usual (a file with an error is rolled back whole anyway). A number already
    stored, or repeated in the file, gives the file up to the usual way (``WritingAbandoned``):
    those need the stage's outcomes (unchanged, paid amount changed, conflict, split documents).
    """

    def __init__(self, batch: ImportBatch, *, estimated_lines: int) -> None:
        with connection.cursor() as cursor:  # no other import writes documents until this one ends
            cursor.execute("LOCK TABLE sales_salesdocument, sales_salesline IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_get_serial_sequence('sales_salesdocument', 'id')")
            self.sequence = cursor.fetchone()[0]
        self.first_id = self.next_id = self.last_id = 0
        self._ids_take(max(estimated_lines, STAGE_CHUNK_LINES))  # a document has a line at least
        self.batch_id = batch.pk
        self.recorded_at = timezone.now().isoformat()
        self.documents: list[str] = []  # in COPY's text format
        self.pending: list[str] = []  # lines not yet handed to the sender
        self.numbers: set[str] = set()  # of the documents of this segment
        self.lines_written = 0
        self.sender = _Sender(connection.connection)

    def _ids_take(self, count: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s::regclass)", [self.sequence])
            first = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s::regclass, %s)", [self.sequence, first + count - 1])
        if not self.first_id:
            self.first_id = self.next_id = first
        elif first != self.last_id + 1:
            raise WritingAbandoned("the document ids are not one range")  # someone took ids meanwhile
        self.last_id = first + count - 1

    def document(self, draft: DocumentDraft, fingerprint: str, total_minor: int) -> int:
        if self.next_id > self.last_id:  # more documents than lines were expected: take more ids
            self.sender.sync()
            self._ids_take(STAGE_CHUNK_LINES)
        document_id = self.next_id
        self.next_id += 1
        if draft.number in self.numbers:  # apart in the file (stored numbers are found per segment)
            raise WritingAbandoned(f"document {draft.number} appears twice in the file")
        self.numbers.add(draft.number)
        day = draft.document_date.isoformat()  # type: ignore[union-attr]
        due = draft.due_date.isoformat() if draft.due_date else "\\N"
        self.documents.append(
            f"{document_id}\t{copy_text(draft.number)}\tinvoice\t{day}\t{day}\t{draft.customer_id}\t"
            f"{copy_text(draft.currency)}\t{total_minor}\t{due}\t{draft.paid_minor}\t{fingerprint}\t{self.batch_id}\t"
            f"{self.recorded_at}\n")
        # COPY's text format written out here: every value is a number or a date, nothing to escape
        # (psycopg's write_row adapts value by value, which costs more than the server's insert)
        tail = f"\t{draft.customer_id}\t{day}\tf\n"
        self.pending.extend([
            f"{document_id}\t{line_number}\t{product_id}\t{quantity_milli}\t{unit_price_minor}\t{net_amount_minor}{tail}"
            for line_number, _sku, product_id, quantity_milli, unit_price_minor, net_amount_minor in draft.lines])
        if len(self.pending) >= COPY_WRITE_LINES:
            self.sender.put(("lines", "".join(self.pending)))
            self.pending = []
        self.lines_written += len(draft.lines)
        return document_id

    def pending_documents(self) -> int:
        return len(self.documents)

    def segment_end(self) -> None:
        """Send the lines and documents read since the last segment."""
        if self.pending:
            self.sender.put(("lines", "".join(self.pending)))
            self.pending = []
        if self.documents:
            self.sender.put(("documents", "".join(self.documents)))
            self.documents = []
            self.numbers = set()

    def stage(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.sender.put(("stage", table, columns, rows))

    def finish(self) -> None:
        """Everything read is on the server: the thread ends, the ids not used go back."""
        self.segment_end()
        self.sender.sync()
        self.sender.stop()
        with connection.cursor() as cursor:
            if self.next_id > self.first_id:
                cursor.execute("SELECT setval(%s::regclass, %s)", [self.sequence, self.next_id - 1])
            else:
                cursor.execute("SELECT setval(%s::regclass, %s, false)", [self.sequence, self.first_id])

    def abort(self) -> None:
        """Stop sending (an error while reading): the transaction is rolled back."""
        self.pending, self.documents = [], []
        if self.sender.error is None:
            self.sender.error = WritingAbandoned("import stopped")
        self.sender.stop()


def _writes_while_reading(table: Table, partial: bool) -> bool:
    """A large all-or-nothing load on PostgreSQL is written as it is read (``_DirectWriter``)."""
    return not partial and connection.vendor == "postgresql" and _bulk_load(table.estimated_row_count)


def _bulk_load(new_lines: int) -> bool:
    """A load of at least ``BULK_LINES_MIN`` lines and at least half as many as the line table
    holds is written with the document and line tables' plain indexes (and on PostgreSQL their
    foreign keys) built once at the end (``keys_and_indexes_built_at_end``) instead of row by row;
    the unique document numbers and (document, line number) pairs are checked as rows arrive."""
    if new_lines < BULK_LINES_MIN:
        return False
    held = _fetch("SELECT MAX(id) FROM sales_salesline")[0][0] or 0
    return new_lines * 2 >= held


def _revisions_bump(*, batch: ImportBatch) -> None:
    """Tell settlement which months changed: the basis months of the batch's new documents, and
    (for paid-basis policies) those of documents whose paid amount changed. Grouped queries over
    the documents, one counter raise per month whatever the number of lines."""
    revisions_bump_sales(
        SalesDocument.objects.filter(batch=batch).order_by().values_list("basis_date", flat=True).distinct()
    )
    paid_days = _fetch(
        "SELECT DISTINCT document.basis_date FROM sales_salesdocument document WHERE document.id IN "
        f"(SELECT existing_id FROM {_DOCUMENTS} WHERE outcome = 'update_paid' AND NOT rejected)"
    )
    revisions_bump_sales({_as_date(day) for (day,) in paid_days}, paid=True)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _insert_documents(*, batch: ImportBatch) -> None:
    """Insert the new documents in one statement. A return of an invoice of the same file points
    at it once both are in (found by number: the stage never reads the new ids back)."""
    recorded_at = connection.ops.adapt_datetimefield_value(timezone.now())
    _execute(
        "INSERT INTO sales_salesdocument (number, kind, document_date, basis_date, customer_id, currency, reverses_id, "
        "total_minor, due_date, paid_minor, content_sha256, batch_id, recorded_at) "
        "SELECT number, kind, document_date, basis_date, customer_id, currency, reverses_id, total_minor, due_date, "
        f"paid_minor, fingerprint, %s, %s FROM {_DOCUMENTS} WHERE outcome = 'create' AND NOT rejected "
        "ORDER BY first_line",
        [batch.pk, recorded_at],
    )
    _execute(
        "UPDATE sales_salesdocument SET reverses_id = (SELECT invoice.id FROM "
        f"{_DOCUMENTS} stage JOIN sales_salesdocument invoice ON invoice.number = stage.reverses_number "
        "WHERE stage.number = sales_salesdocument.number) "
        f"WHERE batch_id = %s AND number IN (SELECT number FROM {_DOCUMENTS} WHERE outcome = 'create' "
        "AND NOT rejected AND reverses_id IS NULL AND reverses_number IS NOT NULL)",
        [batch.pk],
    )


def _insert_lines(*, batch: ImportBatch) -> None:
    """Every line of the new documents, in one ``INSERT … SELECT`` from the stage, each joined to
    its new document by number."""
    is_return = "stage.kind = 'return'"
    _execute(
        "INSERT INTO sales_salesline (document_id, line_number, product_id, quantity_milli, unit_price_minor, "
        "net_amount_minor, customer_id, basis_date, is_return) "
        "SELECT document.id, line.line_number, line.product_id, line.quantity_milli, line.unit_price_minor, "
        f"line.net_amount_minor, stage.customer_id, stage.basis_date, {is_return} "
        f"FROM {_DOCUMENTS} stage JOIN sales_salesdocument document ON document.number = stage.number "
        f"AND document.batch_id = %s JOIN {_LINES} line ON line.key = stage.key "
        "AND line.id BETWEEN stage.line_from AND stage.line_to "
        "WHERE stage.outcome = 'create' AND NOT stage.rejected",
        [batch.pk],
    )


def plan_sales(
    *, table: Table, partial: bool, progress: Progress | None = None, customers: QuerySet[Customer] | None = None,
    allow_unmatched_returns: bool = False, writing_batch: ImportBatch | None = None,
) -> SalesPlan:
    columns = resolve_columns(table, SALES_COLUMNS)
    return plan_sales_rows(rows=table.rows, columns=columns, estimated_rows=table.estimated_row_count,
                           progress=progress, customers=customers, allow_unmatched_returns=allow_unmatched_returns,
                           rows_again=table.again, writing_batch=writing_batch)


def plan_sales_rows(
    *, rows: Iterable[Row], columns: Columns, estimated_rows: int, progress: Progress | None = None,
    customers: QuerySet[Customer] | None = None, allow_unmatched_returns: bool = False,
    rows_again: Callable[[], Iterable[Row]] | None = None, writing_batch: ImportBatch | None = None,
) -> SalesPlan:
    """Validate sales lines and decide each document's outcome into the stage; writes nothing
    but the stage (the caller closes the plan). ``customers``: those the importing user may
    reach (default all); a row naming any other reads as unknown. ``rows_again`` reads the rows
    once more (a file whose documents' lines are apart is read twice); default: ``rows`` again.

    ``writing_batch`` (inside the import's transaction, PostgreSQL): write the invoices that pass
    straight into the sales tables while reading (``_DirectWriter``), for that batch."""
    plan = SalesPlan()
    if writing_batch is not None:
        plan.bulk = ExitStack()
        plan.bulk.enter_context(keys_and_indexes_built_at_end(SalesDocument, SalesLine))
        plan.direct = _DirectWriter(writing_batch, estimated_lines=estimated_rows)
        plan.writing_batch_id = writing_batch.pk
    _stage_create()
    plan.staged = True
    try:
        stager = _Stager(plan)
        reader = _SalesRowReader(plan=plan, columns=columns, customers=customers, stager=stager)
        done = 0
        read = reader.read
        for row in rows:
            read(row)
            done += 1
            if progress is not None and done % PROGRESS_EVERY_ROWS == 0:
                progress(done, max(done, estimated_rows))
        reader.finish()
        stager.flush()
        plan.rows_total = done
        if plan.direct is not None:
            plan.direct.finish()
            plan.lines_written = plan.direct.lines_written
            plan.direct = None  # every invoice is written; the rest works on the stage
        _stage_index()
        if plan.writing_batch_id is not None and _fetch(
                f"SELECT 1 FROM {_DOCUMENTS} stage JOIN sales_salesdocument written ON written.number = stage.number "
                "AND written.batch_id = %s LIMIT 1", [plan.writing_batch_id]):
            raise WritingAbandoned("a number of the file is both written and staged")
        _merge_split_documents(plan, reader=reader, again=rows_again or (lambda: rows))
        _report_document_errors(plan)
        _decide_outcomes(plan)
        _resolve_reversals(plan, reachable_ids=set(reader.customers.values()))
        if not allow_unmatched_returns:
            _check_returns(plan, skus={product_id: sku for sku, product_id in reader.products.items()})
        rejected = _fetch(f"SELECT COALESCE(SUM(row_count), 0) FROM {_DOCUMENTS} WHERE rejected")[0][0]
        plan.rows_rejected = reader.rows_without_document + int(rejected)
    except BaseException:
        plan.close()
        raise
    return plan


def _stage_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX {_DOCUMENTS}_number ON {_DOCUMENTS} (number)")
        cursor.execute(f"CREATE INDEX {_DOCUMENTS}_first_line ON {_DOCUMENTS} (first_line)")
        cursor.execute(f"CREATE INDEX {_DOCUMENTS}_reverses ON {_DOCUMENTS} (reverses_number) "
                       "WHERE reverses_number IS NOT NULL")
        if connection.vendor == "postgresql":
            # Nothing analyses temporary tables by itself: without statistics the planner may join
            # the stage row by row (a quarter of an hour at a million lines).
            cursor.execute(f"ANALYZE {_DOCUMENTS}, {_LINES}")


def _merge_split_documents(plan: SalesPlan, *, reader: _SalesRowReader, again: Callable[[], Iterable[Row]]) -> None:
    """A document whose lines are apart in the file was staged as several runs: read the file once
    more for such documents (a slice of them at a time) and stage each one whole instead."""
    while True:
        numbers = [number for (number,) in _fetch(
            f"SELECT number FROM {_DOCUMENTS} GROUP BY number HAVING COUNT(*) > 1 ORDER BY number "
            f"LIMIT {SPLIT_NUMBERS_AT_ONCE}")]
        if not numbers:
            return
        for chunk in chunked(numbers, LOOKUP_CHUNK_NUMBERS):
            marks = _placeholders(chunk)
            _execute(f"DELETE FROM {_LINES} WHERE key IN (SELECT key FROM {_DOCUMENTS} WHERE number IN ({marks}))",
                     chunk)
            _execute(f"DELETE FROM {_DOCUMENTS} WHERE number IN ({marks})", chunk)
        stager = _Stager(plan)
        whole = _SalesRowReader(plan=plan, columns=reader.columns, customers=None, stager=stager, only=set(numbers),
                                lookups=reader)
        for row in again():
            whole.read(row)
        whole.finish()
        stager.flush()


def _report_document_errors(plan: SalesPlan) -> None:
    for (errors,) in _fetch(f"SELECT errors FROM {_DOCUMENTS} WHERE errors IS NOT NULL ORDER BY first_line"):
        for line, column, reason in json.loads(errors):
            plan.errors.add(line, column, reason)


class _SalesRowReader:
    """Turns rows into ``DocumentDraft``s; the hot loop of a sales import.

    A document is complete when a row of another document follows (``only`` None: the usual
    file, each document's lines together) or at the end of the rows (``only``: the documents
    read again because their lines are apart); each complete document goes to the stager.

    Cell texts repeat (dates, prices, quantities), so each parser keeps a dict from text to
    result (an int, a date or the ``CellError`` to report); the lines of one document repeat
    their header cells, which are compared as raw text before anything is parsed again.
    """

    def __init__(self, *, plan: SalesPlan, columns: Columns, customers: QuerySet[Customer] | None = None,
                 stager: _Stager, only: set[str] | None = None, lookups: _SalesRowReader | None = None) -> None:
        self.plan = plan
        self.stager = stager
        self.only = only
        self.columns = columns
        self.drafts: dict[str, DocumentDraft] = {}
        self.customers: dict[str, int]
        self.products: dict[str, int]
        if lookups is not None:
            self.customers, self.products = lookups.customers, lookups.products
        else:
            self.customers = dict((Customer.objects.all() if customers is None else customers)
                                  .values_list("code", "id"))
            self.products = dict(Product.objects.values_list("sku", "id"))
        self.default_currency = getattr(settings, "FANLI_CURRENCY", "CNY")
        self.parse_money = CachedParser(_parse_money)
        self.parse_date = CachedParser(parse_date)
        self.money_cache: dict[str, int | CellError] = {}
        self.quantity_cache: dict[str, int | CellError] = {}
        self.line_number_cache: dict[str, int | CellError] = {}
        index = columns.index
        self.number_index = index("document_number")
        self.header_indexes = tuple(index(name) for name in DOCUMENT_COLUMNS)
        present = [position for position in self.header_indexes if position >= 0]
        self.raw_header = itemgetter(self.number_index, *present)
        self.line_cells = itemgetter(
            index("line_number"), index("sku"), index("quantity"), index("unit_price"), index("net_amount")
        )
        self.rows_without_document = 0

    def finish(self) -> None:
        for draft in self.drafts.values():
            self.stager.document(draft)
        self.drafts = {}

    def _open(self, number: str, line: int, header_texts: tuple[str, ...] | None,
              raw_header: tuple[str, ...] | None) -> DocumentDraft:
        if self.only is None and self.drafts:
            self.finish()  # the lines of the document before are complete
        draft = DocumentDraft(number=number, first_line=line, header_texts=header_texts, raw_header=raw_header)
        self.drafts[number] = draft
        return draft

    def read(self, row: Row) -> None:
        cells = row.cells
        line = row.line
        if row.problem is not None:
            number = cells[self.number_index].strip() if self.number_index < len(cells) else ""
            if self.only is not None and number not in self.only:
                return
            self._reject(number, line, row.problem)
            return
        raw_header = self.raw_header(cells)
        number = raw_header[0].strip()
        if self.only is not None and number not in self.only:
            return
        if not number:
            self.plan.errors.add(line, "document_number", "required")
            self.rows_without_document += 1
            return
        draft = self.drafts.get(number)
        if draft is None:
            header_texts = tuple(cells[i].strip() if i >= 0 else "" for i in self.header_indexes)
            draft = self._open(number, line, header_texts, raw_header)
            self._read_header(draft, line, header_texts)
            if len(number) > NUMBER_MAX_LENGTH:
                draft.error(line, "document_number", f"longer than {NUMBER_MAX_LENGTH} characters")
                draft.rejected = True
        elif raw_header != draft.raw_header:
            header_texts = tuple(cells[i].strip() if i >= 0 else "" for i in self.header_indexes)
            if draft.header_texts is None:
                draft.header_texts = header_texts
            elif header_texts != draft.header_texts:
                for name, mine, theirs in zip(DOCUMENT_COLUMNS, header_texts, draft.header_texts, strict=True):
                    if mine != theirs:
                        draft.error(
                            line, name,
                            f"{mine!r} differs from {theirs!r} on line {draft.first_line} of document {number}",
                        )
                draft.rejected = True
        draft.row_count += 1
        line_number_text, sku, quantity_text, unit_price_text, net_amount_text = self.line_cells(cells)
        line_number = self.line_number_cache.get(line_number_text)
        if line_number is None:
            line_number = _parse_into(self.line_number_cache, line_number_text, parse_positive_int)
        quantity_milli = self.quantity_cache.get(quantity_text)
        if quantity_milli is None:
            quantity_milli = _parse_into(self.quantity_cache, quantity_text, _parse_quantity)
        unit_price_minor = self.money_cache.get(unit_price_text)
        if unit_price_minor is None:
            unit_price_minor = _parse_into(self.money_cache, unit_price_text, _parse_money)
        net_amount_minor = self.money_cache.get(net_amount_text)
        if net_amount_minor is None:
            net_amount_minor = _parse_into(self.money_cache, net_amount_text, _parse_money)
        product_id = self.products.get(sku)
        if (
            product_id is not None
            and line_number.__class__ is int
            and quantity_milli.__class__ is int
            and unit_price_minor.__class__ is int
            and net_amount_minor.__class__ is int
            and unit_price_minor >= 0
            and line_number not in draft.line_numbers
        ):
            # The common case: every cell valid, only the signs left to check.
            if draft.kind == "invoice":
                if quantity_milli >= 0 and net_amount_minor >= 0:
                    draft.line_numbers[line_number] = line
                    draft.lines.append((line_number, sku, product_id, quantity_milli, unit_price_minor, net_amount_minor))
                    return
            elif draft.kind == "return":
                draft.line_numbers[line_number] = line
                draft.lines.append(
                    (line_number, sku, product_id, -abs(quantity_milli), unit_price_minor, -abs(net_amount_minor))
                )
                return
        self._read_line(draft, line, self.line_cells(cells))

    def _reject(self, number: str, line: int, problem: str) -> None:
        if not number:
            self.plan.errors.add(line, None, problem)
            self.rows_without_document += 1
            return
        draft = self.drafts.get(number)
        if draft is None:
            draft = self._open(number, line, None, None)
        draft.error(line, None, problem)
        draft.row_count += 1
        draft.rejected = True

    def _read_header(self, draft: DocumentDraft, line: int, texts: tuple[str, ...]) -> None:
        kind_text, date_text, customer_text, currency_text, reverses_text, due_text, paid_text = texts
        error = draft.error
        ok = True
        kind = kind_text.lower()
        if kind not in (DocumentKind.INVOICE, DocumentKind.RETURN):
            error(line, "kind", f"{kind_text!r} is not invoice or return")
            ok = False
        draft.kind = kind
        try:
            draft.document_date = self.parse_date(date_text)
        except CellError as problem:
            error(line, "document_date", str(problem))
            ok = False
        customer_id = self.customers.get(customer_text)
        if customer_id is None:
            error(line, "customer_code", f"unknown customer {customer_text!r}" if customer_text else "required")
            ok = False
        else:
            draft.customer_id = customer_id
            draft.customer_code = customer_text
        currency = currency_text.upper() or self.default_currency
        if not _CURRENCY_CODE.fullmatch(currency):
            error(line, "currency", f"{currency_text!r} is not a three-letter currency code")
            ok = False
        draft.currency = currency
        if reverses_text:
            if kind == DocumentKind.INVOICE:
                error(line, "reverses", "an invoice cannot reverse another document; only a return can")
                ok = False
            draft.reverses_number = reverses_text
        if due_text:
            try:
                draft.due_date = self.parse_date(due_text)
            except CellError as problem:
                error(line, "due_date", str(problem))
                ok = False
        if paid_text:
            try:
                paid_minor = self.parse_money(paid_text)
            except CellError as problem:
                error(line, "paid_amount", str(problem))
                ok = False
            else:
                if kind == DocumentKind.RETURN:
                    paid_minor = -abs(paid_minor)
                elif paid_minor < 0:
                    error(line, "paid_amount", "paid amount of an invoice must not be negative")
                    ok = False
                draft.paid_minor = paid_minor
        if not ok:
            draft.rejected = True

    def _read_line(self, draft: DocumentDraft, line: int, line_cells: tuple[str, ...]) -> None:
        """Every check of one line, reporting each problem (the slow path of ``read``)."""
        line_number_text, sku_text, quantity_text, unit_price_text, net_amount_text = line_cells
        error = draft.error
        ok = True
        is_return = draft.kind == DocumentKind.RETURN
        is_invoice = draft.kind == DocumentKind.INVOICE
        line_number = 0
        try:
            line_number = parse_positive_int(line_number_text)
        except CellError as problem:
            error(line, "line_number", str(problem))
            ok = False
        else:
            first = draft.line_numbers.get(line_number)
            if first is not None:
                error(
                    line, "line_number",
                    f"duplicate line: document {draft.number} line {line_number} is already on line {first}",
                )
                ok = False
            else:
                draft.line_numbers[line_number] = line
        sku = sku_text.strip()
        product_id = self.products.get(sku)
        if product_id is None:
            error(line, "sku", f"unknown SKU {sku!r}" if sku else "required")
            ok = False
        quantity_milli = self._signed_cell(draft, line, "quantity", quantity_text, _parse_quantity, draft.kind)
        unit_price_minor = self._signed_cell(draft, line, "unit_price", unit_price_text, _parse_money, None)
        net_amount_minor = self._signed_cell(draft, line, "net_amount", net_amount_text, _parse_money, draft.kind)
        if quantity_milli is None or unit_price_minor is None or net_amount_minor is None:
            ok = False
        if ok and (is_invoice or is_return):
            draft.lines.append((line_number, sku, product_id or 0, quantity_milli or 0, unit_price_minor or 0,
                                net_amount_minor or 0))
        else:
            draft.rejected = True

    def _signed_cell(
        self, draft: DocumentDraft, line: int, column: str, text: str, parse: Callable[[str], int], kind: str | None
    ) -> int | None:
        """A number cell: negative on a return whatever its sign, never negative on an invoice;
        ``kind`` None (unit price) must simply not be negative. None when the cell is wrong."""
        try:
            value = parse(text)
        except CellError as problem:
            draft.error(line, column, str(problem))
            return None
        if kind == DocumentKind.RETURN:
            return -abs(value)
        if value < 0 and kind in (DocumentKind.INVOICE, None):
            label = column.replace("_", " ")
            where = "" if kind is None else " on an invoice"
            hint = "" if kind is None else " (use a return)"
            draft.error(line, column, f"{label}{where} must not be negative{hint}")
            return None
        return value


def _parse_money(text: str) -> int:
    return parse_bounded(text, places=2, largest=DOCUMENT_AMOUNT_MAX_MINOR, what="an amount")


def _parse_quantity(text: str) -> int:
    return parse_bounded(text, places=3, largest=QUANTITY_MAX_MILLI, what="a quantity")


def _parse_into(cache: dict[str, Any], text: str, parse: Callable[[str], Any]) -> Any:
    """Parse ``text`` once and remember the value (or the error) for the next row."""
    try:
        value = parse(text)
    except CellError as error:
        value = error
    if len(cache) < 200_000:
        cache[text] = value
    return value


def _stored_documents(numbers: Iterable[str]) -> dict[str, StoredDocument]:
    found: dict[str, StoredDocument] = {}
    for chunk in chunked(list(numbers), LOOKUP_CHUNK_NUMBERS):
        for values in SalesDocument.objects.filter(number__in=chunk).values_list(
            "id", "number", "kind", "document_date", "customer_id", "content_sha256", "paid_minor"
        ):
            document = StoredDocument(*values)
            found[document.number] = document
    return found


def _decide_outcomes(plan: SalesPlan) -> None:
    """Per staged document, set-wise: new (create), stored with the same content (unchanged, or
    update_paid when only the paid amount differs), or stored with other content (a conflict)."""
    _execute(
        f"UPDATE {_DOCUMENTS} SET existing_id = stored.id, outcome = CASE "
        f"WHEN stored.content_sha256 <> {_DOCUMENTS}.fingerprint THEN 'conflict' "
        f"WHEN stored.paid_minor <> {_DOCUMENTS}.paid_minor THEN 'update_paid' ELSE 'unchanged' END "
        f"FROM sales_salesdocument stored WHERE stored.number = {_DOCUMENTS}.number AND NOT {_DOCUMENTS}.rejected "
        f"AND {_DOCUMENTS}.outcome = 'create'"
    )
    last = 0
    while True:
        conflicts = _fetch(f"SELECT first_line, number FROM {_DOCUMENTS} WHERE outcome = 'conflict' "
                           f"AND first_line > %s ORDER BY first_line LIMIT {LOOKUP_CHUNK_NUMBERS}", [last])
        if not conflicts:
            break
        for first_line, number in conflicts:
            if len(plan.conflicts) < 100:
                plan.conflicts.append(number)
            plan.errors.add(first_line, "document_number", f"document {number} already imported with different content")
        last = conflicts[-1][0]
    _execute(f"UPDATE {_DOCUMENTS} SET rejected = TRUE WHERE outcome = 'conflict'")


def _resolve_reversals(plan: SalesPlan, *, reachable_ids: set[int]) -> None:
    """Link new returns to the invoice they reverse and take its date as their basis date. A stored
    invoice of a customer the importing user may not reach reads as unknown. Returns are taken in
    the order of the file, a slice at a time."""
    adapt_date = connection.ops.adapt_datefield_value
    rejected_here: set[str] = set()
    last = 0
    while True:
        returns = _fetch(
            f"SELECT key, number, first_line, customer_id, reverses_number FROM {_DOCUMENTS} "
            "WHERE NOT rejected AND outcome = 'create' AND reverses_number IS NOT NULL AND first_line > %s "
            f"ORDER BY first_line LIMIT {LOOKUP_CHUNK_NUMBERS}", [last])
        if not returns:
            return
        last = returns[-1][2]
        targets = sorted({row[4] for row in returns})
        in_file: dict[str, tuple[Any, ...]] = {}
        for chunk in chunked(targets, LOOKUP_CHUNK_NUMBERS):
            for row in _fetch(f"SELECT number, kind, document_date, customer_id, rejected, existing_id FROM {_DOCUMENTS} "
                              f"WHERE number IN ({_placeholders(chunk)})", chunk):
                in_file[row[0]] = row
        stored = _stored_documents(number for number in targets if number not in in_file)
        linked: list[tuple[Any, ...]] = []
        rejected: list[tuple[int]] = []
        for key, number, first_line, customer_id, target_number in returns:
            reason = None
            target = in_file.get(target_number)
            if target is not None:
                _number, kind, target_date, target_customer_id, target_rejected, reverses_id = target
                if target_rejected or target_number in rejected_here:
                    reason = f"reverses invoice {target_number}, which is rejected in this file"
            elif target_number in stored and stored[target_number].customer_id in reachable_ids:
                document = stored[target_number]
                kind, target_date, target_customer_id = document.kind, adapt_date(document.document_date), \
                    document.customer_id
                reverses_id = document.id
            else:
                reason = f"reverses unknown invoice {target_number!r}"
            if reason is None:
                if kind != DocumentKind.INVOICE:
                    reason = f"reverses {target_number}, which is not an invoice"
                elif target_customer_id != customer_id:
                    reason = f"reverses invoice {target_number} of another customer"
            if reason is None:
                linked.append((target_date, reverses_id, key))
            else:
                plan.errors.add(first_line, "reverses", reason)
                rejected_here.add(number)
                rejected.append((key,))
        with connection.cursor() as cursor:
            if linked and connection.vendor == "postgresql":  # one statement, not one per return
                days, invoice_ids, keys = zip(*linked, strict=True)
                cursor.execute(f"UPDATE {_DOCUMENTS} SET basis_date = linked.day, reverses_id = linked.invoice_id "
                               "FROM unnest(%s::date[], %s::bigint[], %s::bigint[]) AS linked(day, invoice_id, key) "
                               f"WHERE {_DOCUMENTS}.key = linked.key", [list(days), list(invoice_ids), list(keys)])
            elif linked:
                cursor.executemany(f"UPDATE {_DOCUMENTS} SET basis_date = %s, reverses_id = %s WHERE key = %s", linked)
            if rejected:
                cursor.executemany(f"UPDATE {_DOCUMENTS} SET rejected = TRUE WHERE key = %s", rejected)


@dataclass(slots=True)
class _Returnable:
    """What an invoice still has of one SKU: its lines less the returns of it so far."""

    quantity_milli: int = 0
    amount_minor: int = 0
    invoiced: bool = False  # the SKU is on the invoice at all


_NEW_RETURNS = "kind = 'return' AND NOT rejected AND outcome = 'create'"


def _check_returns(plan: SalesPlan, *, skus: dict[int, str]) -> None:
    """Each new return names its invoice and takes back, per SKU, no more quantity and no more
    amount than the invoice still has after the returns before it (stored, then earlier in the
    file). A return with any line beyond that is rejected as a whole, its error on each such line.
    Returns are taken invoice by invoice (a slice of invoices at a time), in file order within one."""
    errors = plan.errors
    for key, first_line in _fetch(f"SELECT key, first_line FROM {_DOCUMENTS} WHERE {_NEW_RETURNS} "
                                  "AND reverses_number IS NULL ORDER BY first_line"):
        errors.add(first_line, "reverses",
                   "a return must name the invoice it reverses (unless the import allows unmatched returns)")
        _execute(f"UPDATE {_DOCUMENTS} SET rejected = TRUE WHERE key = %s", [key])
    last = ""
    rejected: list[tuple[int]] = []
    claims: list[tuple[int, int, int, int]] = []
    while True:
        invoices = [number for (number,) in _fetch(
            f"SELECT DISTINCT reverses_number FROM {_DOCUMENTS} WHERE {_NEW_RETURNS} AND reverses_number > %s "
            f"ORDER BY reverses_number LIMIT {RETURN_INVOICES_AT_ONCE}", [last])]
        if not invoices:
            break
        last = invoices[-1]
        marks = _placeholders(invoices)
        lines = _fetch(
            "SELECT stage.key, stage.reverses_number, stage.reverses_id, line.line_number, line.product_id, "
            f"line.quantity_milli, line.net_amount_minor, line.line FROM {_DOCUMENTS} stage JOIN {_LINES} line "
            "ON line.key = stage.key AND line.id BETWEEN stage.line_from AND stage.line_to "
            f"WHERE stage.reverses_number IN ({marks}) AND stage.kind = 'return' AND NOT stage.rejected "
            "AND stage.outcome = 'create' "
            "ORDER BY stage.reverses_number, stage.first_line, line.id", invoices)
        returnable: dict[tuple[str, int], _Returnable] = {}
        stored_ids = {row[2]: row[1] for row in lines if row[2] is not None}
        # invoices of this file written while it was read: nothing stored returns any of them yet
        written = {invoice_id for (invoice_id,) in _fetch(
            "SELECT id FROM sales_salesdocument WHERE id = ANY(%s) AND batch_id = %s",
            [sorted(stored_ids), plan.writing_batch_id])} if plan.writing_batch_id is not None else set()
        for (invoice_id, product_id), stored_left in _returnable_stored(set(stored_ids) - written).items():
            returnable[(stored_ids[invoice_id], product_id)] = stored_left
        for (invoice_id, product_id), written_left in _returnable_written(written).items():
            returnable[(stored_ids[invoice_id], product_id)] = written_left
        in_file = sorted({row[1] for row in lines if row[2] is None})
        if in_file:
            for number, product_id, quantity_milli, amount_minor in _fetch(
                f"SELECT invoice.number, line.product_id, SUM(line.quantity_milli), SUM(line.net_amount_minor) "
                f"FROM {_DOCUMENTS} invoice JOIN {_LINES} line ON line.key = invoice.key "
                "AND line.id BETWEEN invoice.line_from AND invoice.line_to "
                f"WHERE invoice.number IN ({_placeholders(in_file)}) AND invoice.kind = 'invoice' "
                "GROUP BY invoice.number, line.product_id", in_file):
                returnable[(number, product_id)] = _Returnable(int(quantity_milli), int(amount_minor), True)
        for (key, number, reverses_id), return_lines in groupby(lines, key=itemgetter(0, 1, 2)):
            taken: dict[int, list[int]] = {}
            ok = True
            for _key, _number, _id, _line_number, product_id, quantity_milli, amount_minor, line in return_lines:
                sku = skus.get(product_id, "")
                left = returnable.get((number, product_id))
                if left is None or not left.invoiced:
                    errors.add(line, "sku", f"SKU {sku} is not on invoice {number}")
                    ok = False
                    continue
                so_far = taken.setdefault(product_id, [0, 0])
                quantity_left = left.quantity_milli - so_far[0]
                amount_left = left.amount_minor - so_far[1]
                line_ok = True
                if -quantity_milli > quantity_left:
                    errors.add(line, "quantity", f"returns {_quantity_text(-quantity_milli)} units of SKU {sku} but "
                                                 f"invoice {number} has {_quantity_text(max(quantity_left, 0))} left")
                    line_ok = False
                if -amount_minor > amount_left:
                    errors.add(line, "net_amount", f"returns {minor_to_major(-amount_minor)} of SKU {sku} but "
                                                   f"invoice {number} has {minor_to_major(max(amount_left, 0))} left")
                    line_ok = False
                if line_ok:  # a later line of the return is measured against what the good ones took
                    so_far[0] -= quantity_milli
                    so_far[1] -= amount_minor
                else:
                    ok = False
            if not ok:
                rejected.append((key,))
                continue
            for product_id, (quantity_milli, amount_minor) in taken.items():
                kept = returnable[(number, product_id)]
                kept.quantity_milli -= quantity_milli
                kept.amount_minor -= amount_minor
                if reverses_id is not None and reverses_id not in written:  # others see no written one
                    claims.append((reverses_id, product_id, quantity_milli, amount_minor))
        if len(claims) >= STAGE_CHUNK_LINES:
            table_rows_insert(_CLAIMS, ("invoice_id", "product_id", "quantity_milli", "amount_minor"), claims)
            plan.has_claims = True
            claims = []
    if claims:
        table_rows_insert(_CLAIMS, ("invoice_id", "product_id", "quantity_milli", "amount_minor"), claims)
        plan.has_claims = True
    if rejected:
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {_DOCUMENTS} SET rejected = TRUE WHERE key = %s", rejected)


def _returnable_stored(invoice_ids: set[int]) -> dict[tuple[int, int], _Returnable]:
    """What stored invoices still have per (invoice id, product id): the invoice's lines plus the
    (negative) lines of the returns reversing it. One grouped query per chunk of invoices."""
    found: dict[tuple[int, int], _Returnable] = {}
    for chunk in chunked(sorted(invoice_ids), LOOKUP_CHUNK_NUMBERS):
        rows = (
            SalesLine.objects.filter(Q(document_id__in=chunk) | Q(document__reverses_id__in=chunk))
            .annotate(invoice_id=Coalesce("document__reverses_id", "document_id"))
            .order_by()
            .values_list("invoice_id", "product_id")
            .annotate(quantity=Sum("quantity_milli"), amount=Sum("net_amount_minor"),
                      invoice_lines=Count("id", filter=Q(is_return=False)))
        )
        for invoice_id, product_id, quantity_milli, amount_minor, invoice_lines in rows:
            found[(invoice_id, product_id)] = _Returnable(quantity_milli, amount_minor, invoice_lines > 0)
    return found


def _returnable_written(invoice_ids: set[int]) -> dict[tuple[int, int], _Returnable]:
    """What invoices written by this import have per (invoice id, product id): their own lines.
    (PostgreSQL, the only database that writes while reading: an array, so that the line table,
    just loaded and not yet analysed, is read through its (document, line number) index.)"""
    found: dict[tuple[int, int], _Returnable] = {}
    for chunk in chunked(sorted(invoice_ids), LOOKUP_CHUNK_NUMBERS):
        for invoice_id, product_id, quantity_milli, amount_minor in _fetch(
            "SELECT document_id, product_id, SUM(quantity_milli), SUM(net_amount_minor) FROM sales_salesline "
            "WHERE document_id = ANY(%s) GROUP BY document_id, product_id", [chunk]):
            found[(invoice_id, product_id)] = _Returnable(int(quantity_milli), int(amount_minor), True)
    return found


def _claims_still_hold() -> None:
    """Inside the write: lock the invoices that new returns take from (in id order) and check
    again that they still have it, as another import may have returned the same goods since."""
    last = 0
    while True:
        invoice_ids = [invoice_id for (invoice_id,) in _fetch(
            f"SELECT DISTINCT invoice_id FROM {_CLAIMS} WHERE invoice_id > %s ORDER BY invoice_id "
            f"LIMIT {LOOKUP_CHUNK_NUMBERS}", [last])]
        if not invoice_ids:
            return
        last = invoice_ids[-1]
        list(SalesDocument.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk").values_list("pk"))
        now = _returnable_stored(set(invoice_ids))
        for invoice_id, product_id, quantity_milli, amount_minor in _fetch(
            f"SELECT invoice_id, product_id, SUM(quantity_milli), SUM(amount_minor) FROM {_CLAIMS} "
            f"WHERE invoice_id IN ({_placeholders(invoice_ids)}) GROUP BY invoice_id, product_id", invoice_ids):
            left = now.get((invoice_id, product_id))
            if left is None or quantity_milli > left.quantity_milli or amount_minor > left.amount_minor:
                raise ImportRaceLost(f"invoice {invoice_id} no longer has product {product_id} to return")


def _quantity_text(quantity_milli: int) -> str:
    whole, fraction = divmod(quantity_milli, 1000)
    return f"{whole}" + (f".{fraction:03d}".rstrip("0") if fraction else "")


# --------------------------------------------------------------------------- one document (API)


@dataclass(frozen=True, slots=True)
class LineInput:
    line_number: int
    sku: str
    quantity: str
    unit_price: str
    net_amount: str


@dataclass(frozen=True, slots=True)
class DocumentInput:
    number: str
    kind: str
    document_date: str
    customer_code: str
    lines: tuple[LineInput, ...]
    currency: str = ""
    reverses: str | None = None
    due_date: str | None = None
    paid_amount: str | None = None
    allow_unmatched_returns: bool = False


@dataclass(frozen=True, slots=True)
class SubmitResult:
    outcome: str  # created | unchanged | updated
    document: SalesDocument


def sales_document_submit(*, document: DocumentInput, actor: Any) -> SubmitResult:
    """Record one sales document with the rules of a file import (atomic, idempotent by number).

    Errors raise ``ValidationFailed`` (``details["errors"]`` with ``line`` = position in
    ``lines``, 1-based); the same number with other content raises ``Conflict``.
    """
    require(actor, "import")
    unmatched_returns_right(actor, document.allow_unmatched_returns)
    if not document.lines:
        raise ValidationFailed(
            "a sales document needs at least one line",
            details={"errors": [RowError(None, "lines", "at least one line is required").as_dict()]},
        )
    names = SALES_COLUMNS.all
    columns = Columns({name: position for position, name in enumerate(names)})
    rows = []
    for position, line in enumerate(document.lines, start=1):
        values = {
            "document_number": document.number, "kind": document.kind, "document_date": document.document_date,
            "customer_code": document.customer_code, "currency": document.currency or "",
            "reverses": document.reverses or "", "due_date": document.due_date or "",
            "paid_amount": document.paid_amount or "", "line_number": str(line.line_number), "sku": line.sku,
            "quantity": line.quantity, "unit_price": line.unit_price, "net_amount": line.net_amount,
        }
        rows.append(Row(position, [values[name] for name in names]))
    plan = plan_sales_rows(rows=rows, columns=columns, estimated_rows=len(rows), customers=customers_for(actor),
                           allow_unmatched_returns=document.allow_unmatched_returns)
    try:
        return _document_record(plan=plan, document=document, actor=actor)
    finally:
        plan.close()


def _document_record(*, plan: SalesPlan, document: DocumentInput, actor: Any) -> SubmitResult:
    if plan.conflicts:
        raise Conflict(
            f"document {document.number} already imported with different content",
            details={"number": document.number},
            code="document_conflict",
        )
    if plan.errors:
        raise ValidationFailed(
            f"sales document {document.number} has {plan.errors.total} error(s)",
            details={"errors": plan.errors.as_list()},
        )
    number = document.number.strip()
    outcome, fingerprint = plan.document_outcome(number)
    with transaction.atomic():
        batch = None
        if outcome != "unchanged":
            batch = ImportBatch.objects.create(
                kind="sales", source_name=f"api:{number}"[:255], source_sha256=fingerprint,
                actor=actor if getattr(actor, "pk", None) else None, status=ImportBatch.Status.RUNNING,
                unmatched_returns_allowed=document.allow_unmatched_returns, runner=runner_here(),
            )
            try:
                with transaction.atomic():
                    counts = plan.apply(batch=batch)
            except (IntegrityError, ImportRaceLost):
                raise Conflict(
                    f"document {number} was recorded at the same time by another request",
                    details={"number": number},
                    code="document_conflict",
                ) from None
            batch.status = ImportBatch.Status.DONE
            batch_finish(batch=batch, actor=actor, plan=plan, counts=counts)
    answer = {"create": "created", "update_paid": "updated", "unchanged": "unchanged"}[outcome]
    return SubmitResult(outcome=answer, document=sales_document_get(number=number))


def _sales_options(actor: Any) -> dict[str, Any]:
    """A sales rep imports documents of the customers they own; any other code reads as unknown."""
    return {"customers": customers_for(actor)}


import_kind_register(ImportKind(name="sales", plan=plan_sales, options=_sales_options, unmatched_returns=True,
                                writes_while_reading=_writes_while_reading))
