"""Seeded generation of the demo data set. Pure Python: no database access.

Design overview:

- Everything is drawn from one ``random.Random(seed)`` in a fixed order, so the same seed,
  sizes and ``today`` give byte-identical data. Money is integer fen throughout; floats only
  appear as sampling weights, never in a stored value.
- ``master_data_generate`` builds the grade ladder, ~1,500 customers (distributors, dealers,
  retailers, joint-venture/联营 customers; ~40 parents with 2–6 branches each), a category
  tree, brands and ~300 products. The catalog's *structure* (codes, SKUs, which brand and
  category each SKU has) does not depend on the seed, so the sample policies can name them.
- ``documents_generate`` first plans the sales (the date, customer and line count of every
  invoice; which invoices are partly returned and when), adjusting the line counts so the
  lines add up to exactly the requested number, then yields the documents in date order
  with their lines. Sales follow customer size (Pareto weights), seasonality (Q4, 618, a
  Double-11 spike on 11-01..11-11, a Spring-festival dip, quiet weekends) and the customer's
  relationship (no sales before the start date or after closing).
- About 2 % of documents are returns: they reverse part of an earlier invoice, are dated 3 to
  45 days after it (often in the next quarter) and carry the invoice's date as basis date.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

DEFAULT_SEED = 2026
DEFAULT_CUSTOMERS = 1500
DEFAULT_LINES = 400_000
CURRENCY = "CNY"

RETURN_SHARE_PERCENT = 2
LINES_PER_INVOICE_WEIGHTS = (22, 20, 17, 13, 10, 8, 6, 4)  # 1..8 lines, mean about 3.4


# --- fixed vocabularies -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GradeSpec:
    code: str
    name: str
    rank: int


GRADES = (
    GradeSpec("normal", "普通客户", 0),
    GradeSpec("vip", "VIP客户", 1),
    GradeSpec("super-vip", "超级VIP客户", 2),
)


@dataclass(frozen=True, slots=True)
class LeafCategory:
    code: str
    name: str
    lowest_price_yuan: int
    highest_price_yuan: int
    unit: str


@dataclass(frozen=True, slots=True)
class TopCategory:
    code: str
    name: str
    leaves: tuple[LeafCategory, ...]


CATEGORY_TREE = (
    TopCategory("large-appliances", "大家电", (
        LeafCategory("air-conditioners", "空调", 2400, 8900, "台"),
        LeafCategory("refrigerators", "冰箱", 1800, 9900, "台"),
        LeafCategory("washing-machines", "洗衣机", 1300, 5900, "台"),
        LeafCategory("televisions", "电视", 1600, 12900, "台"),
    )),
    TopCategory("kitchen-appliances", "厨房电器", (
        LeafCategory("range-hoods", "油烟机", 1200, 4900, "台"),
        LeafCategory("gas-stoves", "燃气灶", 600, 2900, "台"),
        LeafCategory("rice-cookers", "电饭煲", 199, 1299, "台"),
        LeafCategory("microwave-ovens", "微波炉", 399, 1599, "台"),
    )),
    TopCategory("home-appliances", "生活电器", (
        LeafCategory("vacuum-cleaners", "吸尘器", 399, 2999, "台"),
        LeafCategory("electric-fans", "电风扇", 99, 699, "台"),
        LeafCategory("water-purifiers", "净水器", 999, 4999, "台"),
        LeafCategory("air-purifiers", "空气净化器", 899, 3999, "台"),
    )),
    TopCategory("personal-care", "个护健康", (
        LeafCategory("hair-dryers", "电吹风", 79, 899, "个"),
        LeafCategory("shavers", "剃须刀", 99, 999, "个"),
        LeafCategory("electric-toothbrushes", "电动牙刷", 89, 599, "个"),
        LeafCategory("massagers", "按摩器", 199, 2999, "个"),
    )),
    TopCategory("accessories", "配件耗材", (
        LeafCategory("filters", "滤芯", 39, 399, "个"),
        LeafCategory("remote-controls", "遥控器", 19, 129, "个"),
        LeafCategory("installation-materials", "安装辅材(铜管)", 25, 80, "米"),
        LeafCategory("extended-warranties", "延保服务", 99, 599, "份"),
    )),
)
LEAVES = tuple(leaf for top in CATEGORY_TREE for leaf in top.leaves)
FRACTIONAL_UNITS = frozenset({"米"})  # sold in half metres

BRANDS = (
    ("haichuan", "海川"),
    ("meida", "美达"),
    ("gerui", "格瑞"),
    ("songfeng", "松风"),
    ("huaxing", "华星"),
    ("dongling", "东陵"),
    ("xiaohe", "小禾"),
    ("jiuyue", "九悦"),
)
PRODUCT_COUNT = 300
FIRST_SKU_NUMBER = 10001
MODEL_SERIES = ("A", "C", "E", "S", "X", "Pro", "Max", "Lite")

REGIONS = (
    ("华东", 30, ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门")),
    ("华南", 22, ("广州", "深圳", "佛山", "东莞", "南宁", "海口")),
    ("华北", 15, ("北京", "天津", "石家庄", "太原", "呼和浩特")),
    ("华中", 11, ("武汉", "长沙", "郑州", "南昌")),
    ("西南", 10, ("成都", "重庆", "昆明", "贵阳")),
    ("东北", 6, ("沈阳", "大连", "长春", "哈尔滨")),
    ("西北", 6, ("西安", "兰州", "银川", "乌鲁木齐")),
)
TRADE_NAMES = (
    "恒通", "鑫达", "宏远", "兴隆", "永盛", "金鼎", "瑞丰", "德隆", "嘉禾", "天成", "佳源", "顺发",
    "万家", "福满", "启航", "昌盛", "聚源", "锦程", "安达", "益民", "惠民", "隆鑫", "宝丰", "众诚",
    "东方", "明珠", "金桥", "百川", "四海", "广源", "通达", "汇通", "祥和", "泰和", "和信", "旭日",
    "新视野", "家家乐", "好邻居", "美佳",
)
KINDS = (  # (kind, share of customers in %, size multiplier, quantity multiplier, price factor in basis points)
    ("distributor", 25, 2.0, 2.5, (8000, 8500)),
    ("dealer", 28, 1.4, 1.8, (8600, 9000)),
    ("retailer", 35, 0.8, 1.0, (9200, 10000)),
    ("joint_venture", 12, 1.0, 1.4, (8700, 9100)),
)
BUSINESS_WORDS = {
    "distributor": ("商贸", "贸易", "电器贸易", "供应链管理"),
    "dealer": ("电器", "家电销售", "机电设备", "电器销售"),
    "retailer": ("电器商行", "家电卖场", "百货", "电器连锁"),
    "joint_venture": ("家电联营", "联合电器", "合营商贸"),
}
INDUSTRIES = {
    "distributor": ("电器批发", "电器批发", "建材家居", "电子商务"),
    "dealer": ("电器批发", "工程项目", "建材家居", "办公设备"),
    "retailer": ("家电零售", "家电零售", "商超百货", "电子商务"),
    "joint_venture": ("商超百货", "家电零售", "酒店餐饮"),
}
PAYMENT_TERMS_DAYS = {
    "distributor": (30, 45, 60),
    "dealer": (30, 30, 60),
    "retailer": (7, 15, 30),
    "joint_venture": (30, 30, 60, 90),
}
SALES_REPRESENTATIVES = {  # region -> usernames of the sales representatives owning its customers
    "华东": ("zhang.wei", "li.na"),
    "华南": ("wang.fang", "liu.yang"),
    "华北": ("chen.jing",),
    "华中": ("yang.lei",),
    "西南": ("zhao.min",),
    "东北": ("huang.tao",),
    "西北": ("huang.tao",),
}
MONTH_FACTORS = (0.9, 0.6, 0.95, 1.0, 1.05, 1.15, 0.95, 0.95, 1.05, 1.1, 1.3, 1.35)
WEEKDAY_FACTORS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.35)
DOUBLE_ELEVEN_FACTOR = 2.6


# --- generated records ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    category_code: str
    brand_code: str
    unit: str
    list_price_minor: int


@dataclass(frozen=True, slots=True)
class CustomerSpec:
    code: str
    name: str
    kind: str
    grade_code: str
    size_class: str
    start_date: date
    region: str
    industry: str
    owner_username: str
    parent_code: str | None
    credit_limit_minor: int
    payment_terms_days: int
    tags: tuple[str, ...]
    email_opt_in: bool
    sms_opt_in: bool
    status: str
    closed_on: date | None  # no sales after this date
    price_factor_basis_points: int
    payment_habit: str  # prompt, slow or poor
    weight: float  # sampling weight for sales volume, not money


@dataclass(frozen=True, slots=True)
class MasterData:
    products: tuple[ProductSpec, ...]
    customers: tuple[CustomerSpec, ...]


class LineSpec(NamedTuple):  # a named tuple: millions are made, a dataclass costs twice as much
    line_number: int
    sku: str
    quantity_milli: int
    unit_price_minor: int
    net_amount_minor: int


class DocumentSpec(NamedTuple):
    number: str
    kind: str  # invoice or return
    document_date: date
    basis_date: date
    customer_code: str
    reverses_number: str | None
    due_date: date | None
    total_minor: int
    paid_minor: int
    lines: tuple[LineSpec, ...]
    returned_later: bool = False  # an invoice whose return comes later in the stream


def sales_window(today: date) -> tuple[date, date]:
    """About two years of sales, from the first day of the month two years ago (plus one) up to
    yesterday: the current month has its sales so far, as a live system's would."""
    end = today - timedelta(days=1)
    last_month_end = today.replace(day=1) - timedelta(days=1)
    start = date(last_month_end.year - 2, last_month_end.month, 1) + timedelta(days=31)
    return start.replace(day=1), end


def product_sku(index: int) -> str:
    return f"P-{FIRST_SKU_NUMBER + index}"


def product_structure(index: int) -> tuple[LeafCategory, tuple[str, str]]:
    """The leaf category and brand of the ``index``-th product; the same for every seed."""
    leaf = LEAVES[index % len(LEAVES)]
    brand = BRANDS[(index * 3 + index // len(LEAVES)) % len(BRANDS)]
    return leaf, brand


# --- master data ----------------------------------------------------------------------------

def products_generate(rng: random.Random) -> tuple[ProductSpec, ...]:
    products = []
    for index in range(PRODUCT_COUNT):
        leaf, (brand_code, brand_name) = product_structure(index)
        yuan = rng.randint(leaf.lowest_price_yuan, leaf.highest_price_yuan)
        # list prices end in 9 (2,999.00); cheap items may carry fen (39.90)
        price_minor = (yuan // 10 * 10 + 9) * 100 if yuan >= 100 else yuan * 100 + rng.choice((0, 50, 90))
        model = f"{rng.choice(MODEL_SERIES)}{rng.randint(10, 99)}{rng.choice('0258')}"
        products.append(
            ProductSpec(
                sku=product_sku(index),
                name=f"{brand_name} {leaf.name} {model}",
                category_code=leaf.code,
                brand_code=brand_code,
                unit=leaf.unit,
                list_price_minor=price_minor,
            )
        )
    return tuple(products)


def _weighted_choice(rng: random.Random, items: tuple[str, ...], weights: tuple[int, ...]) -> str:
    return rng.choices(items, weights=weights, k=1)[0]


def customers_generate(rng: random.Random, count: int, *, window_end: date) -> tuple[CustomerSpec, ...]:
    """``count`` customers; about 40 per 1,500 are parents with 2–6 branches each."""
    parent_count = 0 if count < 10 else max(2, round(count * 40 / 1500))
    groups: list[int] = []  # the number of branches of each block; 0 for a stand-alone customer
    remaining = count
    for _ in range(parent_count):
        branches = rng.randint(2, 6)
        if 1 + branches > remaining - 1:
            break
        groups.append(branches)
        remaining -= 1 + branches
    groups.extend([0] * remaining)
    rng.shuffle(groups)

    region_names = tuple(region[0] for region in REGIONS)
    region_weights = tuple(region[1] for region in REGIONS)
    region_cities = {region[0]: region[2] for region in REGIONS}
    kind_names = tuple(kind[0] for kind in KINDS)
    kind_weights = tuple(kind[1] for kind in KINDS)
    kind_rules = {kind[0]: kind for kind in KINDS}
    parent_kinds = ("distributor", "retailer", "dealer")
    used_names: set[str] = set()

    def unique_name(candidate: str) -> str:
        name, number = candidate, 2
        while name in used_names:
            name = candidate.replace("有限公司", f"({number})有限公司") if "有限公司" in candidate else f"{candidate}({number})"
            number += 1
        used_names.add(name)
        return name

    def start_date_draw() -> date:
        roll = rng.random()
        if roll < 0.12:
            days = rng.randint(30, 364)
        elif roll < 0.25:
            days = rng.randint(365, 729)
        else:
            days = rng.randint(730, 6200)
        return window_end - timedelta(days=days)

    raw: list[dict[str, Any]] = []
    number = 0
    for branches in groups:
        number += 1
        kind = rng.choice(parent_kinds) if branches else _weighted_choice(rng, kind_names, kind_weights)
        region = _weighted_choice(rng, region_names, region_weights)
        city = rng.choice(region_cities[region])
        business = rng.choice(BUSINESS_WORDS[kind])
        suffix = "" if kind == "retailer" and rng.random() < 0.2 else "有限公司"
        head: dict[str, Any] = {
            "code": f"C{number:05d}",
            "name": unique_name(f"{city}{rng.choice(TRADE_NAMES)}{business}{suffix}"),
            "kind": kind,
            "region": region,
            "industry": rng.choice(INDUSTRIES[kind]),
            "start_date": start_date_draw() if not branches else window_end - timedelta(days=rng.randint(1500, 6200)),
            "parent": None,
            "group": bool(branches),
        }
        raw.append(head)
        base_name = head["name"].removesuffix("有限公司")
        for _ in range(branches):
            number += 1
            branch_region = region if rng.random() < 0.7 else _weighted_choice(rng, region_names, region_weights)
            branch_city = rng.choice(region_cities[branch_region])
            start = head["start_date"] + timedelta(days=rng.randint(30, 2400))
            raw.append({
                "code": f"C{number:05d}",
                "name": unique_name(f"{base_name}有限公司{branch_city}分公司"),
                "kind": kind,
                "region": branch_region,
                "industry": head["industry"],
                "start_date": min(start, window_end - timedelta(days=30)),
                "parent": head["code"],
                "group": True,
            })

    for record in raw:
        rules = kind_rules[record["kind"]]
        record["weight"] = min(rng.paretovariate(1.3), 60.0) * rules[2]
        record["grade_score"] = record["weight"] * rng.uniform(0.6, 1.4)
    by_weight = sorted(raw, key=lambda r: r["weight"], reverse=True)
    large_codes = {r["code"] for r in by_weight[: max(1, len(raw) * 15 // 100)]}
    key_account_codes = {r["code"] for r in by_weight[: max(1, len(raw) * 5 // 100)]}
    by_grade = sorted(raw, key=lambda r: r["grade_score"], reverse=True)
    grade_of: dict[str, str] = {}
    for rank, record in enumerate(by_grade):
        share = rank * 100 // len(by_grade)
        grade_of[record["code"]] = "super-vip" if share < 8 else "vip" if share < 28 else "normal"

    customers = []
    for record in raw:
        kind = record["kind"]
        tags = []
        if record["code"] in key_account_codes:
            tags.append("key-account")
        if (record["parent"] is None and record["group"]) or rng.random() < 0.03:
            tags.append("strategic")
        if record["group"]:
            tags.append("group")
        if record["start_date"] > window_end - timedelta(days=365):
            tags.append("new")
        if record["industry"] == "电子商务":
            tags.append("online")
        status_roll = rng.random()
        status, closed_on = "active", None
        if status_roll < 0.01 and not record["group"]:
            closing = window_end - timedelta(days=rng.randint(90, 400))
            if closing > record["start_date"] + timedelta(days=60):
                status, closed_on = "closed", closing
        elif status_roll < 0.04:
            status = "suspended"
        credit_yuan = max(50_000, int(record["weight"] * 60_000) // 10_000 * 10_000)
        habit_roll = rng.random()
        low, high = kind_rules[kind][4]
        customers.append(
            CustomerSpec(
                code=record["code"],
                name=record["name"],
                kind=kind,
                grade_code=grade_of[record["code"]],
                size_class="large" if record["code"] in large_codes else "small",
                start_date=record["start_date"],
                region=record["region"],
                industry=record["industry"],
                owner_username=rng.choice(SALES_REPRESENTATIVES[record["region"]]),
                parent_code=record["parent"],
                credit_limit_minor=credit_yuan * 100,
                payment_terms_days=rng.choice(PAYMENT_TERMS_DAYS[kind]),
                tags=tuple(tags),
                email_opt_in=rng.random() < 0.6,
                sms_opt_in=rng.random() < 0.4,
                status=status,
                closed_on=closed_on,
                price_factor_basis_points=rng.randint(low, high) // 10 * 10,
                payment_habit="prompt" if habit_roll < 0.85 else "slow" if habit_roll < 0.97 else "poor",
                weight=record["weight"],
            )
        )
    return tuple(customers)


def master_data_generate(rng: random.Random, *, customers: int, today: date) -> MasterData:
    _, window_end = sales_window(today)
    return MasterData(
        products=products_generate(rng),
        customers=customers_generate(rng, customers, window_end=window_end),
    )


# --- sales documents ------------------------------------------------------------------------

class _Plan:
    """The planned invoices, a few bytes each in flat arrays (ten million lines plan in about
    40 MB): day, customer and line count of every invoice in date order, and the day and line
    count of its return where it has one."""

    def __init__(self, days: list[date], day_counts: list[int]) -> None:
        self.days = days
        self.day_counts = day_counts  # invoices per day; sequences run through the days in order
        size = sum(day_counts)
        self.day_index = array("H", itertools.chain.from_iterable(
            itertools.repeat(index, count) for index, count in enumerate(day_counts)))
        self.customer_index = array("I", bytes(4 * size))
        self.line_count = array("B", bytes(size))
        self.return_day_index = array("i", itertools.repeat(-1, size))
        self.return_line_count = array("B", bytes(size))

    def __len__(self) -> int:
        return len(self.line_count)


def _day_weight(day: date) -> float:
    weight = MONTH_FACTORS[day.month - 1] * WEEKDAY_FACTORS[day.weekday()]
    if day.month == 11 and day.day <= 11:
        weight *= DOUBLE_ELEVEN_FACTOR
    return weight


def _quarter_end(day: date) -> date:
    quarter_last_month = (day.month - 1) // 3 * 3 + 3
    if quarter_last_month == 12:
        return date(day.year, 12, 31)
    return date(day.year, quarter_last_month + 1, 1) - timedelta(days=1)


def _weighted_index(random_value: float, cumulative: Sequence[float], total: float) -> int:
    """The index ``random.choices`` picks for one draw ``random_value`` with these cumulative weights."""
    return bisect.bisect(cumulative, random_value * total, 0, len(cumulative) - 1)


def _plan(rng: random.Random, master: MasterData, *, lines: int, today: date) -> _Plan:
    """Dates, customers, line counts and returns of every invoice.

    The draws are exactly those of sorting ``rng.choices(days, k=invoices)`` and picking each
    invoice's customer and line count in turn (the same seed gives the same data as always), but
    the plan is kept as counts per day and flat arrays, never one object per invoice.
    """
    start, end = sales_window(today)
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    day_cumulative = list(itertools.accumulate(_day_weight(day) for day in days))
    customer_cumulative = list(itertools.accumulate(customer.weight for customer in master.customers))
    line_counts = tuple(range(1, len(LINES_PER_INVOICE_WEIGHTS) + 1))
    line_cumulative = list(itertools.accumulate(LINES_PER_INVOICE_WEIGHTS))
    mean_lines = sum(n * w for n, w in zip(line_counts, LINES_PER_INVOICE_WEIGHTS, strict=True)) / sum(
        LINES_PER_INVOICE_WEIGHTS
    )
    invoice_count = max(1, round(lines / (mean_lines * (1 + RETURN_SHARE_PERCENT / 100 * 0.5))))
    draw = rng.random
    day_counts = [0] * len(days)
    day_total = day_cumulative[-1] + 0.0
    for _ in range(invoice_count):
        day_counts[_weighted_index(draw(), day_cumulative, day_total)] += 1
    plan = _Plan(days, day_counts)
    customers = master.customers
    last_customer = len(customers) - 1
    customer_total = customer_cumulative[-1]
    line_total = line_cumulative[-1] + 0.0
    oldest = min(range(len(customers)), key=lambda i: customers[i].start_date)
    windows = [(customer.start_date, customer.closed_on) for customer in customers]

    sequence = 0
    for day, count in zip(days, day_counts, strict=True):
        for _ in range(count):
            for _attempt in range(40):
                index = bisect.bisect_left(customer_cumulative, draw() * customer_total)
                first_day, closed_on = windows[min(index, last_customer)]
                if first_day <= day and (closed_on is None or day <= closed_on):
                    break
            else:
                index = oldest
            plan.customer_index[sequence] = min(index, last_customer)
            plan.line_count[sequence] = line_counts[_weighted_index(draw(), line_cumulative, line_total)]
            sequence += 1

    # Returns: about 2 % of documents; nearly half cross into the next quarter.
    return_count = round(invoice_count * RETURN_SHARE_PERCENT / (100 - RETURN_SHARE_PERCENT))
    candidates = array("I", range(len(plan)))
    rng.shuffle(candidates)
    chosen = 0
    for position in candidates:
        if chosen >= return_count:
            break
        document_date = days[plan.day_index[position]]
        quarter_end = _quarter_end(document_date)
        if rng.random() < 0.45 and (quarter_end - document_date).days <= 40:
            delay = (quarter_end - document_date).days + rng.randint(1, 20)
        else:
            delay = rng.randint(3, 45)
        return_date = document_date + timedelta(days=delay)
        if return_date > end:
            continue
        plan.return_day_index[position] = plan.day_index[position] + delay
        plan.return_line_count[position] = rng.randint(1, min(3, plan.line_count[position]))
        chosen += 1
    del candidates

    # Make the lines add up to exactly ``lines`` by nudging line counts of random invoices.
    line_count, return_line_count = plan.line_count, plan.return_line_count
    difference = lines - sum(line_count) - sum(return_line_count)
    maximum = len(LINES_PER_INVOICE_WEIGHTS)
    while difference:
        position = rng.randrange(len(plan))
        if difference > 0 and line_count[position] < maximum:
            line_count[position] += 1
            difference -= 1
        elif difference < 0 and line_count[position] > max(1, return_line_count[position]):
            line_count[position] -= 1
            difference += 1
        elif difference < 0 and all(count <= max(1, back) for count, back in zip(line_count, return_line_count, strict=True)):
            break  # fewer lines requested than one per invoice allows
        elif difference > 0 and all(count >= maximum for count in line_count):
            break
    return plan


def _paid_minor(rng: random.Random, total_minor: int, due_date: date, habit: str, *, as_of: date) -> int:
    """What the customer has paid of an invoice by ``as_of`` (the day the data is loaded): prompt
    payers mostly pay by the due date, slow ones late and partly, poor ones leave some unpaid."""
    days_overdue = (as_of - due_date).days
    roll = rng.random()
    if days_overdue > 60:
        if habit == "poor" and roll < 0.5:
            return total_minor * rng.randint(50, 90) // 100
        return total_minor
    if days_overdue >= 0:
        if habit == "prompt":
            return total_minor if roll < 0.9 else total_minor * rng.randint(30, 90) // 100
        if habit == "slow":
            return 0 if roll < 0.5 else total_minor * rng.randint(20, 80) // 100
        return 0
    if habit == "prompt":
        if roll < 0.3:
            return total_minor
        if roll < 0.4:
            return total_minor * rng.randint(20, 80) // 100
    return 0


def _net_minor(quantity_milli: int, unit_price_minor: int) -> int:
    """Quantity x unit price, rounded half up to the fen (quantities are in thousandths)."""
    return (quantity_milli * unit_price_minor + 500) // 1000


def documents_generate(
    rng: random.Random, master: MasterData, *, lines: int, today: date
) -> Iterator[DocumentSpec]:
    """Yield invoices and returns in date order (on each day the invoices, then the returns in
    the order of the invoices they reverse; a return always comes after its invoice).

    Memory stays small whatever ``lines`` is: the plan is a few bytes per invoice, and only the
    lines of invoices whose return is still ahead are held.
    """
    plan = _plan(rng, master, lines=lines, today=today)
    products = master.products
    product_cumulative = list(
        itertools.accumulate(1.0 + (3.0 if p.category_code in ("air-conditioners", "televisions") else 0.0)
                             for p in products)
    )
    product_total = product_cumulative[-1]
    last_product = len(products) - 1
    quantity_multiplier = {kind[0]: kind[3] for kind in KINDS}
    fractional = [product.unit in FRACTIONAL_UNITS for product in products]
    skus = [product.sku for product in products]
    # The rate of the quantity's exponential draw for each product, by customer kind and size:
    # 1 / mean units, computed exactly as for one line at a time.
    rates: dict[tuple[str, str], list[float]] = {}
    for kind, multiplier in quantity_multiplier.items():
        for size_class in ("large", "small"):
            rate_list = []
            for product in products:
                list_yuan = max(1, product.list_price_minor // 100)
                mean_units = max(0.6, min(30.0, 1100 / list_yuan)) * multiplier
                if size_class == "large":
                    mean_units *= 1.5
                rate_list.append(1 / mean_units)
            rates[(kind, size_class)] = rate_list
    draw = rng.random
    randint = rng.randint
    log = math.log

    pending: dict[int, tuple[str, tuple[LineSpec, ...]]] = {}  # invoice sequence -> number, lines
    returns_on: dict[int, list[int]] = {}  # day index -> sequences of the invoices returned that day
    counters: dict[tuple[str, int], int] = {}

    def next_number(prefix: str, year: int) -> str:
        counters[(prefix, year)] = counters.get((prefix, year), 0) + 1
        return f"{prefix}-{year}-{counters[(prefix, year)]:06d}"

    first = 0  # the sequence of the day's first invoice
    for day_index, (day, count) in enumerate(zip(plan.days, plan.day_counts, strict=True)):
        for sequence in range(first, first + count):
            customer = master.customers[plan.customer_index[sequence]]
            number = next_number("INV", day.year)
            rate = rates[(customer.kind, customer.size_class)]
            price_factor = customer.price_factor_basis_points
            line_specs = []
            chosen_products: set[int] = set()
            for line_number in range(1, plan.line_count[sequence] + 1):
                for _attempt in range(5):
                    index = bisect.bisect_left(product_cumulative, draw() * product_total)
                    if index > last_product:
                        index = last_product
                    if index not in chosen_products:
                        break
                chosen_products.add(index)
                units = 1 + int(-log(1.0 - draw()) / rate[index])  # random.expovariate, inlined
                quantity_milli = units * 1000
                if fractional[index] and draw() < 0.5:
                    quantity_milli += 500
                unit_price_minor = products[index].list_price_minor * price_factor // 10000
                gross_minor = _net_minor(quantity_milli, unit_price_minor)
                discount_minor = gross_minor * randint(1, 8) // 100 if draw() < 0.12 else 0
                line_specs.append(
                    LineSpec(line_number, skus[index], quantity_milli, unit_price_minor, gross_minor - discount_minor)
                )
            lines_tuple = tuple(line_specs)
            return_day = plan.return_day_index[sequence]
            if return_day >= 0:
                pending[sequence] = (number, lines_tuple)
                returns_on.setdefault(return_day, []).append(sequence)
            total = sum(line.net_amount_minor for line in lines_tuple)
            due_date = day + timedelta(days=customer.payment_terms_days)
            yield DocumentSpec(
                number=number,
                kind="invoice",
                document_date=day,
                basis_date=day,
                customer_code=customer.code,
                reverses_number=None,
                due_date=due_date,
                total_minor=total,
                paid_minor=_paid_minor(rng, total, due_date, customer.payment_habit, as_of=today),
                lines=lines_tuple,
                returned_later=return_day >= 0,
            )
        first += count
        for returned in returns_on.pop(day_index, ()):
            invoice_number, original = pending.pop(returned)
            customer = master.customers[plan.customer_index[returned]]
            picked = sorted(rng.sample(range(len(original)), plan.return_line_count[returned]))
            line_specs = []
            for line_number, position in enumerate(picked, start=1):
                source = original[position]
                if rng.random() < 0.5 or source.quantity_milli % 1000:
                    quantity_milli = source.quantity_milli
                else:
                    quantity_milli = rng.randint(1, source.quantity_milli // 1000) * 1000
                net_minor = source.net_amount_minor * quantity_milli // source.quantity_milli
                line_specs.append(
                    LineSpec(line_number, source.sku, -quantity_milli, source.unit_price_minor, -net_minor)
                )
            lines_tuple = tuple(line_specs)
            yield DocumentSpec(
                number=next_number("RET", day.year),
                kind="return",
                document_date=day,
                basis_date=plan.days[plan.day_index[returned]],
                customer_code=customer.code,
                reverses_number=invoice_number,
                due_date=None,
                total_minor=sum(line.net_amount_minor for line in lines_tuple),
                paid_minor=0,
                lines=lines_tuple,
            )
