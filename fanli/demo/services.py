"""Writing the demo data set: ``demo_load``.

Design overview: one transaction; master data first (users, grades, catalog, customers, then
branches pointing at their parents), then the generated sales documents, streamed: 5,000
documents at a time become plain rows written through ``fanli.common.bulk.rows_insert`` (``COPY``
on PostgreSQL, ``executemany`` elsewhere). Documents get their ids here, so a return points at
its invoice without reading it back, and only the ids of invoices whose return is still ahead
are kept: memory does not grow with the number of lines. Every document's ``content_sha256``
comes from ``fanli.sales.fingerprint.document_fingerprint``, exactly as the import path computes
it. The sample policies in ``policies/`` are published through the rebate services, and
customers are enrolled where a policy requires an agreement (返利协议). Then the activity of a
running business: discounts, loyalty, the month end and its payouts, customer management.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from fanli.accounts.models import PortalAccess
from fanli.catalog.models import Brand, Category, Product
from fanli.common.bulk import keys_and_indexes_built_at_end, rows_insert
from fanli.common.dbstats import statistics_refresh_on_commit
from fanli.common.revisions import revisions_bump_sales_between
from fanli.common.services import api_token_create, audit_record
from fanli.customers.models import ContactPerson, Customer, Grade
from fanli.customers.tax_ids import check_character
from fanli.sales.fingerprint import document_fingerprint
from fanli.sales.models import SalesDocument, SalesLine

from .crm import crm_create
from .exceptions import DemoDataPresent
from .generate import (
    BRANDS,
    CATEGORY_TREE,
    CURRENCY,
    DEFAULT_CUSTOMERS,
    DEFAULT_LINES,
    DEFAULT_SEED,
    GRADES,
    SALES_REPRESENTATIVES,
    CustomerSpec,
    DocumentSpec,
    MasterData,
    documents_generate,
    master_data_generate,
)

POLICY_DIRECTORY = Path(__file__).resolve().parent / "policies"
DOCUMENTS_PER_CHUNK = 5000
DEMO_USERS = (  # username, password, superuser, role
    ("admin", "fanli-admin", True, "administrator"),
    ("finance", "fanli-finance", False, "finance"),
    ("controller", "fanli-controller", False, "finance"),  # the second pair of eyes: pays what finance approved
    ("manager", "fanli-manager", False, "channel_manager"),  # writes policies; admin or finance publishes them
    ("service", "fanli-service", False, "customer_service"),
    ("auditor", "fanli-auditor", False, "auditor"),
)
PORTAL_USER = ("portal", "fanli-portal")  # the login of the largest distributor group's head
DEALER_POLICY_CODE = "dealer-annual"
DATA_PRESENT_MESSAGE = "demo data not loaded: the database already holds customers, products or sales"

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    seed: int
    today: date
    customers: int
    branches: int
    products: int
    invoices: int
    returns: int
    lines: int
    sales_total_minor: int
    policies: tuple[str, ...]
    enrolments: int
    api_token: str
    seconds: int
    counts_by_kind: dict[str, int] = field(default_factory=dict)


def demo_data_present() -> bool:
    """True when customers, the catalog or sales exist: loading would mix with that data."""
    return (
        Customer.objects.exists()
        or SalesDocument.objects.exists()
        or Product.objects.exists()
        or Category.objects.exists()
        or Brand.objects.exists()
    )


def policy_texts() -> list[tuple[str, str]]:
    """(file name, YAML text) of every sample policy, in file-name order."""
    return [(path.name, path.read_text(encoding="utf-8")) for path in sorted(POLICY_DIRECTORY.glob("*.yaml"))]


def demo_load(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    lines: int = DEFAULT_LINES,
    seed: int = DEFAULT_SEED,
    today: date,
    progress: Progress | None = None,
    publish_policies: bool = True,
    activity: bool = True,
) -> DemoSummary:
    """Load the demo data set into an empty database; refuse when master data or sales exist.

    ``activity=False`` stops after the sales, the sample policies and their enrolments: no month
    end, payouts, discounts, loyalty or customer management (what the benchmarks measure on).
    """
    started = time.monotonic()
    try:
        with transaction.atomic():
            # Checked inside the transaction; a load running at the same moment trips the
            # unique customer codes instead, which is reported the same way below.
            if demo_data_present():
                raise DemoDataPresent(DATA_PRESENT_MESSAGE, details={"customers": Customer.objects.count()})
            summary = _everything_create(
                customers=customers, lines=lines, seed=seed, today=today, progress=progress,
                publish_policies=publish_policies, activity=activity,
            )
            statistics_refresh_on_commit([Customer, Product, SalesDocument, SalesLine])
    except IntegrityError:
        if demo_data_present():
            raise DemoDataPresent(DATA_PRESENT_MESSAGE, details={"customers": Customer.objects.count()}) from None
        raise
    return replace(summary, seconds=round(time.monotonic() - started))


def _everything_create(
    *, customers: int, lines: int, seed: int, today: date, progress: Progress | None, publish_policies: bool,
    activity: bool,
) -> DemoSummary:
    rng = random.Random(seed)
    master = master_data_generate(rng, customers=customers, today=today)
    users = _users_create()
    admin = users["admin"]
    grades = _grades_create()
    products = _catalog_create(master)
    customer_ids = _customers_create(master, grades=grades, users=users)
    _portal_user_create(master, customer_ids)
    invoices, returns, line_count, sales_total = _documents_create(
        documents_generate(rng, master, lines=lines, today=today),
        customer_ids=customer_ids,
        product_ids=products,
        total_lines=lines,
        progress=progress,
    )
    policies: tuple[str, ...] = ()
    enrolments = 0
    if publish_policies:
        policies, enrolments = _policies_publish(master, author=users["manager"], actor=admin,
                                                 rng=random.Random(seed + 1))
    if publish_policies and activity:
        _discounts_and_loyalty_create(master, author=users["manager"], actor=admin, today=today)
        _month_end_run(actor=admin, today=today)
        _payouts_made(approver=users["finance"], payer=users["controller"], today=today, rng=random.Random(seed + 3))
        _notices_dated(today)
        _agreements_accepted(today)
    if activity:
        crm_create(master, users=users, today=today, rng=random.Random(seed + 2))
    token = api_token_create(user=admin, name="demo")
    audit_record(
        actor=admin,
        action="demo.load",
        object_type="demo",
        data={"seed": seed, "customers": customers, "lines": lines, "today": today.isoformat(), "activity": activity},
    )
    counts_by_kind: dict[str, int] = {}
    for spec in master.customers:
        counts_by_kind[spec.kind] = counts_by_kind.get(spec.kind, 0) + 1
    return DemoSummary(
        seed=seed,
        today=today,
        customers=len(master.customers),
        branches=sum(1 for spec in master.customers if spec.parent_code),
        products=len(master.products),
        invoices=invoices,
        returns=returns,
        lines=line_count,
        sales_total_minor=sales_total,
        policies=policies,
        enrolments=enrolments,
        api_token=token,
        seconds=0,
        counts_by_kind=counts_by_kind,
    )


def _users_create() -> dict[str, Any]:
    user_model = get_user_model()
    users: dict[str, Any] = {}
    for username, password, superuser, role in DEMO_USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            if superuser:
                user = user_model.objects.create_superuser(username, f"{username}@fanli.example", password)
            else:
                user = user_model.objects.create_user(username, f"{username}@fanli.example", password, is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[username] = user
    for username in sorted({name for names in SALES_REPRESENTATIVES.values() for name in names}):
        user = user_model.objects.filter(username=username).first()
        if user is None:
            first, _, last = username.partition(".")
            user = user_model.objects.create_user(username, f"{username}@fanli.example", None,
                                                  first_name=first.title(), last_name=last.title())
        user.groups.add(Group.objects.get_or_create(name="channel_manager")[0])  # sees the customers they own
        users[username] = user
    return users


def _portal_user_create(master: MasterData, customer_ids: dict[str, int]) -> None:
    """A portal login for the first distributor that heads a group (it sees its branches too)."""
    heads = {spec.parent_code for spec in master.customers if spec.parent_code}
    code = next((s.code for s in master.customers if s.kind == "distributor" and s.code in heads),
                master.customers[0].code)
    username, password = PORTAL_USER
    user = get_user_model().objects.create_user(username, f"{username}@fanli.example", password)
    PortalAccess.objects.create(user=user, customer_id=customer_ids[code])


def _grades_create() -> dict[str, int]:
    ids = {}
    for spec in GRADES:
        grade, _ = Grade.objects.get_or_create(code=spec.code, defaults={"name": spec.name, "rank": spec.rank})
        ids[spec.code] = grade.pk
    return ids


def _catalog_create(master: MasterData) -> dict[str, int]:
    """Categories, brands and products; returns product ids by SKU."""
    category_ids: dict[str, int] = {}
    for top in CATEGORY_TREE:
        parent = Category.objects.create(code=top.code, name=top.name)
        category_ids[top.code] = parent.pk
        for leaf in Category.objects.bulk_create(
            [Category(code=leaf.code, name=leaf.name, parent=parent) for leaf in top.leaves]
        ):
            category_ids[leaf.code] = leaf.pk
    brand_ids = {brand.code: brand.pk for brand in Brand.objects.bulk_create(
        [Brand(code=code, name=name) for code, name in BRANDS]
    )}
    created = Product.objects.bulk_create(
        [
            Product(
                sku=spec.sku,
                name=spec.name,
                category_id=category_ids[spec.category_code],
                brand_id=brand_ids[spec.brand_code],
                unit=spec.unit,
                list_price_minor=spec.list_price_minor,
            )
            for spec in master.products
        ]
    )
    return {product.sku: product.pk for product in created}


DEMO_BANKS = ("中国工商银行上海分行", "中国建设银行杭州分行", "招商银行南京分行", "中国银行苏州分行", "交通银行宁波分行")


def _bank_account(code: str) -> tuple[str, str]:
    """A demo bank and account number for ``code``, from the code itself (the random stream that
    makes the rest of the data set is left as it was)."""
    number = int("".join(ch for ch in code if ch.isdigit()) or 0)
    return DEMO_BANKS[number % len(DEMO_BANKS)], f"622202{number:013d}"


DEMO_STREETS = ("人民路", "解放路", "中山路", "建设路", "和平路")


def _tax_id(code: str) -> str:
    """A well-formed unified social credit code for ``code`` (registered company, a county code of
    Shanghai, the customer's digits as the organisation code)."""
    number = int("".join(ch for ch in code if ch.isdigit()) or 0)
    first_17 = f"913101{number % 10 ** 11:011d}"
    return first_17 + check_character(first_17)


def _customer_model(spec: CustomerSpec, *, grades: dict[str, int], users: dict[str, Any], parent_id: int | None) -> Customer:
    bank_name, account_number = _bank_account(spec.code)
    return Customer(
        code=spec.code,
        name=spec.name,
        kind=spec.kind,
        grade_id=grades[spec.grade_code],
        size_class=spec.size_class,
        start_date=spec.start_date,
        region=spec.region,
        industry=spec.industry,
        owner=users[spec.owner_username],
        parent_id=parent_id,
        credit_limit_minor=spec.credit_limit_minor,
        payment_terms_days=spec.payment_terms_days,
        tags=list(spec.tags),
        email_opt_in=spec.email_opt_in,
        sms_opt_in=spec.sms_opt_in,
        status=spec.status,
        tax_id=_tax_id(spec.code),
        registered_address=f"{spec.region}{DEMO_STREETS[len(spec.code) % len(DEMO_STREETS)]}{len(spec.name) * 7 % 300 + 1}号",
        bank_name=bank_name,
        bank_account_name=spec.name,
        bank_account_number=account_number,
        # entered by finance when the customer started, checked by the controller the next day
        bank_changed_by=users["finance"],
        bank_changed_at=timezone.make_aware(datetime.combine(spec.start_date, clock(10))),
        bank_verified_by=users["controller"],
        bank_verified_at=timezone.make_aware(datetime.combine(spec.start_date + timedelta(days=1), clock(9))),
    )


def _customers_create(master: MasterData, *, grades: dict[str, int], users: dict[str, Any]) -> dict[str, int]:
    """Stand-alone customers and parents first, then branches; returns ids by code."""
    heads = [spec for spec in master.customers if spec.parent_code is None]
    created = Customer.objects.bulk_create(
        [_customer_model(spec, grades=grades, users=users, parent_id=None) for spec in heads], batch_size=500
    )
    ids = {customer.code: customer.pk for customer in created}
    branches = [
        _customer_model(spec, grades=grades, users=users, parent_id=ids[spec.parent_code])
        for spec in master.customers
        if spec.parent_code is not None
    ]
    created = Customer.objects.bulk_create(branches, batch_size=500)
    ids.update({customer.code: customer.pk for customer in created})
    ContactPerson.objects.bulk_create(
        [person for spec in master.customers for person in _contact_persons(spec, ids[spec.code])], batch_size=1000)
    return ids


def _agreements_accepted(today: date) -> None:
    """The portal's distributor accepted its agreements in the portal, but for the last by name,
    which waits for its acceptance."""
    from fanli.accounts.models import PortalAccess
    from fanli.rebates.agreements import agreement_accept, customer_agreements

    access = PortalAccess.objects.select_related("user", "customer").first()
    if access is None:
        return
    for agreement in customer_agreements(access.customer, today)[:-1]:
        agreement_accept(customer_code=access.customer.code, version_id=agreement.version.pk, actor=access.user,
                         day=today, ip_address="127.0.0.1", user_agent="demo data")


def _notices_dated(today: date) -> None:
    """The notices the month end raised belong to the demo's history: each is dated on its event
    (the statement's approval, the payout's day) and, but for today's, its e-mails went out then.
    Today's wait for the notices job, which sends them (to ``FANLI_VAR_DIR/mail`` by default)."""
    from fanli.ledger.models import Payout
    from fanli.notices.models import Delivery, Notice
    from fanli.rebates.models import PolicyVersion, Statement

    notices = list(Notice.objects.all())
    ids = {kind: [int(n.key.split(":")[1]) for n in notices if n.kind == kind] for kind in ("statement", "payout")}
    days = {f"statement:{pk}": day for pk, day in
            Statement.objects.filter(pk__in=ids["statement"]).values_list("pk", "approved_on")}
    days |= {f"payout:{pk}": day for pk, day in Payout.objects.filter(pk__in=ids["payout"]).values_list("pk", "paid_on")}
    valid_from = {pk: date.fromisoformat(str(document["valid_from"])) for pk, document in
                  PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).values_list("pk", "document")}
    for notice in notices:  # a sample policy's agreement was sent when it took effect
        if notice.kind == "agreement":
            version_id = int(notice.key.split(":")[1])
            if version_id in valid_from:
                days[notice.key] = min(valid_from[version_id], today)
    zone = timezone.get_current_timezone()
    when: dict[int, datetime] = {}
    for notice in notices:
        day = days.get(notice.key) or today
        notice.created_at = datetime.combine(day, clock(9, 30), tzinfo=zone) + timedelta(seconds=notice.pk % 3600)
        when[notice.pk] = notice.created_at
    Notice.objects.bulk_update(notices, ["created_at"], batch_size=1000)
    sent = []
    for delivery in Delivery.objects.filter(state=Delivery.State.QUEUED):
        created = when[delivery.notice_id]
        if created.date() < today:
            delivery.state, delivery.attempts = Delivery.State.SENT, 1
            delivery.sent_at = delivery.next_attempt_at = created + timedelta(minutes=2)
            sent.append(delivery)
    Delivery.objects.bulk_update(sent, ["state", "attempts", "sent_at", "next_attempt_at"], batch_size=1000)


DEMO_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
DEMO_GIVEN_NAMES = ("伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英")


def _contact_persons(spec: CustomerSpec, customer_id: int) -> list[ContactPerson]:
    """Finance (statements and payouts) at every customer and, but at retailers, a buyer (tiers,
    agreements, contracts); names, numbers and addresses come from the code, as the bank account's do."""
    number = int("".join(ch for ch in spec.code if ch.isdigit()) or 0)

    def person(offset: int, role: str, notices: list[str], language: str = "zh-hans") -> ContactPerson:
        name = DEMO_SURNAMES[(number + offset) % len(DEMO_SURNAMES)] + DEMO_GIVEN_NAMES[(number * 7 + offset) % 15]
        return ContactPerson(customer_id=customer_id, name=name, role=role, phone=f"+86 139 {number % 10_000:04d} {offset:04d}",
                             email=f"{'finance' if offset == 1 else 'buyer'}.{spec.code.lower()}@example.cn",
                             wechat_id=f"wx{spec.code.lower()}{offset}", language=language, notices=notices)

    people = [person(1, "财务经理", ["statement", "payout", "dispute"],
                     "en" if spec.kind == "joint_venture" and number % 2 else "zh-hans")]
    if spec.kind != "retailer":
        people.append(person(2, "采购经理", ["tier", "agreement", "contract"]))
    return people


def _documents_create(
    documents: Iterable[DocumentSpec],
    *,
    customer_ids: dict[str, int],
    product_ids: dict[str, int],
    total_lines: int,
    progress: Progress | None,
) -> tuple[int, int, int, int]:
    """Write the document stream in chunks; returns (invoices, returns, lines, signed total).

    Millions of rows go through ``rows_insert`` as plain tuples: building a model instance per
    line costs more than the insert itself. On PostgreSQL the sales tables' foreign keys and
    plain indexes are built once at the end (``keys_and_indexes_built_at_end``). Documents get
    explicit ids (so lines and returns can point at them without reading them back) and the id
    sequences are reset afterwards. The database's check constraints still guard every row.
    """
    copying = connection.vendor == "postgresql"
    adapt_date = _unchanged if copying else connection.ops.adapt_datefield_value
    recorded_at = timezone.now() if copying else connection.ops.adapt_datetimefield_value(timezone.now())
    next_id = (SalesDocument.objects.aggregate(highest=Max("id"))["highest"] or 0) + 1
    awaited_ids: dict[str, int] = {}  # ids of invoices whose return is still ahead in the stream
    basis_span = (date.max, date.min)
    counts = {"invoice": 0, "return": 0, "lines": 0, "total": 0}
    document_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []

    def flush() -> None:
        rows_insert(SalesDocument, DOCUMENT_FIELDS, document_rows)
        rows_insert(SalesLine, LINE_FIELDS, line_rows)
        counts["lines"] += len(line_rows)
        document_rows.clear()
        line_rows.clear()
        if progress is not None:
            progress(counts["lines"], total_lines)

    with keys_and_indexes_built_at_end(SalesDocument, SalesLine):
        for spec in documents:
            document_id = next_id
            next_id += 1
            if spec.returned_later:
                awaited_ids[spec.number] = document_id
            customer_id = customer_ids[spec.customer_code]
            fingerprint = document_fingerprint(
                number=spec.number,
                kind=spec.kind,
                document_date=spec.document_date,
                customer_code=spec.customer_code,
                currency=CURRENCY,
                reverses_number=spec.reverses_number,
                due_date=spec.due_date,
                lines=spec.lines,
            )
            basis_date = adapt_date(spec.basis_date)
            basis_span = (min(basis_span[0], spec.basis_date), max(basis_span[1], spec.basis_date))
            document_rows.append((
                document_id,
                spec.number,
                spec.kind,
                adapt_date(spec.document_date),
                basis_date,
                customer_id,
                CURRENCY,
                awaited_ids.pop(spec.reverses_number) if spec.reverses_number else None,
                spec.total_minor,
                adapt_date(spec.due_date),
                spec.paid_minor,
                fingerprint,
                recorded_at,
            ))
            is_return = spec.kind == "return"
            line_rows.extend(
                (
                    document_id,
                    line.line_number,
                    product_ids[line.sku],
                    line.quantity_milli,
                    line.unit_price_minor,
                    line.net_amount_minor,
                    customer_id,
                    basis_date,
                    is_return,
                )
                for line in spec.lines
            )
            counts[spec.kind] += 1
            counts["total"] += spec.total_minor
            if len(document_rows) >= DOCUMENTS_PER_CHUNK:
                flush()
        if document_rows:
            flush()
    if counts["lines"]:  # settlement learns which months have sales (fanli.common.revisions)
        revisions_bump_sales_between(*basis_span)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [SalesDocument, SalesLine]):
            cursor.execute(statement)
    return counts["invoice"], counts["return"], counts["lines"], counts["total"]


DOCUMENT_FIELDS = (
    "id", "number", "kind", "document_date", "basis_date", "customer", "currency", "reverses", "total_minor",
    "due_date", "paid_minor", "content_sha256", "recorded_at",
)
LINE_FIELDS = (
    "document", "line_number", "product", "quantity_milli", "unit_price_minor", "net_amount_minor", "customer",
    "basis_date", "is_return",
)


def _unchanged(value: Any) -> Any:
    return value


def _policies_publish(master: MasterData, *, author: Any, actor: Any, rng: random.Random
                      ) -> tuple[tuple[str, ...], int]:
    """Every sample policy written and submitted by the channel manager and published by the
    administrator (four eyes), and dealers enrolled in the dealer agreement policy."""
    from fanli.rebates.document import load_policy_text
    from fanli.rebates.services import enrolment_set, policy_apply, policy_version_publish

    codes = []
    for _name, text in policy_texts():
        applied = policy_apply(text=text, actor=author)
        if applied.version.status != "published":
            policy_version_publish(version_id=applied.version.pk, actor=actor)
        codes.append(load_policy_text(text).code)
    enrolments = 0
    for spec, overrides in dealer_enrolments(master, rng=rng):
        enrolment_set(
            policy_code=DEALER_POLICY_CODE,
            customer_code=spec.code,
            valid_from=None,
            valid_until=None,
            overrides=overrides,
            actor=actor,
        )
        enrolments += 1
    return tuple(codes), enrolments


DISCOUNT_DIRECTORY = Path(__file__).resolve().parent / "discounts"
LOYALTY_FILE = Path(__file__).resolve().parent / "loyalty" / "club.yaml"


def _month_end_run(*, actor: Any, today: date) -> None:
    """The last ended quarter settled and the last ended month accrued, as finance would have
    done: the demo opens with statements to review, approve and pay."""
    from fanli.common.periods import PeriodKind, period_containing
    from fanli.rebates.services import accrual_run, settlement_run

    settlement_run(period_key=period_containing(today, PeriodKind.QUARTER).previous().key, actor=actor, today=today)
    accrual_run(month_key=period_containing(today, PeriodKind.MONTH).previous().key, actor=actor, today=today)


PAID_SHARE = 0.75


DEMO_WAITING_BATCH = 20  # at most, statements in the batch the demo leaves waiting for the bank


def _payouts_made(*, approver: Any, payer: Any, today: date, rng: random.Random) -> None:
    """Finance has approved and paid about three in four of the settled statements, each a few days
    before it fell due (or today when that is still ahead), never before its period ended; one
    person approved and another paid (four eyes), the statements of a day together in a payment
    batch the bank paid that day. The rest wait for review, approval or payment, a few of them
    overdue, as in any real month; today's batch waits for the bank."""
    from fanli.ledger.models import PayoutForm
    from fanli.rebates.models import Statement
    from fanli.rebates.payment_batches import payment_batch_confirm, payment_batch_prepare, payout_forms
    from fanli.rebates.payouts import payout_record
    from fanli.rebates.services import statement_approve

    paid_by_day: dict[date, list[Statement]] = {}
    unpaid: list[Statement] = []
    for statement in Statement.objects.filter(state=Statement.State.DRAFT).order_by("id"):
        roll = rng.random()
        if roll >= PAID_SHARE + 0.1:
            continue  # still a draft to review
        due = statement.due_date or today
        first_day = statement.counted_through + timedelta(days=1)
        paid_on = max(min(due - timedelta(days=rng.randint(0, 7)), today), first_day)
        statement_approve(statement_id=statement.pk, actor=approver, today=today,
                          on=max(paid_on - timedelta(days=rng.randint(0, 3)), first_day))
        if roll < PAID_SHARE:
            paid_by_day.setdefault(paid_on, []).append(statement)
        elif statement.amount_minor > 0:
            unpaid.append(statement)
    for paid_on, statements in sorted(paid_by_day.items()):
        batched = [s.pk for s in statements if s.amount_minor > 0]
        if batched:
            batch = payment_batch_prepare(statement_ids=batched, actor=payer, today=paid_on)
            payment_batch_confirm(batch_id=batch.pk, paid_on=paid_on, actor=payer, today=today)
        for statement in statements:
            if statement.amount_minor <= 0:  # a clawback is recovered, not paid in a batch
                payout_record(statement_id=statement.pk, actor=payer, paid_on=paid_on,
                              reference=f"DEMO-{statement.pk:06d}", today=today)
    # Today's batch went to the bank and waits for its confirmation; the other approved statements
    # wait for the next one.
    forms = payout_forms(unpaid)
    unpaid.sort(key=lambda s: (forms[s.policy_version_id] != PayoutForm.CASH, s.pk))  # bank transfers first
    waiting = unpaid[:min(DEMO_WAITING_BATCH, (len(unpaid) + 1) // 2)]  # and some for the next batch
    if waiting:
        payment_batch_prepare(statement_ids=[s.pk for s in waiting], actor=payer, today=today)
    # Yesterday finance took a new bank account for the customer next in line; until the controller
    # verifies it, no batch pays that customer.
    in_batch = {s.customer_id for s in waiting}
    moved = next((s.customer_id for s in unpaid[len(waiting):] if s.customer_id not in in_batch), None)
    if moved is not None:
        Customer.objects.filter(pk=moved).update(
            bank_name="中国农业银行无锡分行", bank_account_number=f"6228480{moved:012d}", bank_changed_by=approver,
            bank_changed_at=timezone.make_aware(datetime.combine(today - timedelta(days=1), clock(16))),
            bank_verified_by=None, bank_verified_at=None)


def _discounts_and_loyalty_create(master: MasterData, *, author: Any, actor: Any, today: date) -> None:
    """Sample discount rules and a loyalty programme, written by the channel manager and published
    by the administrator; the programme's members are the retailers: sign-up bonuses at their
    start, points for their invoices since the start of last month."""
    from fanli.discounts.services import discount_rule_apply, discount_rule_version_decide
    from fanli.loyalty.models import Programme
    from fanli.loyalty.services import member_enrol, points_earn, programme_apply, programme_publish

    for path in sorted(DISCOUNT_DIRECTORY.glob("*.yaml")):
        version, _ = discount_rule_apply(text=path.read_text(encoding="utf-8"), actor=author)
        if version.status != "published":
            discount_rule_version_decide(rule_code=version.rule.code, number=version.number, actor=actor, publish=True)
    applied, _ = programme_apply(text=LOYALTY_FILE.read_text(encoding="utf-8"), actor=author)
    programme = applied if isinstance(applied, Programme) else programme_publish(code=applied.code, actor=actor)
    retailers = [spec for spec in master.customers if spec.kind == "retailer"]
    for index, spec in enumerate(retailers):
        member_enrol(programme_code=programme.code, customer_code=spec.code, day=max(spec.start_date, today.replace(
            month=1, day=1)), actor=actor, email_opt_in=index % 3 == 0)
    since = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month and this month so far
    numbers = SalesDocument.objects.filter(kind="invoice", document_date__gte=since,
                                           customer__code__in=[spec.code for spec in retailers]).order_by(
        "document_date", "number").values_list("number", flat=True)
    for number in numbers:
        points_earn(programme_code=programme.code, invoice_number=number, actor=actor)


KEY_ACCOUNT_DEALER_TIERS = [  # a negotiated agreement: the higher tiers start earlier
    {"from": "0", "rate_percent": "1"},
    {"from": "300000", "rate_percent": "2"},
    {"from": "1000000", "rate_percent": "3.5"},
]


def dealer_enrolments(master: MasterData, *, rng: random.Random) -> list[tuple[CustomerSpec, dict[str, Any]]]:
    """Active dealers with an agreement (about 70 %); key accounts get their own tier table."""
    chosen = []
    for spec in master.customers:
        if spec.kind != "dealer" or spec.status != "active":
            continue
        if rng.random() >= 0.7:
            continue
        overrides: dict[str, Any] = {"tiers": KEY_ACCOUNT_DEALER_TIERS} if "key-account" in spec.tags else {}
        chosen.append((spec, overrides))
    return chosen
