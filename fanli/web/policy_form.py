"""The policy editor's form: HTML fields named by document path, to and from a policy document.

Every input is named by the path the document validation reports errors on
(``settlement.period``, ``calculation.tiers.2.from``), so each error lands beside its field.
The form keeps what the user typed, valid or not, so a rejected save loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from .messages import ui_message

# Lists typed as text ("east, north"); the other lists come from multiple-choice pickers.
TEXT_LISTS = {"eligibility.regions", "eligibility.tags_any", "scope.include.skus", "scope.exclude.skus"}
CHOICE_LISTS = {"eligibility.kinds", "eligibility.grades", "eligibility.abc_classes", "eligibility.lifecycle_stages",
                "eligibility.relationships", "scope.include.categories", "scope.include.brands",
                "scope.exclude.categories", "scope.exclude.brands", "stacks_after"}
CALCULATION_FIELDS = {"tiers": ("mode",), "flat_rate": ("rate_percent",), "per_unit": ("amount_per_unit",),
                      "target_bonus": ("target", "bonus")}
PAYOUT_FIELDS = ("max_offset_percent_per_order", "min_order_amount", "max_offset_amount", "credit_expiry_days",
                 "goods_sku", "points_per_yuan")
CAP_FIELDS = ("basis_cap", "rebate_cap", "rebate_cap_percent", "minimum_payout")
TIER_UNITS = ("rate_percent", "amount_per_unit")
_SPLIT = re.compile(r"[\s,，、;；]+")
_ROW = re.compile(r"^(calculation\.tiers|campaigns)\.(\d+)\.(\w+)$")


def _text(post: QueryDict, name: str) -> str:
    return post.get(name, "").strip()


def _optional(target: dict[str, Any], key: str, value: str) -> None:
    if value:
        target[key] = value


def _rows(post: QueryDict, prefix: str) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for name in post:
        match = _ROW.match(name)
        if match and match.group(1) == prefix:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = _text(post, name)
    return {index: row for index, row in sorted(rows.items()) if any(row.values())}


def document_from_form(post: QueryDict) -> dict[str, Any]:
    """The document the form describes. Empty optional fields are left out; rows left blank are
    dropped and the rest renumbered, so the numbers in errors match the rows shown again."""
    doc: dict[str, Any] = {}
    for key in ("code", "name", "currency", "valid_from", "metric", "basis_source", "pooling", "budget"):
        _optional(doc, key, _text(post, key))
    doc["description"] = _text(post, "description")
    _optional(doc, "valid_until", _text(post, "valid_until"))
    settlement: dict[str, Any] = {}
    for key in ("period", "interim", "due_days"):
        _optional(settlement, key, _text(post, f"settlement.{key}"))
    doc["settlement"] = settlement
    eligibility: dict[str, Any] = {
        "kinds": post.getlist("eligibility.kinds"), "grades": post.getlist("eligibility.grades"),
        "regions": _split(_text(post, "eligibility.regions")), "tags_any": _split(_text(post, "eligibility.tags_any")),
        "abc_classes": post.getlist("eligibility.abc_classes"),
        "lifecycle_stages": post.getlist("eligibility.lifecycle_stages"),
        "relationships": post.getlist("eligibility.relationships"),
        "enrolment_required": post.get("eligibility.enrolment_required") == "on",
    }
    _optional(eligibility, "min_tenure_days", _text(post, "eligibility.min_tenure_days"))
    doc["eligibility"] = eligibility
    doc["scope"] = {
        side: {"categories": post.getlist(f"scope.{side}.categories"), "brands": post.getlist(f"scope.{side}.brands"),
               "skus": _split(_text(post, f"scope.{side}.skus"))}
        for side in ("include", "exclude")
    }
    if doc.get("metric") == "growth":
        doc["growth"] = {key: _text(post, f"growth.{key}") for key in ("applies_to", "no_prior_year")
                         if _text(post, f"growth.{key}")}
    doc["calculation"] = _calculation(post)
    doc["campaigns"] = [
        {key: row[key] for key in ("name", "from", "until", "extra_rate_percent") if row.get(key)}
        for row in _rows(post, "campaigns").values()
    ]
    caps: dict[str, Any] = {}
    for key in CAP_FIELDS:
        _optional(caps, key, _text(post, f"caps.{key}"))
    doc["caps"] = caps
    doc["stacks_after"] = post.getlist("stacks_after")
    payout: dict[str, Any] = {}
    _optional(payout, "form", _text(post, "payout.form"))
    for key in PAYOUT_FIELDS:
        _optional(payout, key, _text(post, f"payout.{key}"))
    doc["payout"] = payout
    return doc


def _split(text: str) -> list[str]:
    return [item for item in _SPLIT.split(text) if item]


def _calculation(post: QueryDict) -> dict[str, Any]:
    kind = _text(post, "calculation.type")
    calculation: dict[str, Any] = {"type": kind} if kind else {}
    for key in CALCULATION_FIELDS.get(kind, ()):
        _optional(calculation, key, _text(post, f"calculation.{key}"))
    if kind == "tiers":
        unit = _text(post, "calculation.tier_unit")
        unit = unit if unit in TIER_UNITS else "rate_percent"
        calculation["tiers"] = [
            {key: value for key, value in (("from", row.get("from", "")), (unit, row.get("value", ""))) if value}
            for row in _rows(post, "calculation.tiers").values()
        ]
    return calculation


def _lookup(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class PolicyForm:
    """What the editor template reads: values by path, errors by path, and the table rows."""

    def __init__(self, document: Mapping[str, Any], errors: list[dict[str, str]] | None = None) -> None:
        self.document = document
        # messages in the reader's language (the API and the commands keep the English text)
        self.all_errors = [{**error, "message": ui_message(error["message"])} for error in errors or []]
        self._errors: dict[str, list[str]] = {}
        for error in self.all_errors:
            field, cell = _field_of(error["path"])
            self._errors.setdefault(field, []).append(f"{cell}: {error['message']}" if cell else error["message"])

    def value(self, path: str) -> str:
        value = _lookup(self.document, path)
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if isinstance(value, bool):
            return "on" if value else ""
        return str(value)

    def chosen(self, path: str) -> set[str]:
        value = _lookup(self.document, path)
        return {str(item) for item in value} if isinstance(value, list) else set()

    def errors(self, path: str) -> list[str]:
        return self._errors.get(path, [])

    @property
    def tier_unit(self) -> str:
        tiers = _lookup(self.document, "calculation.tiers") or []
        return "amount_per_unit" if any(tier.get("amount_per_unit") is not None for tier in tiers) else "rate_percent"

    @property
    def tiers(self) -> list[dict[str, Any]]:
        """Each tier row plus one blank row to fill in (blank rows are ignored on save)."""
        tiers = list(_lookup(self.document, "calculation.tiers") or [])
        rows = []
        for index, tier in enumerate([*tiers, {}]):
            value = tier.get("rate_percent") or tier.get("amount_per_unit") or ""
            rows.append({"index": index, "from": tier.get("from") or "", "value": value,
                         "errors": self.errors(f"calculation.tiers.{index}")})
        return rows

    @property
    def campaigns(self) -> list[dict[str, Any]]:
        campaigns = list(_lookup(self.document, "campaigns") or [])
        return [{"index": index, **{key: campaign.get(key) or "" for key in ("name", "from", "until",
                                                                             "extra_rate_percent")},
                 "errors": self.errors(f"campaigns.{index}")}
                for index, campaign in enumerate([*campaigns, {}])]


def _field_of(path: str) -> tuple[str, str]:
    """The form field an error belongs to, and the cell within it: tier and campaign rows take
    the errors of their cells, list pickers the errors of their items."""
    match = _ROW.match(path)
    if match:
        return f"{match.group(1)}.{match.group(2)}", match.group(3)
    if re.match(r"^(calculation\.tiers|campaigns)\.\d+$", path):
        return path, ""
    parts = path.split(".")
    if len(parts) > 1 and parts[-1].isdigit() and ".".join(parts[:-1]) in TEXT_LISTS | CHOICE_LISTS:
        return ".".join(parts[:-1]), ""
    return path, ""
