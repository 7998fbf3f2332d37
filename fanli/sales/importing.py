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

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from fanli.accounts.controls import require
from fanli.accounts.selectors import customers_for
from fanli.catalog.models import Product
from fanli.common.bulk import rows_insert
from fanli.common.exceptions import Conflict, ValidationFailed
from fanli.common.jobs import runner_here
from fanli.common.limits import DOCUMENT_AMOUNT_MAX_MINOR, QUANTITY_MAX_MILLI
from fanli.common.money import minor_to_major, money_text
from fanli.common.revisions import revisions_bump_sales
from fanli.customers.models import Customer
from fanli.imports.models import ImportBatch
from fanli.imports.registry import ImportKind, ImportRaceLost, import_kind_register
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

from .fingerprint import LineFacts, document_fingerprint
from .models import DocumentKind, SalesDocument, SalesLine
from .selectors import sales_document_get

Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)

WRITE_CHUNK_ROWS = 5_000
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
    # Decided after every row was read.
    basis_date: date | None = None
    reverses_id: int | None = None
    fingerprint: str = ""
    outcome: str = ""  # create | unchanged | update_paid | conflict
    existing_id: int | None = None

    @property
    def total_minor(self) -> int:
        return sum(line[5] for line in self.lines)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    id: int
    number: str
    kind: str
    document_date: date
    customer_id: int
    content_sha256: str
    paid_minor: int


class SalesPlan(ImportPlan):
    tables_written = (SalesDocument, SalesLine)

    def __init__(self) -> None:
        super().__init__()
        self.drafts: dict[str, DocumentDraft] = {}
        self.conflicts: list[str] = []
        # What the new returns take from stored invoices: (invoice id, product id) -> [quantity, amount].
        self.return_claims: dict[tuple[int, int], list[int]] = {}

    def apply(self, *, batch: ImportBatch) -> ImportCounts:
        counts = ImportCounts()
        if self.return_claims:
            _claims_still_hold(self.return_claims)
        accepted = [draft for draft in self.drafts.values() if not draft.rejected]
        new_drafts = [draft for draft in accepted if draft.outcome == "create"]
        # Invoices first, so that a return of the same file can point at its invoice's new id.
        new_drafts.sort(key=lambda draft: draft.kind != DocumentKind.INVOICE)
        created_ids = _insert_documents(new_drafts, batch=batch)
        _insert_lines(new_drafts, created_ids)
        counts.created = sum(len(draft.lines) for draft in new_drafts)
        paid_updates = [
            SalesDocument(pk=draft.existing_id, paid_minor=draft.paid_minor)
            for draft in accepted
            if draft.outcome == "update_paid"
        ]
        for chunk in chunked(paid_updates, WRITE_CHUNK_ROWS):
            SalesDocument.objects.bulk_update(chunk, ["paid_minor"])
        _revisions_bump(batch=batch, paid_ids=[draft.pk for draft in paid_updates])
        for draft in accepted:
            if draft.outcome == "update_paid":
                counts.updated += len(draft.lines)
            elif draft.outcome == "unchanged":
                counts.unchanged += len(draft.lines)
        return counts


def _revisions_bump(*, batch: ImportBatch, paid_ids: list[int]) -> None:
    """Tell settlement which months changed: the basis months of the batch's new documents, and
    (for paid-basis policies) those of documents whose paid amount changed. Grouped queries over
    the documents, one counter raise per month whatever the number of lines."""
    revisions_bump_sales(
        SalesDocument.objects.filter(batch=batch).order_by().values_list("basis_date", flat=True).distinct()
    )
    paid_days: set[date] = set()
    for chunk in chunked(paid_ids, LOOKUP_CHUNK_NUMBERS):
        paid_days.update(SalesDocument.objects.filter(pk__in=chunk).order_by().values_list("basis_date", flat=True)
                         .distinct())
    revisions_bump_sales(paid_days, paid=True)


_DOCUMENT_FIELDS = [
    "number", "kind", "document_date", "basis_date", "customer", "currency", "reverses", "total_minor",
    "due_date", "paid_minor", "content_sha256", "batch", "recorded_at",
]
_LINE_FIELDS = [
    "document", "line_number", "product", "quantity_milli", "unit_price_minor", "net_amount_minor", "customer",
    "basis_date", "is_return",
]


def _insert_documents(drafts: list[DocumentDraft], *, batch: ImportBatch) -> dict[str, int]:
    """Insert new documents in chunks; answer their ids by number.

    A plain ``executemany`` of one prepared statement (``bulk_create`` builds one model object
    and one SQL text per chunk, several times slower at a million lines). Ids are read back by
    batch: every document inserted here carries this batch's id. Invoices come first so that
    returns of the same file find their invoice's id.
    """
    operations = connection.ops
    adapt_date = operations.adapt_datefield_value
    recorded_at = operations.adapt_datetimefield_value(timezone.now())
    created_ids: dict[str, int] = {}
    invoices = [draft for draft in drafts if draft.kind == DocumentKind.INVOICE]
    returns = [draft for draft in drafts if draft.kind != DocumentKind.INVOICE]
    for group in (invoices, returns):
        if not group:
            continue
        for chunk in chunked(group, WRITE_CHUNK_ROWS):
            rows_insert(SalesDocument, _DOCUMENT_FIELDS, [
                (
                    draft.number, draft.kind, adapt_date(draft.document_date), adapt_date(draft.basis_date),
                    draft.customer_id, draft.currency,
                    draft.reverses_id or (created_ids.get(draft.reverses_number) if draft.reverses_number else None),
                    draft.total_minor, adapt_date(draft.due_date), draft.paid_minor, draft.fingerprint,
                    batch.pk, recorded_at,
                )
                for draft in chunk
            ])
        created_ids.update(SalesDocument.objects.filter(batch=batch).values_list("number", "id"))
    return created_ids


def _insert_lines(drafts: list[DocumentDraft], created_ids: dict[str, int]) -> None:
    adapt_date = connection.ops.adapt_datefield_value
    rows: list[tuple[Any, ...]] = []
    for draft in drafts:
        document_id = created_ids[draft.number]
        customer_id = draft.customer_id
        basis_date = adapt_date(draft.basis_date)
        is_return = draft.kind == DocumentKind.RETURN
        rows.extend(
            (document_id, line_number, product_id, quantity_milli, unit_price_minor, net_amount_minor,
             customer_id, basis_date, is_return)
            for line_number, _sku, product_id, quantity_milli, unit_price_minor, net_amount_minor in draft.lines
        )
        if len(rows) >= WRITE_CHUNK_ROWS:
            rows_insert(SalesLine, _LINE_FIELDS, rows)
            rows = []
    if rows:
        rows_insert(SalesLine, _LINE_FIELDS, rows)


def plan_sales(
    *, table: Table, partial: bool, progress: Progress | None = None, customers: QuerySet[Customer] | None = None,
    allow_unmatched_returns: bool = False,
) -> SalesPlan:
    columns = resolve_columns(table, SALES_COLUMNS)
    return plan_sales_rows(rows=table.rows, columns=columns, estimated_rows=table.estimated_row_count,
                           progress=progress, customers=customers, allow_unmatched_returns=allow_unmatched_returns)


def plan_sales_rows(
    *, rows: Iterable[Row], columns: Columns, estimated_rows: int, progress: Progress | None = None,
    customers: QuerySet[Customer] | None = None, allow_unmatched_returns: bool = False,
) -> SalesPlan:
    """Validate sales lines and decide each document's outcome; reads, never writes. ``customers``:
    those the importing user may reach (default all); a row naming any other reads as unknown."""
    plan = SalesPlan()
    reader = _SalesRowReader(plan=plan, columns=columns, customers=customers)
    done = 0
    for row in rows:
        reader.read(row)
        done += 1
        if progress is not None and done % PROGRESS_EVERY_ROWS == 0:
            progress(done, max(done, estimated_rows))
    plan.rows_total = done
    _check_totals(plan)
    _check_paid(plan)
    _decide_outcomes(plan)
    _resolve_reversals(plan, reachable_ids=set(reader.customers.values()))
    if not allow_unmatched_returns:
        _check_returns(plan)
    plan.rows_rejected = reader.rows_without_document + sum(
        draft.row_count for draft in plan.drafts.values() if draft.rejected
    )
    return plan


class _SalesRowReader:
    """Turns rows into ``DocumentDraft``s; the hot loop of a sales import.

    Cell texts repeat (dates, prices, quantities), so each parser keeps a dict from text to
    result (an int, a date or the ``CellError`` to report); the lines of one document repeat
    their header cells, which are compared as raw text before anything is parsed again.
    """

    def __init__(self, *, plan: SalesPlan, columns: Columns, customers: QuerySet[Customer] | None = None) -> None:
        self.plan = plan
        self.errors = plan.errors
        self.drafts = plan.drafts
        self.customers = dict((Customer.objects.all() if customers is None else customers).values_list("code", "id"))
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

    def read(self, row: Row) -> None:
        cells = row.cells
        line = row.line
        if row.problem is not None:
            number = cells[self.number_index].strip() if self.number_index < len(cells) else ""
            self.errors.add(line, None, row.problem)
            self._reject(number, line)
            return
        raw_header = self.raw_header(cells)
        number = raw_header[0].strip()
        if not number:
            self.errors.add(line, "document_number", "required")
            self.rows_without_document += 1
            return
        draft = self.drafts.get(number)
        if draft is None:
            header_texts = tuple(cells[i].strip() if i >= 0 else "" for i in self.header_indexes)
            draft = DocumentDraft(number=number, first_line=line, header_texts=header_texts, raw_header=raw_header)
            self.drafts[number] = draft
            self._read_header(draft, line, header_texts)
            if len(number) > NUMBER_MAX_LENGTH:
                self.errors.add(line, "document_number", f"longer than {NUMBER_MAX_LENGTH} characters")
                draft.rejected = True
        elif raw_header != draft.raw_header:
            header_texts = tuple(cells[i].strip() if i >= 0 else "" for i in self.header_indexes)
            if draft.header_texts is None:
                draft.header_texts = header_texts
            elif header_texts != draft.header_texts:
                for name, mine, theirs in zip(DOCUMENT_COLUMNS, header_texts, draft.header_texts, strict=True):
                    if mine != theirs:
                        self.errors.add(
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

    def _reject(self, number: str, line: int) -> None:
        if not number:
            self.rows_without_document += 1
            return
        draft = self.drafts.get(number)
        if draft is None:
            draft = DocumentDraft(number=number, first_line=line, header_texts=None)
            self.drafts[number] = draft
        draft.row_count += 1
        draft.rejected = True

    def _read_header(self, draft: DocumentDraft, line: int, texts: tuple[str, ...]) -> None:
        kind_text, date_text, customer_text, currency_text, reverses_text, due_text, paid_text = texts
        errors = self.errors
        ok = True
        kind = kind_text.lower()
        if kind not in (DocumentKind.INVOICE, DocumentKind.RETURN):
            errors.add(line, "kind", f"{kind_text!r} is not invoice or return")
            ok = False
        draft.kind = kind
        try:
            draft.document_date = self.parse_date(date_text)
        except CellError as error:
            errors.add(line, "document_date", str(error))
            ok = False
        customer_id = self.customers.get(customer_text)
        if customer_id is None:
            errors.add(line, "customer_code", f"unknown customer {customer_text!r}" if customer_text else "required")
            ok = False
        else:
            draft.customer_id = customer_id
            draft.customer_code = customer_text
        currency = currency_text.upper() or self.default_currency
        if not _CURRENCY_CODE.fullmatch(currency):
            errors.add(line, "currency", f"{currency_text!r} is not a three-letter currency code")
            ok = False
        draft.currency = currency
        if reverses_text:
            if kind == DocumentKind.INVOICE:
                errors.add(line, "reverses", "an invoice cannot reverse another document; only a return can")
                ok = False
            draft.reverses_number = reverses_text
        if due_text:
            try:
                draft.due_date = self.parse_date(due_text)
            except CellError as error:
                errors.add(line, "due_date", str(error))
                ok = False
        if paid_text:
            try:
                paid_minor = self.parse_money(paid_text)
            except CellError as error:
                errors.add(line, "paid_amount", str(error))
                ok = False
            else:
                if kind == DocumentKind.RETURN:
                    paid_minor = -abs(paid_minor)
                elif paid_minor < 0:
                    errors.add(line, "paid_amount", "paid amount of an invoice must not be negative")
                    ok = False
                draft.paid_minor = paid_minor
        if not ok:
            draft.rejected = True

    def _read_line(self, draft: DocumentDraft, line: int, line_cells: tuple[str, ...]) -> None:
        """Every check of one line, reporting each problem (the slow path of ``read``)."""
        line_number_text, sku_text, quantity_text, unit_price_text, net_amount_text = line_cells
        errors = self.errors
        ok = True
        is_return = draft.kind == DocumentKind.RETURN
        is_invoice = draft.kind == DocumentKind.INVOICE
        line_number = 0
        try:
            line_number = parse_positive_int(line_number_text)
        except CellError as error:
            errors.add(line, "line_number", str(error))
            ok = False
        else:
            first = draft.line_numbers.get(line_number)
            if first is not None:
                errors.add(
                    line, "line_number",
                    f"duplicate line: document {draft.number} line {line_number} is already on line {first}",
                )
                ok = False
            else:
                draft.line_numbers[line_number] = line
        sku = sku_text.strip()
        product_id = self.products.get(sku)
        if product_id is None:
            errors.add(line, "sku", f"unknown SKU {sku!r}" if sku else "required")
            ok = False
        quantity_milli = self._signed_cell(line, "quantity", quantity_text, _parse_quantity, draft.kind)
        unit_price_minor = self._signed_cell(line, "unit_price", unit_price_text, _parse_money, None)
        net_amount_minor = self._signed_cell(line, "net_amount", net_amount_text, _parse_money, draft.kind)
        if quantity_milli is None or unit_price_minor is None or net_amount_minor is None:
            ok = False
        if ok and (is_invoice or is_return):
            draft.lines.append((line_number, sku, product_id or 0, quantity_milli or 0, unit_price_minor or 0,
                                net_amount_minor or 0))
        else:
            draft.rejected = True

    def _signed_cell(
        self, line: int, column: str, text: str, parse: Callable[[str], int], kind: str | None
    ) -> int | None:
        """A number cell: negative on a return whatever its sign, never negative on an invoice;
        ``kind`` None (unit price) must simply not be negative. None when the cell is wrong."""
        try:
            value = parse(text)
        except CellError as error:
            self.errors.add(line, column, str(error))
            return None
        if kind == DocumentKind.RETURN:
            return -abs(value)
        if value < 0 and kind in (DocumentKind.INVOICE, None):
            label = column.replace("_", " ")
            where = "" if kind is None else " on an invoice"
            hint = "" if kind is None else " (use a return)"
            self.errors.add(line, column, f"{label}{where} must not be negative{hint}")
            return None
        return value


def _parse_money(text: str) -> int:
    return parse_bounded(text, places=2, largest=DOCUMENT_AMOUNT_MAX_MINOR, what="an amount")


def _parse_quantity(text: str) -> int:
    return parse_bounded(text, places=3, largest=QUANTITY_MAX_MILLI, what="a quantity")


def _check_totals(plan: SalesPlan) -> None:
    """A document's total within the bound of one amount (``DOCUMENT_AMOUNT_MAX_MINOR``): lines
    each within it can still add up beyond it."""
    for draft in plan.drafts.values():
        if draft.rejected or len(draft.lines) < 2:
            continue
        total = draft.total_minor
        if total > DOCUMENT_AMOUNT_MAX_MINOR or total < -DOCUMENT_AMOUNT_MAX_MINOR:
            draft.rejected = True
            plan.errors.add(draft.first_line, "net_amount",
                            f"document {draft.number} totals {money_text(abs(total))}: a document's total lies "
                            f"within ±{money_text(DOCUMENT_AMOUNT_MAX_MINOR)}; split it into several documents")


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
    candidates = [draft for draft in plan.drafts.values() if not draft.rejected]
    for draft in candidates:
        assert draft.document_date is not None  # a draft without a valid date is rejected
        draft.fingerprint = document_fingerprint(
            number=draft.number, kind=draft.kind, document_date=draft.document_date,
            customer_code=draft.customer_code, currency=draft.currency, reverses_number=draft.reverses_number,
            due_date=draft.due_date,
            lines=[LineFacts(line[0], line[1], line[3], line[4], line[5]) for line in draft.lines],
        )
    stored = _stored_documents(draft.number for draft in candidates)
    for draft in candidates:
        existing = stored.get(draft.number)
        if existing is None:
            draft.outcome = "create"
        elif existing.content_sha256 != draft.fingerprint:
            draft.outcome = "conflict"
            draft.rejected = True
            plan.conflicts.append(draft.number)
            plan.errors.add(
                draft.first_line, "document_number",
                f"document {draft.number} already imported with different content",
            )
        else:
            draft.existing_id = existing.id
            draft.outcome = "update_paid" if existing.paid_minor != draft.paid_minor else "unchanged"


def _resolve_reversals(plan: SalesPlan, *, reachable_ids: set[int]) -> None:
    """Link new returns to the invoice they reverse and take its date as their basis date. A stored
    invoice of a customer the importing user may not reach reads as unknown."""
    drafts = plan.drafts
    new_drafts = [draft for draft in drafts.values() if not draft.rejected and draft.outcome == "create"]
    outside = {
        draft.reverses_number
        for draft in new_drafts
        if draft.reverses_number and draft.reverses_number not in drafts
    }
    stored = _stored_documents(outside)
    for draft in new_drafts:
        draft.basis_date = draft.document_date
        if not draft.reverses_number:
            continue
        target_number = draft.reverses_number
        in_file = drafts.get(target_number)
        if in_file is not None:
            kind, target_date, customer_id = in_file.kind, in_file.document_date, in_file.customer_id
            if in_file.rejected:
                reason = f"reverses invoice {target_number}, which is rejected in this file"
                _reject_draft(plan, draft, reason)
                continue
            draft.reverses_id = in_file.existing_id
        elif target_number in stored and stored[target_number].customer_id in reachable_ids:
            target = stored[target_number]
            kind, target_date, customer_id = target.kind, target.document_date, target.customer_id
            draft.reverses_id = target.id
        else:
            _reject_draft(plan, draft, f"reverses unknown invoice {target_number!r}")
            continue
        if kind != DocumentKind.INVOICE:
            _reject_draft(plan, draft, f"reverses {target_number}, which is not an invoice")
        elif customer_id != draft.customer_id:
            _reject_draft(plan, draft, f"reverses invoice {target_number} of another customer")
        else:
            draft.basis_date = target_date


def _reject_draft(plan: SalesPlan, draft: DocumentDraft, reason: str) -> None:
    draft.rejected = True
    plan.errors.add(draft.first_line, "reverses", reason)


def _check_paid(plan: SalesPlan) -> None:
    """What is paid of a document (a cumulative figure) stays within its total; on a return,
    what is refunded within what is returned."""
    for draft in plan.drafts.values():
        paid_minor = draft.paid_minor
        if not paid_minor or draft.rejected:
            continue
        total_minor = draft.total_minor
        if abs(paid_minor) > abs(total_minor):
            what = "return" if draft.kind == DocumentKind.RETURN else "invoice"
            plan.errors.add(
                draft.first_line, "paid_amount",
                f"paid amount {minor_to_major(abs(paid_minor))} is more than the {what} total "
                f"{minor_to_major(abs(total_minor))} of document {draft.number}",
            )
            draft.rejected = True


@dataclass(slots=True)
class _Returnable:
    """What an invoice still has of one SKU: its lines less the returns of it so far."""

    quantity_milli: int = 0
    amount_minor: int = 0
    invoiced: bool = False  # the SKU is on the invoice at all


def _check_returns(plan: SalesPlan) -> None:
    """Each new return names its invoice and takes back, per SKU, no more quantity and no more
    amount than the invoice still has after the returns before it (stored, then earlier in the
    file). A return with any line beyond that is rejected as a whole, its error on each such line."""
    drafts = plan.drafts
    returns = [draft for draft in drafts.values()
               if not draft.rejected and draft.outcome == "create" and draft.kind == DocumentKind.RETURN]
    if not returns:
        return
    stored_ids = {draft.reverses_id for draft in returns if draft.reverses_id is not None}
    returnable: dict[tuple[str, int], _Returnable] = {}
    numbers = {draft.reverses_id: draft.reverses_number or "" for draft in returns if draft.reverses_id is not None}
    for (invoice_id, product_id), stored_left in _returnable_stored(stored_ids).items():
        returnable[(numbers[invoice_id], product_id)] = stored_left
    in_file = {draft.reverses_number for draft in returns if draft.reverses_id is None and draft.reverses_number}
    for invoice_number in in_file:
        invoice = drafts[invoice_number]  # _resolve_reversals rejected returns of any other invoice
        for _line_number, _sku, product_id, quantity_milli, _price, amount_minor in invoice.lines:
            line_left = returnable.setdefault((invoice_number, product_id), _Returnable())
            line_left.quantity_milli += quantity_milli
            line_left.amount_minor += amount_minor
            line_left.invoiced = True
    errors = plan.errors
    for draft in returns:
        number = draft.reverses_number
        if not number:
            draft.rejected = True
            errors.add(draft.first_line, "reverses",
                       "a return must name the invoice it reverses (unless the import allows unmatched returns)")
            continue
        taken: dict[int, list[int]] = {}
        ok = True
        for line_number, sku, product_id, quantity_milli, _price, amount_minor in draft.lines:
            line = draft.line_numbers[line_number]
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
                errors.add(line, "net_amount", f"returns {minor_to_major(-amount_minor)} of SKU {sku} but invoice "
                                               f"{number} has {minor_to_major(max(amount_left, 0))} left")
                line_ok = False
            if line_ok:  # a later line of the return is measured against what the good ones took
                so_far[0] -= quantity_milli
                so_far[1] -= amount_minor
            else:
                ok = False
        if not ok:
            draft.rejected = True
            continue
        for product_id, (quantity_milli, amount_minor) in taken.items():
            kept = returnable[(number, product_id)]
            kept.quantity_milli -= quantity_milli
            kept.amount_minor -= amount_minor
            if draft.reverses_id is not None:
                claim = plan.return_claims.setdefault((draft.reverses_id, product_id), [0, 0])
                claim[0] += quantity_milli
                claim[1] += amount_minor


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


def _claims_still_hold(claims: dict[tuple[int, int], list[int]]) -> None:
    """Inside the write: lock the invoices that new returns take from (in id order) and check
    again that they still have it, as another import may have returned the same goods since."""
    invoice_ids = sorted({invoice_id for invoice_id, _product_id in claims})
    list(SalesDocument.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk").values_list("pk"))
    now = _returnable_stored(set(invoice_ids))
    for key, (quantity_milli, amount_minor) in claims.items():
        left = now.get(key)
        if left is None or quantity_milli > left.quantity_milli or amount_minor > left.amount_minor:
            raise ImportRaceLost(f"invoice {key[0]} no longer has product {key[1]} to return")


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
    draft = plan.drafts[document.number.strip()]
    with transaction.atomic():
        batch = None
        if draft.outcome != "unchanged":
            batch = ImportBatch.objects.create(
                kind="sales", source_name=f"api:{draft.number}"[:255], source_sha256=draft.fingerprint,
                actor=actor if getattr(actor, "pk", None) else None, status=ImportBatch.Status.RUNNING,
                unmatched_returns_allowed=document.allow_unmatched_returns, runner=runner_here(),
            )
            try:
                with transaction.atomic():
                    counts = plan.apply(batch=batch)
            except (IntegrityError, ImportRaceLost):
                raise Conflict(
                    f"document {draft.number} was recorded at the same time by another request",
                    details={"number": draft.number},
                    code="document_conflict",
                ) from None
            batch.status = ImportBatch.Status.DONE
            batch_finish(batch=batch, actor=actor, plan=plan, counts=counts)
    outcome = {"create": "created", "update_paid": "updated", "unchanged": "unchanged"}[draft.outcome]
    return SubmitResult(outcome=outcome, document=sales_document_get(number=draft.number))


def _sales_options(actor: Any) -> dict[str, Any]:
    """A sales rep imports documents of the customers they own; any other code reads as unknown."""
    return {"customers": customers_for(actor)}


import_kind_register(ImportKind(name="sales", plan=plan_sales, options=_sales_options, unmatched_returns=True))
