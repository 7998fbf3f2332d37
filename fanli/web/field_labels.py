"""A policy document's paths as the form names them, for readers: ``calculation.tiers.1.rate_percent``
reads "Calculation › Tier 2 › Rate (%)" (lists count from 1, as the form shows them). Paths stay
as they are in the API, the command line and the stored documents; pages show them through
``field_label``, with the path itself kept beside it for whoever writes documents by hand."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SEGMENTS = {
    "code": _("Code"), "name": _("Name"), "description": _("Description"), "currency": _("Currency"),
    "valid_from": _("Valid from"), "valid_until": _("Valid until"), "budget": _("Budget"),
    "stacks_after": _("Stacks after"), "metric": _("Metric"), "basis_source": _("Basis"),
    "settlement": _("Settlement"), "period": _("Period"), "due_days": _("Days to pay"), "interim": _("Pay on account"),
    "calculation": _("Calculation"), "type": _("Type"), "mode": _("Tier mode"), "rate_percent": _("Rate (%)"),
    "amount_per_unit": _("Amount per unit"), "from": _("From"), "target": _("Target"), "bonus": _("Bonus"),
    "growth": _("Growth"), "scope": _("Products"), "include": _("Included"), "exclude": _("Excluded"),
    "categories": _("Categories"), "brands": _("Brands"), "skus": _("SKUs"),
    "eligibility": _("Who takes part"), "kinds": _("Customer kinds"), "grades": _("Grades"), "regions": _("Regions"),
    "tags_any": _("Tags"), "abc_classes": _("ABC classes"), "lifecycle_stages": _("Lifecycle stages"),
    "relationships": _("Relationship levels"), "min_tenure_days": _("Days as a customer"),
    "enrolment_required": _("Enrolment required"), "caps": _("Caps"), "rebate_cap_percent": _("Cap, share of the basis (%)"),
    "payout": _("Payout"), "form": _("Form"), "goods_sku": _("Product given"), "points_per_yuan": _("Points per yuan"),
    "points_programme": _("Points programme"), "credit_expiry_days": _("Credit valid for (days)"),
    "max_offset_percent_per_order": _("Most of an order (%)"), "until": _("Until"),
    "extra_rate_percent": _("Extra rate (%)"), "pooling": _("Pooling"),
}
ITEMS = {"tiers": _("Tier %(number)s"), "campaigns": _("Campaign %(number)s"), "bonuses": _("Bonus %(number)s")}


def field_label(path: str) -> str:
    """``path`` in the reader's words; segments not known here are shown as written."""
    parts: list[str] = []
    segments = str(path).split(".")
    index = 0
    while index < len(segments):
        segment = segments[index]
        following = segments[index + 1] if index + 1 < len(segments) else ""
        if segment in ITEMS and following.isdigit():
            parts.append(str(ITEMS[segment]) % {"number": int(following) + 1})
            index += 2
            continue
        parts.append(str(SEGMENTS.get(segment, segment)))
        index += 1
    return " › ".join(parts)


def field_value(path: str, value: str) -> str:
    """A setting's value in the reader's words where it is one of the document's codes (a period
    kind, a calculation, a payout form, yes/no); other values (amounts, codes of products or
    customers) as written."""
    from fanli.ledger.models import PayoutForm
    from fanli.rebates.explain import _term

    from .messages import _period_kind

    last = str(path).split(".")[-1]
    if value in ("true", "false"):
        return str(_("yes") if value == "true" else _("no"))
    if last in ("period", "every") and value in ("month", "quarter", "half_year", "year"):
        return _period_kind(value)
    if last in ("type", "mode", "metric", "basis_source"):
        return _term(value)
    if last == "form" and value in PayoutForm.values:
        return str(PayoutForm(value).label)
    if last == "pooling":
        return str({"none": _("Each customer on its own"), "parent": _("A parent's branches count together")}
                   .get(value, value))
    return value
