"""Planning imports of products, with their categories and brands (upsert by code and SKU).

Design overview
---------------
One row per product. The row also names the product's category (``category_code``, and for a
new category its ``category_name`` and optional ``parent_category_code``) and brand
(``brand_code`` and, for a new brand, ``brand_name``), so one file can load a whole catalogue.

The planner reads the rows once (pass one: parse cells, collect category and brand
definitions, refusing two rows that define the same category differently), then settles which
categories and brands will exist (pass two: stored ones, plus new ones that have a name and a
valid parent, without loops), then decides per product: create, update or unchanged. It only
reads; ``apply`` writes with ``bulk_create``/``bulk_update`` in the transaction opened by
``fanli.imports.services.import_file``.

Empty ``category_name``, ``parent_category_code`` or ``brand_name`` cells leave a stored
category or brand as it is. A product column left out of the file leaves that field as stored;
an empty ``brand_code`` cell removes the brand, an empty ``unit`` means "pcs" and an empty
``list_price`` means 0. Row counts are products; categories and brands are counted in the audit
event only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fanli.common.bulk import update_by_key
from fanli.common.limits import DOCUMENT_AMOUNT_MAX_MINOR
from fanli.common.revisions import catalog_key, revisions_bump
from fanli.imports.registry import ImportKind, import_kind_register
from fanli.imports.tabular import (
    PROGRESS_EVERY_ROWS,
    CellError,
    ColumnSpec,
    ImportCounts,
    ImportPlan,
    Table,
    chunked,
    parents_loop,
    parse_bounded,
    resolve_columns,
)

from .models import Brand, Category, Product

Progress = Callable[[int, int], None]
WRITE_CHUNK_ROWS = 2_000

PRODUCT_COLUMNS = ColumnSpec(
    required=("sku", "name", "category_code"),
    optional=("category_name", "parent_category_code", "brand_code", "brand_name", "unit", "list_price"),
)
_PRODUCT_FIELDS = ["name", "category", "brand", "unit", "list_price_minor"]


@dataclass(slots=True)
class ProductDraft:
    sku: str
    line: int
    category_code: str
    values: dict[str, Any] = field(default_factory=dict)  # name, unit, list_price_minor
    brand_code: str | None = None
    brand_given: bool = False


@dataclass(slots=True)
class Definition:
    """What the file says about one category or brand: its name and parent, each with its line."""

    name: str = ""
    name_line: int = 0
    parent: str = ""
    parent_line: int = 0
    first_line: int = 0


class ProductPlan(ImportPlan):
    def __init__(self) -> None:
        super().__init__()
        self.products: list[ProductDraft] = []
        self.outcomes: dict[str, str] = {}
        self.stored_categories: dict[str, dict[str, Any]] = {}
        self.stored_brands: dict[str, dict[str, Any]] = {}
        self.category_definitions: dict[str, Definition] = {}
        self.brand_definitions: dict[str, Definition] = {}
        # Scope facts of stored products this file changes (``fanli.common.revisions``).
        self.facts_changed: set[str] = set()

    def apply(self, *, batch: Any) -> ImportCounts:
        category_ids = {code: values["id"] for code, values in self.stored_categories.items()}
        new_categories = [
            Category(code=code, name=definition.name)
            for code, definition in self.category_definitions.items()
            if code not in self.stored_categories
        ]
        Category.objects.bulk_create(new_categories)
        category_ids.update((category.code, category.pk) for category in new_categories)
        changed_categories = []
        for code, definition in self.category_definitions.items():
            stored = self.stored_categories.get(code, {"name": definition.name, "parent_code": None})
            name = definition.name or stored["name"]
            parent_code = definition.parent or stored["parent_code"]
            if code not in self.stored_categories or name != stored["name"] or parent_code != stored["parent_code"]:
                changed_categories.append(
                    Category(pk=category_ids[code], code=code, name=name,
                             parent_id=category_ids[parent_code] if parent_code else None)
                )
        for chunk in chunked(changed_categories, WRITE_CHUNK_ROWS):
            Category.objects.bulk_update(chunk, ["name", "parent"])
        if any(category.code in self.stored_categories
               and category.parent_id != self.stored_categories[category.code]["parent_id"]
               for category in changed_categories):
            self.facts_changed.add("category")  # a moved category moves its products in and out of scopes

        brand_ids = {code: values["id"] for code, values in self.stored_brands.items()}
        new_brands = [
            Brand(code=code, name=definition.name)
            for code, definition in self.brand_definitions.items()
            if code not in self.stored_brands
        ]
        Brand.objects.bulk_create(new_brands)
        brand_ids.update((brand.code, brand.pk) for brand in new_brands)
        renamed_brands = [
            Brand(pk=brand_ids[code], code=code, name=definition.name)
            for code, definition in self.brand_definitions.items()
            if code in self.stored_brands and definition.name and definition.name != self.stored_brands[code]["name"]
        ]
        if renamed_brands:
            Brand.objects.bulk_update(renamed_brands, ["name"])

        counts = ImportCounts()
        new = [draft for draft in self.products if self.outcomes[draft.sku] == "create"]
        for chunk in chunked(new, WRITE_CHUNK_ROWS):
            Product.objects.bulk_create([
                Product(
                    sku=draft.sku, category_id=category_ids[draft.category_code],
                    brand_id=brand_ids[draft.brand_code] if draft.brand_code else None, **draft.values,
                )
                for draft in chunk
            ])
        updated = [draft for draft in self.products if self.outcomes[draft.sku] == "update"]

        def apply(product: Product, draft: Any) -> None:
            for name, value in draft.values.items():
                setattr(product, name, value)
            product.category_id = category_ids[draft.category_code]
            if draft.brand_given:
                product.brand_id = brand_ids[draft.brand_code] if draft.brand_code else None

        update_by_key(Product, "sku", updated, key_of=lambda draft: draft.sku, apply=apply, fields=_PRODUCT_FIELDS,
                      chunk_size=WRITE_CHUNK_ROWS)
        revisions_bump(catalog_key(fact) for fact in self.facts_changed)
        counts.created = len(new)
        counts.updated = len(updated)
        counts.unchanged = len(self.products) - counts.created - counts.updated
        self.category_changes = len(changed_categories)
        self.brand_changes = len(new_brands) + len(renamed_brands)
        return counts


def plan_products(*, table: Table, partial: bool, progress: Progress | None = None,
                  customers: Any = None) -> ProductPlan:
    columns = resolve_columns(table, PRODUCT_COLUMNS)
    plan = ProductPlan()
    errors = plan.errors
    stored_categories = {values["id"]: values for values in Category.objects.values("id", "code", "name", "parent_id")}
    plan.stored_categories = {
        values["code"]: {
            **values,
            "parent_code": stored_categories[values["parent_id"]]["code"] if values["parent_id"] else None,
        }
        for values in stored_categories.values()
    }
    plan.stored_brands = {values["code"]: dict(values) for values in Brand.objects.values("id", "code", "name")}
    stored_products: dict[str, dict[str, Any]] = {
        values["sku"]: dict(values)
        for values in Product.objects.values(
            "sku", "name", "unit", "list_price_minor", "category__code", "brand__code"
        )
    }
    seen: dict[str, int] = {}
    drafts: list[ProductDraft] = []

    def text(cells: list[str], name: str) -> str:
        index = columns.index(name)
        return cells[index].strip() if index >= 0 else ""

    # Pass one: cells, and what the file says about categories and brands.
    for row in table.rows:
        plan.rows_total += 1
        if progress is not None and plan.rows_total % PROGRESS_EVERY_ROWS == 0:
            progress(plan.rows_total, max(plan.rows_total, table.estimated_row_count))
        if row.problem:
            errors.add(row.line, None, row.problem)
            plan.rows_rejected += 1
            continue
        cells, line = row.cells, row.line
        ok = True
        sku, name, category_code = text(cells, "sku"), text(cells, "name"), text(cells, "category_code")
        for column, value, limit in (("sku", sku, 60), ("name", name, 200), ("category_code", category_code, 40)):
            if not value:
                errors.add(line, column, "required")
                ok = False
            elif len(value) > limit:
                errors.add(line, column, f"longer than {limit} characters")
                ok = False
        if sku and sku in seen:
            errors.add(line, "sku", f"duplicate SKU {sku!r}, already on line {seen[sku]}")
            ok = False
        draft = ProductDraft(sku=sku, line=line, category_code=category_code, values={"name": name})
        if "unit" in columns:
            draft.values["unit"] = text(cells, "unit") or "pcs"
            if len(draft.values["unit"]) > 20:
                errors.add(line, "unit", "longer than 20 characters")
                ok = False
        if "list_price" in columns:
            try:
                price = parse_bounded(text(cells, "list_price") or "0", places=2, largest=DOCUMENT_AMOUNT_MAX_MINOR,
                                      what="a list price")
            except CellError as error:
                errors.add(line, "list_price", str(error))
                ok = False
            else:
                if price < 0:
                    errors.add(line, "list_price", "list price must not be negative")
                    ok = False
                draft.values["list_price_minor"] = price
        if "brand_code" in columns:
            draft.brand_given = True
            draft.brand_code = text(cells, "brand_code") or None
        for column, limit in (("brand_code", 40), ("parent_category_code", 40)):
            if len(text(cells, column)) > limit:
                errors.add(line, column, f"longer than {limit} characters")
                ok = False
        if category_code:
            ok &= _define(
                plan.category_definitions, category_code, line, errors, "category",
                name=text(cells, "category_name"), parent=text(cells, "parent_category_code"),
                name_column="category_name", parent_column="parent_category_code",
            )
        if draft.brand_code:
            ok &= _define(
                plan.brand_definitions, draft.brand_code, line, errors, "brand",
                name=text(cells, "brand_name"), parent="", name_column="brand_name", parent_column="",
            )
        if not ok:
            plan.rows_rejected += 1
            continue
        seen[sku] = line
        drafts.append(draft)

    # Pass two: which categories and brands will exist.
    invalid_categories = _settle_categories(plan)
    invalid_brands = {
        code for code, definition in plan.brand_definitions.items()
        if code not in plan.stored_brands and not definition.name
    }
    for code in invalid_categories:
        plan.category_definitions.pop(code, None)
    for code in invalid_brands:
        plan.brand_definitions.pop(code, None)

    for draft in drafts:
        reason: str | None = None
        column = "category_code"
        if draft.category_code in invalid_categories:
            column, reason = invalid_categories[draft.category_code]
        elif draft.brand_code and draft.brand_code in invalid_brands:
            column, reason = "brand_code", f"unknown brand {draft.brand_code!r} (give brand_name to create it)"
        if reason:
            errors.add(draft.line, column, reason)
            plan.rows_rejected += 1
            continue
        plan.products.append(draft)
        stored = stored_products.get(draft.sku)
        if stored is None:
            plan.outcomes[draft.sku] = "create"
            continue
        differs = any(stored[name] != value for name, value in draft.values.items())
        if stored["category__code"] != draft.category_code:
            differs = True
            plan.facts_changed.add("category")
        if draft.brand_given and stored["brand__code"] != draft.brand_code:
            differs = True
            plan.facts_changed.add("brand")
        plan.outcomes[draft.sku] = "update" if differs else "unchanged"
    return plan


def _define(
    definitions: dict[str, Definition], code: str, line: int, errors: Any, noun: str, *,
    name: str, parent: str, name_column: str, parent_column: str,
) -> bool:
    """Record what this row says about a category or brand; two different answers are an error."""
    definition = definitions.setdefault(code, Definition(first_line=line))
    ok = True
    if name:
        if definition.name and definition.name != name:
            errors.add(line, name_column, f"{noun} {code} is named {definition.name!r} on line {definition.name_line}")
            ok = False
        elif len(name) > 200:
            errors.add(line, name_column, "longer than 200 characters")
            ok = False
        elif not definition.name:
            definition.name, definition.name_line = name, line
    if parent:
        if parent == code:
            errors.add(line, parent_column, f"{noun} {code} cannot be its own parent")
            ok = False
        elif definition.parent and definition.parent != parent:
            errors.add(
                line, parent_column, f"{noun} {code} has parent {definition.parent!r} on line {definition.parent_line}"
            )
            ok = False
        elif not definition.parent:
            definition.parent, definition.parent_line = parent, line
    return ok


def _settle_categories(plan: ProductPlan) -> dict[str, tuple[str, str]]:
    """Categories of the file that cannot exist, each with (column, reason)."""
    stored = plan.stored_categories
    definitions = plan.category_definitions
    invalid: dict[str, tuple[str, str]] = {}
    for code, definition in definitions.items():
        if code not in stored and not definition.name:
            invalid[code] = ("category_code", f"unknown category {code!r} (give category_name to create it)")
    parents = {code: values["parent_code"] for code, values in stored.items()}
    for code, definition in definitions.items():
        if definition.parent:
            parents[code] = definition.parent
    changed = True
    while changed:
        changed = False
        for code, definition in definitions.items():
            if code in invalid or not definition.parent:
                continue
            parent = definition.parent
            if parent in invalid or (parent not in stored and parent not in definitions):
                invalid[code] = ("parent_category_code", f"unknown parent category {parent!r}")
                changed = True
            elif parents_loop(code, parents):
                invalid[code] = ("parent_category_code", f"parent category {parent!r} makes a loop of parents")
                changed = True
    return invalid


import_kind_register(ImportKind(name="products", plan=plan_products))
