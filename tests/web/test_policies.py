"""The policy editor: form to document and back, drafts, diff, preview over a past period, publish."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest
from django.http import QueryDict
from django.utils import translation

from fanli.common.exceptions import StateError, ValidationFailed
from fanli.common.models import AuditEvent
from fanli.ledger.models import LedgerEntry
from fanli.rebates.diff import DiffRow, document_diff
from fanli.rebates.models import Policy, PolicyVersion, Statement
from fanli.rebates.preview import policy_preview, preview_periods
from fanli.rebates.services import policy_draft_save, policy_version_publish, policy_version_submit
from fanli.web.policy_form import PolicyForm, document_from_form

pytestmark = pytest.mark.django_db

EVERY_STAFF = ["administrator", "channel_manager", "finance", "customer_service", "auditor"]
EDITORS = {"administrator", "channel_manager"}
PUBLISHERS = {"administrator", "finance"}


def posted(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form data for the test client: every value of a repeated name (a QueryDict would send the last)."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def query(pairs: list[tuple[str, str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in pairs:
        data.appendlist(name, value)
    return data


BASE_FORM = [
    ("code", "spring"), ("name", "春季返利"), ("description", ""), ("currency", "CNY"), ("valid_from", "2026-01-01"),
    ("valid_until", ""), ("settlement.period", "quarter"), ("settlement.interim", ""), ("settlement.due_days", "30"),
    ("eligibility.regions", ""), ("eligibility.tags_any", ""), ("eligibility.min_tenure_days", ""),
    ("pooling", "none"), ("scope.include.skus", ""), ("scope.exclude.skus", ""), ("metric", "amount"),
    ("basis_source", "invoiced"), ("growth.applies_to", "whole"), ("growth.no_prior_year", "ineligible"),
    ("calculation.type", "tiers"), ("calculation.mode", "retroactive"), ("calculation.tier_unit", "rate_percent"),
    ("calculation.tiers.0.from", "0"), ("calculation.tiers.0.value", "1"),
    ("calculation.tiers.1.from", "100000"), ("calculation.tiers.1.value", "2.5"),
    ("calculation.tiers.2.from", ""), ("calculation.tiers.2.value", ""),
    ("calculation.rate_percent", "9"), ("calculation.amount_per_unit", ""), ("calculation.target", ""),
    ("calculation.bonus", ""), ("campaigns.0.name", ""), ("campaigns.0.from", ""), ("campaigns.0.until", ""),
    ("campaigns.0.extra_rate_percent", ""), ("caps.basis_cap", ""), ("caps.rebate_cap", "50000"),
    ("caps.rebate_cap_percent", ""), ("caps.minimum_payout", ""), ("payout.form", "cash"),
    ("payout.max_offset_percent_per_order", ""), ("payout.min_order_amount", ""), ("payout.max_offset_amount", ""),
    ("payout.credit_expiry_days", ""), ("payout.goods_sku", ""), ("payout.points_per_yuan", ""),
]


def test_the_form_becomes_a_document_without_blank_rows_or_fields_that_do_not_apply():
    document = document_from_form(query([*BASE_FORM, ("eligibility.kinds", "distributor"),
                                         ("eligibility.kinds", "dealer"), ("eligibility.regions", "华东，华北 west")]))
    assert document == {
        "code": "spring", "name": "春季返利", "description": "", "currency": "CNY", "valid_from": "2026-01-01",
        "metric": "amount", "basis_source": "invoiced", "pooling": "none",
        "settlement": {"period": "quarter", "due_days": "30"},
        "eligibility": {"kinds": ["distributor", "dealer"], "grades": [], "regions": ["华东", "华北", "west"],
                        "tags_any": [], "abc_classes": [], "lifecycle_stages": [], "relationships": [],
                        "enrolment_required": False},
        "scope": {"include": {"categories": [], "brands": [], "skus": []},
                  "exclude": {"categories": [], "brands": [], "skus": []}},
        "calculation": {"type": "tiers", "mode": "retroactive",
                        "tiers": [{"from": "0", "rate_percent": "1"}, {"from": "100000", "rate_percent": "2.5"}]},
        "campaigns": [], "caps": {"rebate_cap": "50000"}, "stacks_after": [], "payout": {"form": "cash"},
    }
    assert "growth" not in document  # only with metric growth
    assert "rate_percent" not in document["calculation"]  # the flat-rate field does not apply to tiers


def test_removed_rows_leave_gaps_that_are_closed_and_a_tier_unit_names_the_values():
    pairs = [(n, v) for n, v in BASE_FORM if not n.startswith("calculation.tiers.")]
    pairs += [("calculation.tiers.0.from", "0"), ("calculation.tiers.0.value", "0.50"),
              ("calculation.tiers.4.from", "500"), ("calculation.tiers.4.value", "0.80"),
              ("campaigns.3.name", "双11"), ("campaigns.3.from", "2026-11-01"), ("campaigns.3.until", "2026-11-11"),
              ("campaigns.3.extra_rate_percent", "1")]
    pairs = [(n, "amount_per_unit" if n == "calculation.tier_unit" else v) for n, v in pairs]
    document = document_from_form(query(pairs))
    assert document["calculation"]["tiers"] == [{"from": "0", "amount_per_unit": "0.50"},
                                                {"from": "500", "amount_per_unit": "0.80"}]
    assert document["campaigns"] == [{"name": "双11", "from": "2026-11-01", "until": "2026-11-11",
                                      "extra_rate_percent": "1"}]


ERRORS = [
    {"path": "name", "message": "Field required"},
    {"path": "calculation.tiers.1.rate_percent", "message": "must be a percentage between 0 and 100"},
    {"path": "calculation.tiers", "message": "tier thresholds must be strictly ascending"},
    {"path": "eligibility.regions.0", "message": "too long"},
    {"path": "campaigns.0", "message": "until must not be before from"},
]


def test_errors_land_on_their_field_their_row_or_their_list():
    with translation.override("en"):
        form = PolicyForm({}, ERRORS)
    assert form.errors("name") == ["required"]
    assert form.errors("calculation.tiers.1") == ["rate_percent: must be a percentage between 0 and 100"]
    assert form.errors("calculation.tiers") == ["tier thresholds must be strictly ascending"]
    assert form.errors("eligibility.regions") == ["too long"]
    assert form.errors("campaigns.0") == ["the end must not be before the start"]
    assert form.errors("code") == []
    assert len(form.all_errors) == 5


def test_the_editor_shows_validation_messages_in_the_readers_language():
    with translation.override("zh-hans"):
        form = PolicyForm({}, [*ERRORS, {"path": "valid_from", "message": "Input should be greater than 0"},
                               {"path": "x", "message": "a message not known here"}])
    assert form.errors("name") == ["必填"]
    assert form.errors("calculation.tiers.1") == ["rate_percent: 应为 0 到 100 之间的百分比"]
    assert form.errors("calculation.tiers") == ["档位起点必须严格递增"]
    assert form.errors("valid_from") == ["必须大于 0"]
    assert form.errors("x") == ["a message not known here"]  # shown as it came


def test_a_stored_document_fills_the_form_with_one_blank_row_to_add():
    form = PolicyForm({"calculation": {"type": "tiers", "tiers": [
        {"from": "0", "rate_percent": None, "amount_per_unit": "0.5"}]}, "campaigns": [], "valid_until": None,
        "eligibility": {"kinds": ["dealer"], "enrolment_required": True}})
    assert form.tier_unit == "amount_per_unit"
    assert [(row["index"], row["from"], row["value"]) for row in form.tiers] == [(0, "0", "0.5"), (1, "", "")]
    assert form.value("valid_until") == "" and form.value("eligibility.enrolment_required") == "on"
    assert form.chosen("eligibility.kinds") == {"dealer"}


def test_the_diff_lists_each_changed_setting_by_path():
    left = {"name": "A", "calculation": {"tiers": [{"from": "0", "rate_percent": "1"}]}, "stacks_after": ["x"],
            "caps": {"rebate_cap": None}}
    right = {"name": "A", "calculation": {"tiers": [{"from": "0", "rate_percent": "1.5"}, {"from": "9", "rate_percent": "2"}]},
             "stacks_after": ["x", "y"], "caps": {"rebate_cap": "100"}}
    assert document_diff(left, right) == [
        DiffRow("name", "A", "A"),
        DiffRow("calculation.tiers.0.from", "0", "0"),
        DiffRow("calculation.tiers.0.rate_percent", "1", "1.5"),
        DiffRow("stacks_after", "x", "x, y"),
        DiffRow("calculation.tiers.1.from", None, "9"),
        DiffRow("calculation.tiers.1.rate_percent", None, "2"),
        DiffRow("caps.rebate_cap", None, "100"),
    ]
    assert [row.change for row in document_diff(left, right)] == [
        "same", "same", "changed", "changed", "added", "added", "added"]
    assert document_diff(right, left)[-1].change == "removed"


def _draft_of_dist_q(rate: str = "2.5") -> dict:
    document = dict(Policy.objects.get(code="dist-q").versions.get(number=1).document)
    document["calculation"] = {"type": "tiers", "mode": "retroactive", "tiers": [
        {"from": "0", "rate_percent": "1"}, {"from": "100000", "rate_percent": rate},
        {"from": "300000", "rate_percent": "3"}]}
    return document


def test_a_draft_is_one_version_saved_in_place_until_published(world):
    admin = world["users"]["administrator"]
    draft = policy_draft_save(data=_draft_of_dist_q("2.5"), actor=admin, policy_code="dist-q")
    assert (draft.number, draft.status) == (2, "draft")
    again = policy_draft_save(data=_draft_of_dist_q("2.6"), actor=admin, policy_code="dist-q")
    assert (again.pk, again.number, again.document["calculation"]["tiers"][1]["rate_percent"]) == (draft.pk, 2, "2.6")
    with pytest.raises(StateError):  # four eyes: a draft is submitted first
        policy_version_publish(version_id=draft.pk, actor=world["users"]["finance"])
    policy_version_submit(version_id=draft.pk, actor=admin)
    published = policy_version_publish(version_id=draft.pk, actor=world["users"]["finance"])
    assert published.status == "published"
    assert PolicyVersion.objects.get(policy__code="dist-q", number=1).status == "retired"
    unchanged = policy_draft_save(data=_draft_of_dist_q("2.6"), actor=admin, policy_code="dist-q")
    assert (unchanged.pk, unchanged.status) == (draft.pk, "published")  # the same document saves nothing
    assert PolicyVersion.objects.filter(policy__code="dist-q").count() == 2
    with pytest.raises(StateError):
        policy_version_publish(version_id=draft.pk, actor=admin)
    assert Statement.objects.get(customer__code="C001").policy_version.number == 1  # settled keeps its version


def test_a_bad_draft_lists_every_error_by_path_and_writes_nothing(world):
    document = _draft_of_dist_q("150")
    document["name"] = ""
    before = PolicyVersion.objects.count()
    with pytest.raises(ValidationFailed) as failure:
        policy_draft_save(data=document, actor=None, policy_code="dist-q")
    assert sorted(e["path"] for e in failure.value.details["errors"]) == ["calculation.tiers.1", "name"]
    with pytest.raises(ValidationFailed) as renamed:
        policy_draft_save(data={**_draft_of_dist_q(), "code": "other"}, actor=None, policy_code="dist-q")
    assert renamed.value.details["errors"] == [{"path": "code", "message": "must stay dist-q"}]
    with pytest.raises(ValidationFailed) as taken:
        policy_draft_save(data=_draft_of_dist_q(), actor=None, policy_code=None)
    assert taken.value.details["errors"][0]["path"] == "code"
    assert PolicyVersion.objects.count() == before


def test_the_preview_pays_what_a_settlement_would_beside_the_version_in_force_and_writes_nothing(world):
    draft = policy_draft_save(data=_draft_of_dist_q("2.5"), actor=None, policy_code="dist-q")
    statements, entries = Statement.objects.count(), LedgerEntry.objects.count()
    preview = policy_preview(draft, "2026-Q1", today=date(2026, 11, 24))
    # C001: 152,000.00 reaches tier 2 (2.5 % instead of 2 %); C002: 90,000.00 stays at 1 %.
    assert [(r.code, r.basis_minor, r.tier, r.amount_minor, r.in_force_minor, r.difference_minor)
            for r in preview.rows] == [("C001", 15_200_000, 2, 380_000, 304_000, 76_000),
                                       ("C002", 9_000_000, 1, 90_000, 90_000, 0)]
    assert (preview.participants, preview.total_minor, preview.in_force_total_minor) == (2, 470_000, 394_000)
    assert str(preview.cost_percent) == "1.94" and preview.tiers == [(1, 1), (2, 1)]
    assert (preview.gainers, preview.losers, preview.in_force.number) == (1, 0, 1)
    assert (Statement.objects.count(), LedgerEntry.objects.count()) == (statements, entries)


def test_the_preview_refuses_a_period_not_ended_or_of_another_kind(world):
    draft = policy_draft_save(data=_draft_of_dist_q(), actor=None, policy_code="dist-q")
    today = date(2026, 11, 24)
    assert [p.key for p in preview_periods(draft, today=today, count=3)] == ["2026-Q3", "2026-Q2", "2026-Q1"]
    for key, message in [("2026-Q4", "period 2026-Q4 has not ended; choose a past period"),
                         ("2026-03", "this policy settles per quarter: choose a period such as 2026-Q3"),
                         ("spring", "not a period: 'spring' (use 2026, 2026-H1, 2026-Q1 or 2026-01)")]:
        with pytest.raises(ValidationFailed) as failure:
            policy_preview(draft, key, today=today)
        assert failure.value.message == message


# ---------------------------------------------------------------- pages


class FormReader(HTMLParser):
    """Reads the editor's form the way a browser submits it: checked boxes, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_template = False
        self._multiple, self._first, self._any = False, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self._in_template = True
        if self._in_template:
            return
        if tag == "input" and a.get("name") and a.get("name") != "csrfmiddlewaretoken":
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value") or "on"))
            else:
                self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a.get("name")
            self._multiple, self._first, self._any = "multiple" in a, None, False
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value") or ""
            if "selected" in a:
                self._any = True
                self.pairs.append((self._select, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.pairs.append((self._textarea or "", ""))

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template = False
        elif tag == "select":
            if self._select and not self._multiple and not self._any and self._first is not None:
                self.pairs.append((self._select, self._first))  # a browser submits the first option
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, text = self.pairs.pop()
            self.pairs.append((name, text + data))


def submitted(html: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(html.split('id="policy-editor"', 1)[1])
    return reader.pairs


RICH = """
code: rich
name: 全功能政策
description: every section set
valid_from: 2026-01-01
valid_until: 2026-12-31
settlement: {period: quarter, interim: month, due_days: 45}
eligibility: {kinds: [distributor, dealer], regions: [华东], tags_any: [vip], min_tenure_days: 90, enrolment_required: true}
scope: {include: {categories: [drinks], brands: [acme]}, exclude: {skus: [COLA-1]}}
metric: amount
basis_source: paid
calculation: {type: tiers, mode: incremental, tiers: [{from: 0, rate_percent: 1}, {from: 100000, rate_percent: 2.5}]}
campaigns: [{name: 春节, from: 2026-02-01, until: 2026-02-28, extra_rate_percent: 0.5}]
caps: {basis_cap: 900000, rebate_cap: 20000.50, minimum_payout: 100}
pooling: parent
stacks_after: [dist-q]
payout: {form: rebate_account, max_offset_percent_per_order: 30, min_order_amount: 1000, credit_expiry_days: 365}
"""


def test_opening_a_version_in_the_editor_and_saving_unchanged_writes_nothing(client, world):
    from fanli.rebates.services import policy_apply

    policy_apply(text=RICH, actor=None)
    client.force_login(world["users"]["channel_manager"])
    for code in ("rich", "dist-q"):
        page = client.get(f"/office/policies/{code}/edit/").content.decode()
        response = client.post(f"/office/policies/{code}/edit/", posted(submitted(page)))
        assert response.status_code == 302, response.content.decode()[:3000]
        versions = PolicyVersion.objects.filter(policy__code=code).order_by("number")
        changed = [row for row in document_diff(versions[0].document, versions.last().document) if row.change != "same"]
        assert changed == []
        assert versions.count() == 1  # nothing new: the same document


def test_a_rejected_save_shows_errors_beside_fields_and_keeps_what_was_typed(client, world):
    client.force_login(world["users"]["channel_manager"])
    pairs = [(n, v) for n, v in BASE_FORM if n not in ("name", "calculation.tiers.1.value")]
    pairs += [("name", ""), ("calculation.tiers.1.value", "250")]
    response = client.post("/office/policies/new/", posted(pairs))
    page = response.content.decode()
    assert response.status_code == 422
    assert '<ul class="field-errors" data-path="name"><li>必填</li></ul>' in page
    assert '<ul class="field-errors"><li>应为 0 到 100 之间的百分比</li></ul>' in page
    assert 'value="250"' in page and 'value="50000"' in page  # typed values are kept
    assert not Policy.objects.filter(code="spring").exists()


def test_save_preview_publish_from_the_pages(client, world):
    client.force_login(world["users"]["channel_manager"])
    response = client.post("/office/policies/new/", posted(BASE_FORM))
    assert response.status_code == 302 and response["Location"] == "/office/policies/spring/v1/preview/"
    version = PolicyVersion.objects.get(policy__code="spring")
    assert (version.number, version.status, version.created_by.username) == (1, "draft", "channel_manager")
    preview = client.get("/office/policies/spring/v1/preview/?period=2026-Q1").content.decode()
    # as a channel manager: totals over everyone, rows only for the customers they own (C001)
    assert 'id="preview-total">¥4,700.00<' in preview  # C001 2.5 % of 152,000 + C002 1 % of 90,000
    assert "C001" in preview and "/office/customers/C002/" not in preview
    assert client.post("/office/policies/spring/v1/publish/").status_code == 403  # no right to publish
    page = client.post("/office/policies/spring/v1/submit/", follow=True).content.decode()
    assert "版本 1 已提交" in page and "等待他人审批" in page
    version.refresh_from_db()
    assert (version.status, version.submitted_by.username) == ("submitted", "channel_manager")
    client.force_login(world["users"]["finance"])
    assert 'data-action="publish"' in client.get("/office/policies/spring/").content.decode()
    response = client.post("/office/policies/spring/v1/publish/")
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.published_by.username) == ("published", "finance")
    same = client.get("/office/policies/dist-q/diff/?left=1&right=1").content.decode()
    assert "0 项设置不同。" in same and "两个版本相同。" in same
    policy_draft_save(data=_draft_of_dist_q("2.5"), actor=None, policy_code="dist-q")
    diff = client.get("/office/policies/dist-q/diff/").content.decode()  # default: the last two versions
    assert "1 项设置不同。" in diff
    assert ('<tr class="changed" data-path="calculation.tiers.1.rate_percent"><td>计算方式 › 第 2 档 › 比例（%） '
            '<code class="muted small">calculation.tiers.1.rate_percent</code></td><td class="left">2</td>'
            '<td class="right">2.5</td></tr>') in diff  # the form's words, tiers counted from 1


@pytest.mark.parametrize("role", EVERY_STAFF)
def test_every_staff_role_reads_policies_and_only_editors_change_them(client, world, role):
    client.force_login(world["users"][role])
    for path in ("/office/policies/", "/office/policies/dist-q/", "/office/policies/dist-q/v1/",
                 "/office/policies/dist-q/diff/"):
        assert client.get(path).status_code == 200, path
    editing = 200 if role in EDITORS else 403
    for path in ("/office/policies/new/", "/office/policies/dist-q/edit/", "/office/policies/dist-q/v1/preview/"):
        assert client.get(path).status_code == editing, path
    publish = client.post("/office/policies/dist-q/v1/publish/")
    assert publish.status_code == (302 if role in PUBLISHERS else 403)  # v1 is in force: refused beside the list
    assert PolicyVersion.objects.get(policy__code="dist-q", number=1).status == "published"
    assert client.get("/office/policies/nothing/").status_code == 404


@pytest.mark.parametrize("user", ["anonymous", "portal"])
def test_customers_and_strangers_never_reach_policies(client, world, user):
    if user != "anonymous":
        client.force_login(world["users"][user])
    for path in ("/office/policies/", "/office/policies/new/", "/office/policies/dist-q/v1/preview/"):
        response = client.get(path)
        assert response.status_code == (302 if user == "anonymous" else 403), path
    assert client.post("/office/policies/dist-q/v1/publish/").status_code == (302 if user == "anonymous" else 403)
    assert PolicyVersion.objects.get(policy__code="dist-q").status == "published"


def test_a_published_version_is_previewed_against_the_version_before_it(world):
    draft = policy_draft_save(data=_draft_of_dist_q("2.5"), actor=None, policy_code="dist-q")
    policy_version_publish(version_id=draft.pk, actor=None)
    preview = policy_preview(PolicyVersion.objects.get(pk=draft.pk), "2026-Q1", today=date(2026, 11, 24))
    assert (preview.in_force.number, preview.in_force.status) == (1, "retired")
    assert (preview.total_minor, preview.in_force_total_minor) == (470_000, 394_000)
    first = policy_preview(PolicyVersion.objects.get(policy__code="dist-q", number=1), "2026-Q1",
                           today=date(2026, 11, 24))
    assert first.in_force is None and first.in_force_total_minor == 0 and first.total_minor == 394_000


def test_the_effectiveness_page_and_its_export_show_the_figures(client, world):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(world["users"]["finance"])
    page = client.get("/office/policies/dist-q/effectiveness/?period=2026-Q1")
    html = page.content.decode()
    assert page.status_code == 200
    # C001: 152,000 (tier 2, 2 % retroactive: 3,040); C002: 90,000 (tier 1: 900)
    assert '<strong id="eff-participants">2</strong>' in html and '<strong id="eff-rebate">¥3,940.00</strong>' in html
    assert 'id="chart-eff-tiers"' in html and '"unit": "%"' in html
    refused = client.get("/office/policies/dist-q/effectiveness/?period=2026-Q4")
    assert refused.status_code == 422 and "period 2026-Q4 has not ended; choose a past period" in refused.content.decode()
    book = load_workbook(BytesIO(client.get("/office/policies/dist-q/effectiveness.xlsx?period=2026-Q1").content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["参与客户"] == 2 and summary["返利"] == 3940
    assert [row[0] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)] == ["C001", "C002"]


def test_a_what_if_from_the_editor_computes_the_form_as_typed_and_stores_nothing(client, world):
    client.force_login(world["users"]["channel_manager"])
    versions, statements, entries = PolicyVersion.objects.count(), Statement.objects.count(), LedgerEntry.objects.count()
    audit = AuditEvent.objects.count()
    response = client.post("/office/policies/dist-q/edit/", posted([*BASE_FORM, ("whatif", "1"),
                                                                     ("whatif_period", "2026-Q1")]))
    page = response.content.decode()
    assert response.status_code == 200
    # tier 2 at 2.5 % instead of 2 %: C001 152,000 * 2.5 % = 3,800 + C002 900 = 4,700 against 3,940 in force
    assert 'id="whatif-total">¥4,700.00<' in page and 'id="whatif-in-force">¥3,940.00<' in page
    assert 'id="whatif-difference">¥760.00<' in page and 'id="whatif-gain-lose">1 / 0<' in page
    assert 'name="calculation.tiers.1.value" value="2.5"' in page  # the form comes back as typed
    assert (PolicyVersion.objects.count(), Statement.objects.count(), LedgerEntry.objects.count(),
            AuditEvent.objects.count()) == (versions, statements, entries, audit)
    broken = client.post("/office/policies/dist-q/edit/", posted([*BASE_FORM, ("whatif", "1"),
                                                                   ("calculation.tiers.1.from", "-5")]))
    assert broken.status_code == 422 and 'id="error-summary"' in broken.content.decode()
    assert PolicyVersion.objects.count() == versions


def test_the_effectiveness_page_is_kept_until_new_sales_arrive(client, world):
    from tests.builders import invoice

    client.force_login(world["users"]["finance"])
    first = client.get("/office/policies/dist-q/effectiveness/?period=2026-Q1").content.decode()
    assert '<strong id="eff-rebate">¥3,940.00</strong>' in first
    invoice(world["other_statement"].customer, date(2026, 3, 1), ("TEA-1", "20000"))  # a late Q1 sale
    again = client.get("/office/policies/dist-q/effectiveness/?period=2026-Q1").content.decode()
    assert '<strong id="eff-rebate">¥5,240.00</strong>' in again  # C002 reaches tier 2: 2 % of 110,000 = 2,200


def test_a_document_path_reads_as_the_form_names_it_counting_from_one():
    from django.utils import translation

    from fanli.web.field_labels import field_label

    with translation.override("en"):
        assert field_label("calculation.tiers.1.rate_percent") == "Calculation › Tier 2 › Rate (%)"
        assert field_label("scope.exclude.categories") == "Products › Excluded › Categories"
        assert field_label("something.new") == "something › new"
    with translation.override("zh-hans"):
        assert field_label("calculation.tiers.0.from") == "计算方式 › 第 1 档 › 从"


def test_a_version_reads_as_sections_of_settings_and_a_tier_table_with_the_yaml_behind_a_link(client, world):
    client.force_login(world["users"]["auditor"])
    page = client.get("/office/policies/dist-q/v1/").content.decode()
    readable = page.split('id="policy-readable"')[1].split('id="policy-yaml"')[0]
    assert '<tr data-path="settlement.period"><th>结算 › 期间</th><td>季度</td></tr>' in readable
    assert '<tr data-path="calculation.mode"><th>计算方式 › 阶梯方式</th><td>全额累进</td></tr>' in readable
    tiers = readable.split('id="tier-table"')[1].split("</table>")[0]
    assert [row.split("</td>")[0] for row in tiers.split("<tr><td>")[1:]] == ["1", "2", "3"]
    assert '<td class="num">100,000</td>' in tiers and '<td class="num">2</td>' in tiers
    yaml_part = page.split('id="policy-yaml"')[1]
    assert yaml_part.startswith("><summary>政策文件（YAML）</summary>"), yaml_part[:120]
    assert "rate_percent: &#x27;2&#x27;" in yaml_part  # the stored document, as YAML, escaped for the page
