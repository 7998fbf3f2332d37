"""Template helpers for the policy editor: a field's value, its choices and its errors by path."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from fanli.web.policy_form import PolicyForm

register = template.Library()


@register.filter
def value(form: PolicyForm, path: str) -> str:
    return form.value(path)


@register.filter
def chosen(form: PolicyForm, path: str) -> set[str]:
    return form.chosen(path)


@register.simple_tag
def field_errors(form: PolicyForm, path: str) -> SafeString:
    """The errors of one field, right beside it (empty when it has none)."""
    found = form.errors(path)
    if not found:
        return SafeString("")
    items = format_html_join("", "<li>{}</li>", ((message,) for message in found))
    return format_html('<ul class="field-errors" data-path="{}">{}</ul>', path, items)
