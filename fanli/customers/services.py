"""Writes about customers: segments and score cards recomputed on demand (and nightly), ratings."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from fanli.accounts.controls import is_person, needs_second_person, require, require_second_person
from fanli.accounts.models import Submission
from fanli.accounts.selectors import customers_for
from fanli.accounts.services import submission_decide, submission_store
from fanli.common.exceptions import NotFound, StateError, ValidationFailed
from fanli.common.revisions import customer_key, revisions_bump
from fanli.common.services import audit_record

from .models import Customer, CustomerRating, CustomerSegment, DealerScore, ScoreCard
from .scorecard import ScoreCardDocument, load_scorecard_text, score_customers
from .segments import segments
from .selectors import score_facts, segment_figures


def segments_recompute(*, today: date, actor: Any = None) -> dict[str, Any]:
    """Compute every customer's ABC class, RFM scores and lifecycle stage and store them."""
    computed = segments(segment_figures(today), today=today)
    with transaction.atomic():
        before = {customer_id: (abc, lifecycle) for customer_id, abc, lifecycle
                  in CustomerSegment.objects.values_list("customer_id", "abc", "lifecycle")}
        after = {s.customer_id: (s.abc, s.lifecycle) for s in computed}
        changed = {fact for index, fact in enumerate(("abc", "lifecycle"))
                   if any(before.get(c, ("", ""))[index] != after.get(c, ("", ""))[index] for c in before.keys() | after)}
        revisions_bump(customer_key(fact) for fact in changed)  # rebate eligibility may read segments
        CustomerSegment.objects.all().delete()
        CustomerSegment.objects.bulk_create([
            CustomerSegment(customer_id=s.customer_id, computed_on=today, abc=s.abc, recency=s.recency,
                            frequency=s.frequency, monetary=s.monetary, lifecycle=s.lifecycle)
            for s in computed
        ], batch_size=2_000)
        summary = {"customers": len(computed), "abc": dict(Counter(s.abc for s in computed)),
                   "lifecycle": dict(Counter(s.lifecycle for s in computed))}
        audit_record(actor=actor, action="segments.recompute", object_type="customers", object_id=today.isoformat(),
                     data=summary)
    return summary


def scorecard_apply(*, text: str, actor: Any = None) -> tuple[ScoreCard | Submission, bool]:
    """Create or replace a score card from its document; answers (card, changed).

    Under four eyes a person's change is submitted instead (answered as the ``Submission``), and
    takes effect when another person with the ``publish`` right publishes it (``scorecard_publish``).
    """
    require(actor, "policies")
    document = load_scorecard_text(text)
    stored = document.model_dump(mode="json")
    card = ScoreCard.objects.filter(code=document.code).first()
    if card is not None and card.document == stored and card.name == document.name:
        return card, False
    if needs_second_person(actor):
        return submission_store(kind=Submission.Kind.SCORECARD, code=document.code, name=document.name,
                                document=stored, actor=actor), True
    return _scorecard_store(document, actor), True


def scorecard_publish(*, code: str, actor: Any) -> ScoreCard:
    """Put the submitted change of score card ``code`` in force (another person than its author,
    under four eyes). Scores are recomputed by the next ``scorecards_compute``."""
    with transaction.atomic():
        submission = submission_decide(kind=Submission.Kind.SCORECARD, code=code, actor=actor, publish=True)
        return _scorecard_store(ScoreCardDocument.model_validate(submission.document), actor)


def scorecard_reject(*, code: str, actor: Any, note: str) -> None:
    """Send the submitted change of score card ``code`` back, with the reason; the card is unchanged."""
    submission_decide(kind=Submission.Kind.SCORECARD, code=code, actor=actor, publish=False, note=note)


def _scorecard_store(document: ScoreCardDocument, actor: Any) -> ScoreCard:
    stored = document.model_dump(mode="json")
    with transaction.atomic():
        card = ScoreCard.objects.select_for_update().filter(code=document.code).first()
        if card is not None and card.document == stored and card.name == document.name:
            return card
        if card is None:
            card = ScoreCard.objects.create(code=document.code, name=document.name, document=stored)
        else:
            card.name, card.document = document.name, stored
            card.save(update_fields=["name", "document", "updated_at"])
        audit_record(actor=actor, action="scorecard.apply", object_type="scorecard", object_id=card.code,
                     data={"criteria": [c["key"] for c in stored["criteria"]]})
    return card


def scorecards_compute(*, today: date, actor: Any = None, codes: list[str] | None = None) -> dict[str, int]:
    """Score every customer of every card (or of ``codes``) and store the scores; answers the
    number of customers scored per card."""
    cards = ScoreCard.objects.all() if codes is None else ScoreCard.objects.filter(code__in=codes)
    done: dict[str, int] = {}
    for card in cards:
        document = ScoreCardDocument.model_validate(card.document)
        ratings: dict[int, dict[str, int]] = {}
        for customer_id, criterion, score in CustomerRating.objects.filter(card=card).values_list(
                "customer_id", "criterion", "score"):
            ratings.setdefault(customer_id, {})[criterion] = score
        facts = [replace(f, ratings=ratings.get(f.customer_id, {})) for f in score_facts(list(document.kinds), today)]
        scores = score_customers(document, facts)
        with transaction.atomic():
            DealerScore.objects.filter(card=card).delete()
            DealerScore.objects.bulk_create([
                DealerScore(card=card, customer_id=s.customer_id, computed_on=today, total=s.total, parts=s.as_json())
                for s in scores], batch_size=2_000)
            audit_record(actor=actor, action="scorecard.compute", object_type="scorecard", object_id=card.code,
                         data={"customers": len(scores), "on": today.isoformat()})
        done[card.code] = len(scores)
    return done


def rating_set(*, card_code: str, customer_code: str, criterion: str, score: int, today: date,
               actor: Any) -> DealerScore | None:
    """Rate a customer on a manual criterion (0 to 100) and rescore the card."""
    card = ScoreCard.objects.filter(code=card_code).first()
    if card is None:
        raise NotFound(f"no score card {card_code!r}")
    document = ScoreCardDocument.model_validate(card.document)
    manual = [c.key for c in document.criteria if c.source == "manual"]
    if criterion not in manual:
        raise ValidationFailed(f"{criterion!r} is not rated by hand on {card.code}; those are: {', '.join(manual)}")
    if not 0 <= score <= 100:
        raise ValidationFailed(f"a rating is from 0 to 100, not {score}")
    customer = customers_for(actor).filter(code=customer_code).first()  # another rep's: as unknown
    if customer is None:
        raise NotFound(f"no customer {customer_code!r}")
    with transaction.atomic():
        CustomerRating.objects.update_or_create(card=card, customer=customer, criterion=criterion, defaults={
            "score": score, "rated_by": actor if getattr(actor, "pk", None) else None, "rated_on": today})
        audit_record(actor=actor, action="scorecard.rate", object_type="customer", object_id=customer.code,
                     data={"card": card.code, "criterion": criterion, "score": score})
    scorecards_compute(today=today, actor=actor, codes=[card.code])
    return DealerScore.objects.filter(card=card, customer=customer).first()


def customer_bank_verify(*, code: str, actor: Any) -> Customer:
    """A second person confirms a customer's bank details (checked with the customer, say by a
    call-back): from now on a bank file may pay into them. Who changed them may not verify them."""
    require(actor, "pay")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(code=code, pk__in=customers_for(actor)).first()
        if customer is None:
            raise NotFound(f"no customer {code}")
        if not customer.bank_account_number:
            raise StateError(f"customer {code} has no bank account on record", code="no_bank_account")
        if customer.bank_verified:
            raise StateError(f"customer {code}'s bank account is already verified", code="already_verified")
        require_second_person(actor, [customer.bank_changed_by_id], doing="verify",
                              made="bank details you changed")
        customer.bank_verified_by = actor if is_person(actor) else None
        customer.bank_verified_at = timezone.now()
        customer.save(update_fields=["bank_verified_by", "bank_verified_at"])
        audit_record(actor=actor, action="customer.bank_verify", object_type="customer", object_id=code,
                     data={"account": f"…{customer.bank_account_number[-4:]}",
                           "changed_by": customer.bank_changed_by_id})
    return customer
