"""Planning imports of customer grades and customers (upsert by code).

Design overview
---------------
Each planner reads every row once, validates it against dicts prepared once (stored customers
by code, grades by code), and decides per row: create, update (some field differs) or
unchanged. It only reads; ``apply`` writes with ``bulk_create``/``bulk_update`` inside the
transaction that ``fanli.imports.services.import_file`` opens. Reading files and parsing cells
lives in ``fanli.imports.tabular``, shared by every kind.

Rules:
- A grade must exist before a customer names it: an unknown grade is an error. Grades are
  loaded with the ``grades`` kind (code, name, rank) or the admin, never created on the fly
  from a typo.
- ``parent_code`` may name a customer stored already or one anywhere in the same file; a
  customer cannot be its own parent and parent chains cannot loop.
- A column left out of the file leaves that field as stored (defaults for new customers); a
  present but empty cell sets the field's default (blank, none, zero, no).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Model, QuerySet
from django.utils import timezone

from fanli.accounts.selectors import customers_for, sees_all_customers
from fanli.common.bulk import update_by_key
from fanli.common.exceptions import Forbidden
from fanli.common.limits import DAYS_MAX, PERIOD_AMOUNT_MAX_MINOR
from fanli.common.revisions import customer_key, revisions_bump
from fanli.common.services import audit_record
from fanli.imports.registry import ImportKind, import_kind_register
from fanli.imports.tabular import (
    PROGRESS_EVERY_ROWS,
    CellError,
    Columns,
    ColumnSpec,
    ImportCounts,
    ImportPlan,
    Table,
    chunked,
    parents_loop,
    parse_bool,
    parse_bounded,
    parse_date,
    resolve_columns,
)

from .models import (
    ContactLanguage,
    ContactPerson,
    Customer,
    CustomerKind,
    CustomerStatus,
    Grade,
    NoticeKind,
    Relationship,
    SalesTarget,
    SizeClass,
)
from .tax_ids import tax_id_problem

Progress = Callable[[int, int], None]
WRITE_CHUNK_ROWS = 2_000

GRADE_COLUMNS = ColumnSpec(required=("code", "name"), optional=("rank",))
CUSTOMER_COLUMNS = ColumnSpec(
    required=("code", "name", "kind", "start_date"),
    optional=(
        "grade", "size_class", "region", "industry", "parent_code", "credit_limit", "payment_terms_days",
        "tags", "email_opt_in", "sms_opt_in", "status", "relationship", "bank_name", "bank_account_name",
        "bank_account_number", "tax_id", "registered_address", "billing_address", "shipping_address",
    ),
)


def _choice(text: str, values: list[str], column: str) -> str:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    if value not in values:
        raise CellError(f"{text!r} is not one of {', '.join(values)}")
    return value


# --------------------------------------------------------------------------- grades


class GradePlan(ImportPlan):
    def __init__(self) -> None:
        super().__init__()
        self.creates: list[Grade] = []
        self.updates: list[Grade] = []
        self.unchanged = 0

    def apply(self, *, batch: Any) -> ImportCounts:
        Grade.objects.bulk_create(self.creates)
        if self.updates:
            Grade.objects.bulk_update(self.updates, ["name", "rank"])
        return ImportCounts(created=len(self.creates), updated=len(self.updates), unchanged=self.unchanged)


def plan_grades(*, table: Table, partial: bool, progress: Progress | None = None,
                customers: QuerySet[Customer] | None = None) -> GradePlan:
    columns = resolve_columns(table, GRADE_COLUMNS)
    plan = GradePlan()
    stored = {grade.code: grade for grade in Grade.objects.all()}
    seen: dict[str, int] = {}
    code_index, name_index, rank_index = columns.index("code"), columns.index("name"), columns.index("rank")
    for row in table.rows:
        plan.rows_total += 1
        if row.problem:
            plan.errors.add(row.line, None, row.problem)
            plan.rows_rejected += 1
            continue
        code = row.cells[code_index].strip()
        name = row.cells[name_index].strip()
        ok = True
        if not code:
            plan.errors.add(row.line, "code", "required")
            ok = False
        elif len(code) > 32:
            plan.errors.add(row.line, "code", "longer than 32 characters")
            ok = False
        elif code in seen:
            plan.errors.add(row.line, "code", f"duplicate grade {code!r}, already on line {seen[code]}")
            ok = False
        if not name:
            plan.errors.add(row.line, "name", "required")
            ok = False
        elif len(name) > 100:
            plan.errors.add(row.line, "name", "longer than 100 characters")
            ok = False
        rank = None
        if rank_index >= 0 and row.cells[rank_index].strip():
            text = row.cells[rank_index].strip()
            if not text.isdigit() or len(text) > 5 or int(text) > 32767:
                plan.errors.add(row.line, "rank", f"{text!r} is not a whole number from 0 to 32767")
                ok = False
            else:
                rank = int(text)
        if not ok:
            plan.rows_rejected += 1
            continue
        seen[code] = row.line
        grade = stored.get(code)
        if grade is None:
            plan.creates.append(Grade(code=code, name=name, rank=rank or 0))
        elif grade.name != name or (rank is not None and grade.rank != rank):
            grade.name = name
            grade.rank = grade.rank if rank is None else rank
            plan.updates.append(grade)
        else:
            plan.unchanged += 1
    return plan


# --------------------------------------------------------------------------- customers


@dataclass(slots=True)
class CustomerDraft:
    code: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    parent_code: str | None = None
    parent_given: bool = False


_BANK_FIELDS = ("bank_name", "bank_account_name", "bank_account_number")
_UPDATABLE_FIELDS = [
    "name", "kind", "grade", "size_class", "start_date", "region", "industry", "parent", "credit_limit_minor",
    "payment_terms_days", "tags", "email_opt_in", "sms_opt_in", "status", "relationship", *_BANK_FIELDS,
    "bank_changed_by", "bank_changed_at", "bank_verified_by", "bank_verified_at", "tax_id", "registered_address",
    "billing_address", "shipping_address",
]
_STORED_FIELDS = (
    "id", "code", "name", "kind", "grade_id", "size_class", "start_date", "region", "industry", "parent_id",
    "credit_limit_minor", "payment_terms_days", "tags", "email_opt_in", "sms_opt_in", "status", "relationship",
    "bank_name", "bank_account_name", "bank_account_number", "tax_id", "registered_address", "billing_address",
    "shipping_address",
)


class CustomerPlan(ImportPlan):
    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[CustomerDraft] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.outcomes: dict[str, str] = {}

    def apply(self, *, batch: Any) -> ImportCounts:
        counts = ImportCounts()
        ids = {code: values["id"] for code, values in self.stored.items()}
        new = [draft for draft in self.drafts if self.outcomes[draft.code] == "create"]
        changed_at = timezone.now()
        for draft in self.drafts:
            if self._bank_changed(draft):
                # a changed payee account waits for a second person before a bank file pays it
                draft.values.update(bank_changed_by=batch.actor, bank_changed_at=changed_at,
                                    bank_verified_by=None, bank_verified_at=None)
                before = self.stored.get(draft.code, {}).get("bank_account_number", "")
                audit_record(actor=batch.actor, action="customer.bank_change", object_type="customer",
                             object_id=draft.code, data={"import_batch": batch.pk, "account_before": _masked(before),
                                                         "account_after": _masked(draft.values.get(
                                                             "bank_account_number", before))})
        for chunk in chunked(new, WRITE_CHUNK_ROWS):
            customers = [Customer(code=draft.code, **draft.values) for draft in chunk]
            Customer.objects.bulk_create(customers)
            ids.update((customer.code, customer.pk) for customer in customers)
        counts.created = len(new)
        # Parents of new customers are set once every customer of the file has an id.
        parented = [
            Customer(pk=ids[draft.code], parent_id=ids[draft.parent_code]) for draft in new if draft.parent_code
        ]
        for chunk in chunked(parented, WRITE_CHUNK_ROWS):
            Customer.objects.bulk_update(chunk, ["parent"])
        updated = [draft for draft in self.drafts if self.outcomes[draft.code] == "update"]

        def apply(customer: Customer, draft: Any) -> None:
            for name, value in draft.values.items():
                setattr(customer, name, value)
            if draft.parent_given:
                customer.parent_id = ids[draft.parent_code] if draft.parent_code else None

        update_by_key(Customer, "code", updated, key_of=lambda draft: draft.code, apply=apply,
                      fields=_UPDATABLE_FIELDS, chunk_size=WRITE_CHUNK_ROWS)
        revisions_bump(customer_key(fact) for fact in self.facts_changed(updated, ids))
        counts.updated = len(updated)
        counts.unchanged = len(self.drafts) - counts.created - counts.updated
        return counts

    def _bank_changed(self, draft: CustomerDraft) -> bool:
        stored = self.stored.get(draft.code)
        if stored is None:
            return bool(draft.values.get("bank_account_number"))
        return any(name in draft.values and draft.values[name] != stored[name] for name in _BANK_FIELDS)

    def facts_changed(self, updated: list[CustomerDraft], ids: dict[str, int]) -> set[str]:
        """The eligibility facts (``fanli.common.revisions.CUSTOMER_FACTS``) some update changes.
        New customers change none: a customer without sales counts in no period yet."""
        changed: set[str] = set()
        for draft in updated:
            stored = self.stored[draft.code]
            for name, fact in _FACT_OF_FIELD.items():
                if name in draft.values and draft.values[name] != stored[name]:
                    changed.add(fact)
            if draft.parent_given and (ids[draft.parent_code] if draft.parent_code else None) != stored["parent_id"]:
                changed.add("parent")
        return changed


# Stored customer fields that rebate eligibility reads, and the fact each one is.
_FACT_OF_FIELD = {"status": "status", "kind": "kind", "grade_id": "grade", "region": "region", "tags": "tags",
                  "start_date": "start_date", "relationship": "relationship"}


def plan_customers(*, table: Table, partial: bool, progress: Progress | None = None,
                   customers: QuerySet[Customer] | None = None) -> CustomerPlan:
    """``customers`` is ignored: a customers file may touch any customer, so ``import_file`` takes
    it only from a role that sees every customer."""
    columns = resolve_columns(table, CUSTOMER_COLUMNS)
    plan = CustomerPlan()
    plan.stored = {values["code"]: values for values in Customer.objects.values(*_STORED_FIELDS)}
    stored_parent_codes = {values["id"]: values["code"] for values in plan.stored.values()}
    grades = dict(Grade.objects.values_list("code", "id"))
    seen: dict[str, int] = {}
    rejected_codes: set[str] = set()
    for row in table.rows:
        plan.rows_total += 1
        if progress is not None and plan.rows_total % PROGRESS_EVERY_ROWS == 0:
            progress(plan.rows_total, max(plan.rows_total, table.estimated_row_count))
        if row.problem:
            plan.errors.add(row.line, None, row.problem)
            plan.rows_rejected += 1
            continue
        draft = _customer_draft(plan, row.line, row.cells, columns, grades, seen)
        if draft is None:
            plan.rows_rejected += 1
            code = row.cells[columns.index("code")].strip()
            if code:
                rejected_codes.add(code)
            continue
        seen[draft.code] = row.line
        plan.drafts.append(draft)
    # Parents: stored or in this file; no self-parenting, no loops.
    parents: dict[str, str | None] = {
        code: stored_parent_codes.get(values["parent_id"]) for code, values in plan.stored.items()
    }
    for draft in plan.drafts:
        if draft.parent_given:
            parents[draft.code] = draft.parent_code
    in_file = {draft.code for draft in plan.drafts}
    reasons: dict[str, str] = {}
    for draft in plan.drafts:
        if draft.parent_code:
            if draft.parent_code == draft.code:
                reasons[draft.code] = "a customer cannot be its own parent"
            elif draft.parent_code in rejected_codes and draft.parent_code not in plan.stored:
                reasons[draft.code] = f"parent {draft.parent_code!r} is rejected in this file"
            elif draft.parent_code not in in_file and draft.parent_code not in plan.stored:
                reasons[draft.code] = f"unknown parent customer {draft.parent_code!r}"
            elif parents_loop(draft.code, parents):
                reasons[draft.code] = f"parent {draft.parent_code!r} makes a loop of parents"
    # A new parent rejected in this file takes its branches with it (partial mode).
    changed = True
    while changed:
        changed = False
        for draft in plan.drafts:
            parent = draft.parent_code
            if draft.code not in reasons and parent and parent in reasons and parent not in plan.stored:
                reasons[draft.code] = f"parent {parent!r} is rejected in this file"
                changed = True
    accepted: list[CustomerDraft] = []
    for draft in plan.drafts:
        if draft.code in reasons:
            plan.errors.add(draft.line, "parent_code", reasons[draft.code])
            plan.rows_rejected += 1
        else:
            accepted.append(draft)
    plan.drafts = accepted
    for draft in plan.drafts:
        stored = plan.stored.get(draft.code)
        if stored is None:
            plan.outcomes[draft.code] = "create"
            continue
        differs = any(stored[name] != value for name, value in draft.values.items())
        if draft.parent_given and stored_parent_codes.get(stored["parent_id"]) != draft.parent_code:
            differs = True
        plan.outcomes[draft.code] = "update" if differs else "unchanged"
    return plan


def _customer_draft(
    plan: CustomerPlan, line: int, cells: list[str], columns: Columns, grades: dict[str, int], seen: dict[str, int]
) -> CustomerDraft | None:
    errors = plan.errors
    ok = True

    def text(name: str) -> str:
        index = columns.index(name)
        return cells[index].strip() if index >= 0 else ""

    code = text("code")
    if not code:
        errors.add(line, "code", "required")
        return None
    if code in seen:
        errors.add(line, "code", f"duplicate customer {code!r}, already on line {seen[code]}")
        return None
    draft = CustomerDraft(code=code, line=line)
    values = draft.values
    name = text("name")
    if not name:
        errors.add(line, "name", "required")
        ok = False
    values["name"] = name

    def parse(column: str, field_name: str, parser: Callable[[str], Any], default: Any) -> None:
        nonlocal ok
        if column not in columns:
            return
        raw = text(column)
        if not raw:
            values[field_name] = default
            return
        try:
            values[field_name] = parser(raw)
        except CellError as error:
            errors.add(line, column, str(error))
            ok = False

    if not text("kind"):
        errors.add(line, "kind", "required")
        ok = False
    parse("kind", "kind", lambda raw: _choice(raw, CustomerKind.values, "kind"), None)
    if not text("start_date"):
        errors.add(line, "start_date", "required")
        ok = False
    parse("start_date", "start_date", parse_date, None)
    parse("size_class", "size_class", lambda raw: _choice(raw, SizeClass.values, "size_class"), SizeClass.SMALL)
    parse("status", "status", lambda raw: _choice(raw, CustomerStatus.values, "status"), CustomerStatus.ACTIVE)
    parse("relationship", "relationship", lambda raw: _choice(raw, Relationship.values, "relationship"),
          Relationship.TRANSACTIONAL)
    parse("region", "region", _limited(60), "")
    parse("industry", "industry", _limited(60), "")
    parse("credit_limit", "credit_limit_minor", _credit_limit, 0)
    parse("payment_terms_days", "payment_terms_days", _whole_days, 30)
    parse("tags", "tags", _tags, [])
    parse("email_opt_in", "email_opt_in", parse_bool, False)
    parse("sms_opt_in", "sms_opt_in", parse_bool, False)
    parse("tax_id", "tax_id", _tax_id, "")
    for address in ("registered_address", "billing_address", "shipping_address"):
        parse(address, address, _limited(300), "")
    parse("bank_name", "bank_name", _limited(100), "")
    parse("bank_account_name", "bank_account_name", _limited(200), "")
    parse("bank_account_number", "bank_account_number", _account_number, "")

    def grade(raw: str) -> int:
        grade_id = grades.get(raw)
        if grade_id is None:
            raise CellError(f"unknown grade {raw!r} (load grades first: fanli import grades FILE)")
        return grade_id

    parse("grade", "grade_id", grade, None)
    if len(name) > 200:
        errors.add(line, "name", "longer than 200 characters")
        ok = False
    if len(code) > 40:
        errors.add(line, "code", "longer than 40 characters")
        ok = False
    if "parent_code" in columns:
        draft.parent_given = True
        draft.parent_code = text("parent_code") or None
    return draft if ok else None


def _limited(length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > length:
            raise CellError(f"longer than {length} characters")
        return raw

    return parse


def _tax_id(raw: str) -> str:
    code = raw.replace(" ", "").upper()
    problem = tax_id_problem(code)
    if problem:
        raise CellError(problem)
    return code


def _masked(account_number: str) -> str:
    """An account number as the audit log keeps it: enough to tell two apart, not to pay into."""
    return f"…{account_number[-4:]}" if account_number else ""


def _account_number(raw: str) -> str:
    """A bank account number as the bank file needs it: digits and letters (spaces and dashes as
    written are dropped), 8 to 34 of them (a Chinese account has 12 to 19 digits, an IBAN up to 34)."""
    compact = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"[0-9A-Za-z]{8,34}", compact):
        raise CellError(f"{raw[:40]!r} is not a bank account number (8 to 34 digits or letters)")
    return compact.upper()


def _credit_limit(raw: str) -> int:
    value = parse_bounded(raw, places=2, largest=PERIOD_AMOUNT_MAX_MINOR, what="a credit limit")
    if value < 0:
        raise CellError("credit limit must not be negative")
    return value


def _whole_days(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise CellError(f"{raw[:40]!r} is not a whole number of days")
    if int(raw) > DAYS_MAX:
        raise CellError(f"{raw} is more than {DAYS_MAX:,} days")
    return int(raw)


def _tags(raw: str) -> list[str]:
    tags: list[str] = []
    for part in raw.split(";"):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags



# --------------------------------------------------------------------------- sales targets

TARGET_COLUMNS = ColumnSpec(required=("customer_code", "start", "end", "amount"), optional=())


class _UpsertPlan(ImportPlan):
    """Records of one model upserted by a key: the planner fills ``creates`` and ``updates`` (the
    stored objects with their new values) and counts the ``unchanged``; ``apply`` writes them."""

    model: type[Model]
    updated_fields: tuple[str, ...]

    def __init__(self) -> None:
        super().__init__()
        self.creates: list[Any] = []
        self.updates: list[Any] = []
        self.unchanged = 0

    def apply(self, *, batch: Any) -> ImportCounts:
        for chunk in chunked(self.creates, WRITE_CHUNK_ROWS):
            self.model.objects.bulk_create(chunk)  # type: ignore[attr-defined]
        for chunk in chunked(self.updates, WRITE_CHUNK_ROWS):
            self.model.objects.bulk_update(chunk, list(self.updated_fields))  # type: ignore[attr-defined]
        return ImportCounts(created=len(self.creates), updated=len(self.updates), unchanged=self.unchanged)


def _customer_of(plan: ImportPlan, line: int, code: str, reachable: dict[str, int]) -> int | None:
    """The id of the customer a row names, or None with the row's error."""
    customer_id = reachable.get(code)
    if not code:
        plan.errors.add(line, "customer_code", "required")
    elif customer_id is None:
        plan.errors.add(line, "customer_code", f"unknown customer {code!r}")
    return customer_id


class TargetPlan(_UpsertPlan):
    """Targets are upserted by (customer, start, end): a second file with a new amount replaces it."""

    model = SalesTarget
    updated_fields = ("amount_minor",)


def _target_amount(text: str) -> int:
    return parse_bounded(text, places=2, largest=PERIOD_AMOUNT_MAX_MINOR, what="a target")


def plan_targets(*, table: Table, partial: bool, progress: Progress | None = None,
                 customers: QuerySet[Customer] | None = None) -> TargetPlan:
    """``customers``: those the importing user may reach (default all); any other code is unknown."""
    columns = resolve_columns(table, TARGET_COLUMNS)
    plan = TargetPlan()
    reachable = dict((Customer.objects.all() if customers is None else customers).values_list("code", "id"))
    stored = {(t.customer_id, t.start, t.end): t for t in SalesTarget.objects.all()}
    seen: dict[tuple[int, Any, Any], int] = {}
    indexes = [columns.index(name) for name in TARGET_COLUMNS.required]
    for row in table.rows:
        plan.rows_total += 1
        if row.problem:
            plan.errors.add(row.line, None, row.problem)
            plan.rows_rejected += 1
            continue
        code, start_text, end_text, amount_text = (row.cells[index].strip() for index in indexes)
        before = plan.errors.total
        customer_id = _customer_of(plan, row.line, code, reachable)
        parsed: dict[str, Any] = {}
        for column, raw, parser in (("start", start_text, parse_date), ("end", end_text, parse_date),
                                    ("amount", amount_text, _target_amount)):
            if not raw:
                plan.errors.add(row.line, column, "required")
                continue
            try:
                parsed[column] = parser(raw)
            except CellError as error:
                plan.errors.add(row.line, column, str(error))
        if "start" in parsed and "end" in parsed and parsed["end"] < parsed["start"]:
            plan.errors.add(row.line, "end", f"ends on {parsed['end']}, before it starts on {parsed['start']}")
        if "amount" in parsed and parsed["amount"] <= 0:
            plan.errors.add(row.line, "amount", "a target must be more than zero")
        if plan.errors.total > before or customer_id is None:
            plan.rows_rejected += 1
            continue
        key = (customer_id, parsed["start"], parsed["end"])
        if key in seen:
            plan.errors.add(row.line, None, f"the same customer and period as line {seen[key]}")
            plan.rows_rejected += 1
            continue
        seen[key] = row.line
        target = stored.get(key)
        if target is None:
            plan.creates.append(SalesTarget(customer_id=customer_id, start=parsed["start"], end=parsed["end"],
                                            amount_minor=parsed["amount"]))
        elif target.amount_minor != parsed["amount"]:
            target.amount_minor = parsed["amount"]
            plan.updates.append(target)
        else:
            plan.unchanged += 1
    return plan


# --------------------------------------------------------------------------- contact persons


CONTACT_COLUMNS = ColumnSpec(required=("customer_code", "name"),
                             optional=("role", "phone", "email", "wechat_id", "language", "notices"))
_CONTACT_FIELDS = ("role", "phone", "email", "wechat_id", "language", "notices")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,28}")


class ContactPlan(_UpsertPlan):
    """Contact persons are upserted by (customer, name); a column left out keeps what is stored."""

    model = ContactPerson
    updated_fields = _CONTACT_FIELDS


def _phone(raw: str) -> str:
    if not _PHONE.fullmatch(raw):
        raise CellError("not a phone number (digits, spaces, dashes and brackets, an optional leading +)")
    return raw


def _email(raw: str) -> str:
    try:
        validate_email(raw)
    except DjangoValidationError:
        raise CellError(f"not an e-mail address: {raw!r}") from None
    if len(raw) > 200:
        raise CellError("longer than 200 characters")
    return raw.lower()


def _language(raw: str) -> str:
    value = raw.lower().replace("_", "-")
    value = {"zh": ContactLanguage.ZH_HANS, "zh-cn": ContactLanguage.ZH_HANS}.get(value, value)
    if value not in ContactLanguage.values:
        raise CellError(f"{raw!r} is not one of {', '.join(ContactLanguage.values)}")
    return value


def _notices(raw: str) -> list[str]:
    kinds = [part.strip().lower() for part in re.split(r"[;,]", raw) if part.strip()]
    unknown = [kind for kind in kinds if kind not in NoticeKind.values]
    if unknown:
        raise CellError(f"unknown notice {unknown[0]!r}: use {', '.join(NoticeKind.values)} (separated by ;)")
    return [kind for kind in NoticeKind.values if kind in kinds]  # one order, no repeats


_CONTACT_PARSERS: dict[str, Callable[[str], Any]] = {
    "role": _limited(60), "phone": _phone, "email": _email, "wechat_id": _limited(60), "language": _language,
    "notices": _notices,
}
_CONTACT_DEFAULTS: dict[str, Any] = {"role": "", "phone": "", "email": "", "wechat_id": "",
                                     "language": ContactLanguage.ZH_HANS, "notices": []}


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if 0 <= index < len(cells) else ""


def plan_contacts(*, table: Table, partial: bool, progress: Progress | None = None,
                  customers: QuerySet[Customer] | None = None) -> ContactPlan:
    """``customers``: those the importing user may reach (default all); any other code is unknown."""
    columns = resolve_columns(table, CONTACT_COLUMNS)
    plan = ContactPlan()
    reachable = dict((Customer.objects.all() if customers is None else customers).values_list("code", "id"))
    stored = {(c.customer_id, c.name): c for c in ContactPerson.objects.filter(customer_id__in=reachable.values())}
    given = [name for name in _CONTACT_FIELDS if name in columns]
    seen: dict[tuple[int, str], int] = {}
    for row in table.rows:
        plan.rows_total += 1
        if row.problem:
            plan.errors.add(row.line, None, row.problem)
            plan.rows_rejected += 1
            continue
        cells = {name: _cell(row.cells, columns.index(name)) for name in ("customer_code", "name", *given)}
        before = plan.errors.total
        code, name = cells["customer_code"], cells["name"]
        customer_id = _customer_of(plan, row.line, code, reachable)
        if not name:
            plan.errors.add(row.line, "name", "required")
        elif len(name) > 100:
            plan.errors.add(row.line, "name", "longer than 100 characters")
        values: dict[str, Any] = {}
        for field_name in given:
            raw = cells[field_name]
            try:
                values[field_name] = _CONTACT_PARSERS[field_name](raw) if raw else _CONTACT_DEFAULTS[field_name]
            except CellError as error:
                plan.errors.add(row.line, field_name, str(error))
        if plan.errors.total > before or customer_id is None:
            plan.rows_rejected += 1
            continue
        key = (customer_id, name)
        if key in seen:
            plan.errors.add(row.line, "name", f"the same customer and name as line {seen[key]}")
            plan.rows_rejected += 1
            continue
        seen[key] = row.line
        contact = stored.get(key)
        if contact is None:
            plan.creates.append(ContactPerson(customer_id=customer_id, name=name, **values))
        elif any(getattr(contact, field_name) != value for field_name, value in values.items()):
            for field_name, value in values.items():
                setattr(contact, field_name, value)
            plan.updates.append(contact)
        else:
            plan.unchanged += 1
    return plan


def _customers_options(actor: Any) -> dict[str, Any]:
    """A customers file creates and changes any customer, so it needs a role seeing all."""
    if not sees_all_customers(actor):
        raise Forbidden("importing customers needs a role that sees every customer (view_all_customers)",
                        details={"errors": [{"path": "kind", "message": "needs view_all_customers"}]})
    return {}


def _targets_options(actor: Any) -> dict[str, Any]:
    """A sales rep sets targets of the customers they own; any other code reads as unknown."""
    return {"customers": customers_for(actor)}


import_kind_register(ImportKind(name="grades", plan=plan_grades))
import_kind_register(ImportKind(name="customers", plan=plan_customers, options=_customers_options))
import_kind_register(ImportKind(name="targets", plan=plan_targets, options=_targets_options))
import_kind_register(ImportKind(name="contacts", plan=plan_contacts, options=_targets_options))  # a rep: own customers
