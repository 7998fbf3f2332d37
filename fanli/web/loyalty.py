"""Loyalty in the back office: programmes with their liability, members, a member's statement."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fanli.accounts.selectors import visible_customers
from fanli.loyalty.document import parse_programme
from fanli.loyalty.models import Member, Programme
from fanli.loyalty.selectors import liability, member_balance, points_statement

from .views import staff_view


@staff_view()
def programmes(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [{"programme": p, "document": parse_programme(p.document), "liability": liability(p, today=today)}
            for p in Programme.objects.order_by("code")]
    return render(request, "web/office/loyalty.html", {"rows": rows})


@staff_view()
def members(request: HttpRequest, code: str) -> HttpResponse:
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        raise Http404
    query = request.GET.get("q", "").strip()
    qs = (Member.objects.filter(programme=programme, customer__in=visible_customers(request.user))
          .select_related("customer").annotate(points=Sum("lots__remaining")).order_by("customer__code"))
    if query:
        qs = qs.filter(Q(customer__code__icontains=query) | Q(customer__name__icontains=query))
    tier = request.GET.get("tier", "")
    if tier:
        qs = qs.filter(tier_code=tier)
    document = parse_programme(programme.document)
    return render(request, "web/office/loyalty_members.html", {
        "programme": programme, "document": document, "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "q": query, "tier": tier, "tiers": {t.code: t.name for t in document.tiers},
    })


@staff_view()
def member(request: HttpRequest, code: str, customer: str) -> HttpResponse:
    found = (Member.objects.filter(programme__code=code, customer__code=customer,
                                   customer__in=visible_customers(request.user))
             .select_related("programme", "customer").first())
    if found is None:
        raise Http404
    document = parse_programme(found.programme.document)
    return render(request, "web/office/loyalty_member.html", {
        "member": found, "balance": member_balance(found), "statement": points_statement(found)[::-1],
        "tier": next((t for t in document.tiers if t.code == found.tier_code), document.tiers[0]),
        "changes": found.tier_changes.order_by("-day", "-id"),
    })
