"""Discounts in the back office: the rules in force with their usage, and the quote page."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fanli.accounts.selectors import visible_customers
from fanli.common.command import parse_day
from fanli.common.exceptions import FanliError, ValidationFailed
from fanli.discounts.monitoring import discount_alerts
from fanli.discounts.selectors import LineRequest, quote_prepare, rule_usage

from .views import staff_view

BLANK_LINES = 5


def _lines(request: HttpRequest) -> list[dict[str, str]]:
    """The line rows as typed (kept on errors), without fully blank ones."""
    skus, quantities, prices = (request.GET.getlist(name) for name in ("sku", "quantity", "unit_price"))
    rows = [{"sku": s.strip(), "quantity": q.strip(), "unit_price": p.strip()}
            for s, q, p in zip(skus, quantities, prices, strict=False)]
    return [row for row in rows if any(row.values())]


@staff_view()
def discount_rules(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    visible = set(visible_customers(request.user).values_list("code", flat=True))
    alerts = [alert for alert in discount_alerts(until=today) if alert.customer in visible]
    return render(request, "web/office/discounts.html", {"rules": rule_usage(), "alerts": alerts})


@staff_view()
def discount_quote(request: HttpRequest) -> HttpResponse:
    rows = _lines(request)
    customer = request.GET.get("customer", "").strip()
    coupon = request.GET.get("coupon", "").strip()
    errors: list[dict[str, str]] = []
    result = None
    day: date = timezone.localdate()
    if customer or rows:
        try:
            day = parse_day(request.GET.get("date") or day.isoformat())
            result = quote_prepare(customer_code=customer, day=day,
                                   lines=[LineRequest(r["sku"], r["quantity"], r["unit_price"] or None) for r in rows],
                                   coupon=coupon, actor=request.user)
        except ValidationFailed as error:
            errors = error.details.get("errors", [])
        except FanliError as error:
            errors = [{"path": "", "message": error.message}]
    padded = rows + [{"sku": "", "quantity": "", "unit_price": ""}] * max(BLANK_LINES - len(rows), 1)
    return render(request, "web/office/discount_quote.html", {
        "customer": customer, "day": day, "rows": padded, "result": result, "errors": errors, "coupon": coupon,
    })
