"""Benchmark: server time of the office pages with the demo data.

    .venv/bin/python bench/pages.py [--lines 400000] [--customers 1500] [--runs 20]

Loads the demo data set (the defaults are ``fanli demo load``'s) into a scratch SQLite database
(or the empty database ``DATABASE_URL`` names), settles a quarter so statements and ledger
entries exist, then renders each page in process through Django's test client (the whole
request: middleware, session, queries, templates) as an administrator and as a channel manager
who owns a share of the customers. The dashboard's chart snapshot is computed once first, as
the server does in the background; its time is printed too. Prints the median and the 95th
percentile in ms per page over ``--runs`` renders after a warm-up (goal: under 300 ms).

Two pages are posted forms, as the policy editor sends them: the what-if (the form as shown,
with a tier's rate changed, computed over the last ended quarter) and "save draft and preview"
(the save and the preview it redirects to, timed together; each run changes the rate again,
so every run saves a new draft and previews it for the first time).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser

from scratch import django_on_scratch_database  # the script's own folder is on sys.path

GOAL_MS = 300


class _FormFields(HTMLParser):
    """The fields a browser would send for the policy editor's form (rows in <template> are not)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._in_form = self._in_template = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("id") == "policy-editor":
            self._in_form = True
        elif tag == "template":
            self._in_template = True
        if not self._in_form or self._in_template:
            return
        if tag == "input" and a.get("name") and a.get("type") not in {"submit", "button"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "template":
            self._in_template = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.strip("\n")))
            self._textarea = None


def _editor_form(client: object, path: str) -> list[tuple[str, str]]:
    parser = _FormFields()
    parser.feed(client.get(path).content.decode())  # type: ignore[attr-defined]
    return [(name, value) for name, value in parser.fields if name != "csrfmiddlewaretoken"]


def _with_rate(fields: list[tuple[str, str]], rate: str) -> dict[str, list[str]]:
    """The form's fields with the last filled-in tier's rate set to ``rate``."""
    tier_values = [name for name, value in fields
                   if name.startswith("calculation.tiers.") and name.endswith(".value") and value]
    posted: dict[str, list[str]] = {}
    for name, value in fields:
        posted.setdefault(name, []).append(rate if name == tier_values[-1] else value)
    return posted


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=400_000)
    parser.add_argument("--customers", type=int, default=1_500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--today", default="2026-11-01", help="the demo data set's today")
    arguments = parser.parse_args(argv)

    scratch = django_on_scratch_database()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from fanli.customers.models import Customer
    from fanli.demo.services import demo_load
    from fanli.rebates.services import settlement_run
    from fanli.web.dashboard import snapshot

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.FANLI_JOBS_INLINE = True  # the snapshot is computed in this process, before timing
    today = date.fromisoformat(arguments.today)
    started = time.perf_counter()
    summary = demo_load(customers=arguments.customers, lines=arguments.lines, today=today)
    settlement_run(period_key="2026-Q3", actor=None, today=today)
    print(f"demo data: {summary.lines:,} lines, {summary.customers:,} customers, settled 2026-Q3 "
          f"({time.perf_counter() - started:.0f} s)")
    started = time.perf_counter()
    snapshot(today, force=True)
    print(f"dashboard chart snapshot (background work): {time.perf_counter() - started:.2f} s")

    users = get_user_model().objects
    admin = users.get(username="admin")
    rep = (users.filter(groups__name="channel_manager").annotate(owned=Count("owned_customers"))
           .order_by("-owned").first())  # the rep with the most customers
    owned = Customer.objects.filter(owner=rep).count() if rep else 0
    some = Customer.objects.order_by("code").values_list("code", flat=True)[len(Customer.objects.all()) // 2]
    pages = [
        ("customer list", admin, "/office/customers/"),
        ("customer list, search", admin, f"/office/customers/?q={some[:4]}"),
        ("customer list, page 20", admin, "/office/customers/?page=20"),
        ("customer page", admin, f"/office/customers/{some}/"),
        ("dashboard", admin, "/office/"),
        ("contact calendar", admin, f"/office/contacts/?month={today.year}-{today.month - 1 or 12:02d}"),
        ("complaints and satisfaction", admin, "/office/complaints/"),
        ("score cards", admin, "/office/scorecards/"),
        ("warnings", admin, "/office/warnings/"),
        ("policy effectiveness", admin, "/office/policies/dist-q-tiers/effectiveness/?period=2026-Q3"),
        ("policy preview", admin, "/office/policies/dist-q-tiers/v1/preview/"),
        ("statements", admin, "/office/statements/"),
        ("warnings by group and rule", admin, "/office/warnings/?view=grouped"),
        ("payment batches", admin, "/office/payments/"),
        ("policy (with who accepted it)", admin, "/office/policies/dist-q-tiers/"),
        ("notices to customers", admin, "/office/notices/"),
        ("notices to customers, failed", admin, "/office/notices/?state=failed"),
    ]
    portal = users.filter(portal_access__isnull=False).first()
    if portal is not None:
        pages += [("portal home", portal, "/portal/"), ("portal agreements", portal, "/portal/agreements/"),
                  ("portal inbox", portal, "/portal/inbox/")]
    if rep is not None:
        pages += [("customer list (sales rep)", rep, "/office/customers/"), ("dashboard (sales rep)", rep, "/office/")]
    gc.collect()
    gc.freeze()  # as the server does once started (fanli/wsgi.py)
    edit_path = "/office/policies/dist-q-tiers/edit/"
    form = _editor_form(_logged_in(Client, admin), edit_path)
    rates = iter(range(10_000))

    def what_if(client: Client) -> None:
        response = client.post(edit_path, {**_with_rate(form, "3.5"), "whatif": "1", "whatif_period": "2026-Q3"})
        assert response.status_code == 200 and b'id="whatif-total"' in response.content, response.status_code

    def save_and_preview(client: Client) -> None:
        rate = f"3.{next(rates):04d}"  # a new draft every time
        response = client.post(edit_path, _with_rate(form, rate), follow=True)
        assert response.status_code == 200 and b"preview" in response.redirect_chain[-1][0].encode(), response.status_code

    posted: list[tuple[str, object, Callable[[Client], None]]] = [
        ("what-if (posted form)", admin, what_if),
        ("save draft and preview (2 requests)", admin, save_and_preview),
    ]
    figures: dict[str, float] = {}
    print(f"{'page':36} {'first':>9} {'median':>9} {'p95':>9}  (ms; median and p95 over {arguments.runs} runs "
          f"after the first, which fills what the page keeps in the cache; the sales rep owns {owned} customers)")

    def got(path: str) -> Callable[[Client], None]:
        def get(client: Client) -> None:
            assert client.get(path).status_code == 200, path
        return get

    for label, user, request in [(label, user, got(path)) for label, user, path in pages] + posted:
        client = _logged_in(Client, user)
        begin = time.perf_counter()
        request(client)
        first = (time.perf_counter() - begin) * 1000
        for _ in range(2):
            request(client)
        timings = []
        for _ in range(arguments.runs):
            begin = time.perf_counter()
            request(client)
            timings.append((time.perf_counter() - begin) * 1000)
        median = statistics.median(timings)
        p95 = sorted(timings)[max(0, round(len(timings) * 0.95) - 1)]
        figures[label] = median
        figures[f"{label} (first)"] = first
        print(f"{label:36} {first:9.1f} {median:9.1f} {p95:9.1f}  "
              f"{'ok' if max(p95, first) < GOAL_MS else 'OVER ' + str(GOAL_MS)}")
    scratch.cleanup()
    return figures


def _logged_in(client_class: type, user: object) -> object:
    client = client_class()
    client.force_login(user)
    return client


if __name__ == "__main__":
    main()
