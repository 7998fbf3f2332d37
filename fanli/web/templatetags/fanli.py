"""Template filters: money in fen shown as ¥1,234.56, and percentages for progress bars."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from fanli.common.money import format_exact, format_minor

register = template.Library()


@register.filter
def money(amount_minor: Any, currency: str = "CNY") -> str:
    if amount_minor in (None, ""):
        return "—"
    return format_minor(int(amount_minor), currency)


@register.filter
def major(amount_text: Any) -> str:
    """A decimal text in major units ("38200.5") shown as money (¥38,200.50)."""
    try:
        value = Decimal(str(amount_text))
    except (InvalidOperation, ValueError):
        return str(amount_text)
    return format_minor(int((value * 100).to_integral_value()))


@register.filter
def field_label(path: Any) -> str:
    """A document path as the policy form names it ("Calculation › Tier 2 › Rate (%)")."""
    from fanli.web.field_labels import field_label as label

    return label(str(path))


@register.filter
def field_value(value: Any, path: Any) -> str:
    """A document setting's value in the reader's words (``{{ value|field_value:path }}``)."""
    from fanli.web.field_labels import field_value as readable

    return readable(str(path), str(value))


@register.filter
def quantity(value: Any) -> str:
    """A count or quantity with thousands separated, every decimal kept (1,250.5; 12,000)."""
    return format_exact(None if value in (None, "") else str(value), None)


@register.filter
def percent_of(part: Any, whole: Any) -> int:
    """0..100, for a progress bar: how far ``part`` is towards ``whole``."""
    try:
        part_value, whole_value = Decimal(str(part)), Decimal(str(whole))
    except (InvalidOperation, ValueError):
        return 0
    if whole_value <= 0:
        return 100
    return max(0, min(100, int(part_value * 100 / whole_value)))


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``mapping[key]`` in a template, None when absent (for keys with dots or dashes)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def ui(text: Any) -> str:
    """A generated message (validation, score-card detail) in the reader's language."""
    from fanli.web.messages import ui_message

    return ui_message(str(text))


@register.filter
def recheck_reasons(reasons: Any) -> str:
    """Why a settlement run recomputed a period, in the reader's language."""
    from fanli.rebates.rechecks import reasons_text

    return reasons_text(list(reasons or []))


@register.filter
def pretty_json(value: Any) -> str:
    """A document as indented JSON, for reading (escaped by the template like any text)."""
    import json

    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)
