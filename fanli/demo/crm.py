"""Demo customer management: relationship levels, a couple of months of contacts with
follow-ups, a year of complaints, two years of satisfaction answers and this year's sales
targets (last year's sales with some ambition), so the calendar, the complaint figures and the
warnings have something to show; the dealer score card with some initiative ratings; segments
and scores computed as the nightly run would. Deterministic for a seed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db.models import Sum

from fanli.common.revisions import customer_key, revisions_bump
from fanli.crm.models import Complaint, FollowUp, Interaction, SurveyResponse
from fanli.customers.models import Customer, CustomerRating, Relationship, SalesTarget, ScoreCard
from fanli.customers.services import scorecard_apply, scorecards_compute, segments_recompute
from fanli.sales.models import SalesLine

from .generate import MasterData

SCORECARD = Path(__file__).parent / "scorecards" / "dealer.yaml"
CHANNELS = ("T", "E", "M", "V", "S")
CHANNEL_WEIGHTS = (45, 25, 15, 10, 5)
TOPICS = (
    ("季度订货计划沟通", "客户确认下季度订货量"), ("新品推介", "客户要求寄送样品"), ("返利进度说明", "客户了解距下一档差额"),
    ("回款提醒", "客户承诺月底前付款"), ("价格政策解释", "客户接受新价目表"), ("库存盘点", "建议补货三款畅销品"),
    ("年度合作洽谈", "双方同意续签年度协议"), ("促销活动安排", "确定双十一备货"), ("投诉回访", "客户对处理结果满意"),
    ("陈列检查", "门店陈列需调整"),
)
COMPLAINTS = (
    ("delivery", "到货延迟三天"), ("quality", "一批货包装破损"), ("billing", "发票金额与订单不符"),
    ("rebate", "返利金额与自算不一致"), ("service", "业务员回复太慢"), ("delivery", "送错型号"), ("other", "希望增加配送频次"),
)
COMMENTS = {1: "很不满意，问题一直没解决", 2: "配送经常延迟", 3: "总体一般", 4: "服务不错", 5: "非常满意，合作顺畅"}


def crm_create(master: MasterData, *, users: dict[str, Any], today: date, rng: random.Random) -> None:
    ids = dict(Customer.objects.values_list("code", "id"))
    owner_of = {spec.code: users[spec.owner_username] for spec in master.customers}
    active = [spec for spec in master.customers if spec.status == "active"]
    _relationships(master, rng)
    interactions, follow_ups = [], []
    for spec in active:
        if rng.random() >= 0.45:
            continue
        for _ in range(rng.randint(1, 6)):
            day = today - timedelta(days=rng.randint(0, 60))
            summary, outcome = rng.choice(TOPICS)
            follow = day + timedelta(days=rng.randint(3, 21)) if rng.random() < 0.3 else None
            interactions.append(Interaction(customer_id=ids[spec.code], channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
                                            happened_on=day, summary=summary, outcome=outcome, next_follow_up=follow,
                                            recorded_by=owner_of[spec.code]))
    Interaction.objects.bulk_create(interactions, batch_size=1000)
    for interaction in interactions:
        if interaction.next_follow_up is not None:
            done = interaction.next_follow_up < today - timedelta(days=3) and rng.random() < 0.8
            follow_ups.append(FollowUp(customer_id=interaction.customer_id, interaction=interaction,
                                       title=interaction.outcome, due_on=interaction.next_follow_up,
                                       owner=interaction.recorded_by,
                                       done_at=_noon(interaction.next_follow_up) if done else None,
                                       done_by=interaction.recorded_by if done else None))
    FollowUp.objects.bulk_create(follow_ups, batch_size=1000)
    complaints = []
    for _ in range(max(10, len(active) // 25)):
        spec = rng.choice(active)
        category, summary = rng.choice(COMPLAINTS)
        opened = today - timedelta(days=rng.randint(0, 365))
        days = rng.choice((0, 1, 2, 3, 5, 7, 10, 14, 21))
        resolved = opened + timedelta(days=days) if opened + timedelta(days=days) <= today and rng.random() < 0.85 \
            else None
        complaints.append(Complaint(customer_id=ids[spec.code], category=category, summary=summary,
                                    status="resolved" if resolved else rng.choice(("open", "in_progress")),
                                    opened_on=opened, resolved_on=resolved,
                                    resolution="已处理并回访" if resolved else "", opened_by=owner_of[spec.code]))
    Complaint.objects.bulk_create(complaints, batch_size=1000)
    responses = []
    for _ in range(max(20, len(active) // 5)):
        spec = rng.choice(active)
        score = rng.choices((1, 2, 3, 4, 5), (3, 7, 20, 40, 30))[0]
        responses.append(SurveyResponse(customer_id=ids[spec.code], answered_on=today - timedelta(days=rng.randint(0, 729)),
                                        score=score, comment=COMMENTS[score] if rng.random() < 0.5 else "",
                                        recorded_by=owner_of[spec.code]))
    SurveyResponse.objects.bulk_create(responses, batch_size=1000)
    _targets(master, ids=ids, today=today, rng=rng)
    card, _ = scorecard_apply(text=SCORECARD.read_text(encoding="utf-8"))  # the system: stored at once
    assert isinstance(card, ScoreCard)
    CustomerRating.objects.bulk_create([
        CustomerRating(card=card, customer_id=ids[spec.code], criterion="initiative", score=rng.randint(40, 95),
                       rated_by=owner_of[spec.code], rated_on=today - timedelta(days=rng.randint(0, 90)))
        for spec in active if spec.kind in ("distributor", "dealer") and rng.random() < 0.6])
    segments_recompute(today=today)
    scorecards_compute(today=today)


def _noon(day: date) -> Any:
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(12)))


def _relationships(master: MasterData, rng: random.Random) -> None:
    levels: dict[str, list[str]] = {value: [] for value in Relationship.values}
    for spec in master.customers:
        if spec.kind in ("distributor", "joint_venture") and spec.size_class == "large":
            level = rng.choice(("partner", "strategic"))
        elif spec.kind in ("distributor", "dealer"):
            level = rng.choices(("transactional", "preferred", "partner"), (3, 4, 2))[0]
        else:
            level = "transactional"
        levels[level].append(spec.code)
    for level, codes in levels.items():
        if codes and level != Relationship.TRANSACTIONAL:
            Customer.objects.filter(code__in=codes).update(relationship=level)
            revisions_bump([customer_key("relationship")])


def _targets(master: MasterData, *, ids: dict[str, int], today: date, rng: random.Random) -> None:
    """This year's target for distributors and dealers: last year's net sales times 0.95 to 1.2."""
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    chosen = [ids[spec.code] for spec in master.customers if spec.kind in ("distributor", "dealer")
              and spec.status == "active"]
    last_year = dict(SalesLine.objects.filter(customer_id__in=chosen, basis_date__gte=date(today.year - 1, 1, 1),
                                              basis_date__lte=date(today.year - 1, 12, 31))
                     .values("customer_id").annotate(net=Sum("net_amount_minor")).values_list("customer_id", "net"))
    SalesTarget.objects.bulk_create([
        SalesTarget(customer_id=customer_id, start=start, end=end,
                    amount_minor=_up_to_thousand_yuan(net * rng.choice((95, 100, 105, 110, 120)) // 100))
        for customer_id in chosen if (net := last_year.get(customer_id) or 0) > 0
    ], batch_size=1000)


def _up_to_thousand_yuan(amount_minor: int) -> int:
    return -(-amount_minor // 1_000_00) * 1_000_00
