"""The API against its own OpenAPI document: every operation, property-based inputs, real HTTP.

Schemathesis reads ``/api/openapi.json`` from a live server holding a small demo data set and
sends each operation inputs generated from its declared schema, valid ones and invalid ones, with
path parameters drawn half the time from the codes and ids that exist. Every answer must be no
5xx, a status the document declares, its declared content type, and a body valid against the
declared schema. The run is derandomized and bounded; ``FANLI_FUZZ_EXAMPLES`` (examples per
operation and kind of input) runs a longer one by hand, ``FANLI_FUZZ_SEED`` another data set.
"""

from __future__ import annotations

import os
import time
from datetime import date
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fanli.common.services import api_token_create

EXAMPLES = int(os.environ.get("FANLI_FUZZ_EXAMPLES", "0"))
SEED = int(os.environ.get("FANLI_FUZZ_SEED", "20261130"))
DATA_DAY = date(2026, 11, 23)  # the demo data set is the same whatever day the suite runs


def documented_status(ctx: Any, response: Any, case: Any) -> bool | None:
    """The status is one the operation declares; a 405 for a malformed path parameter is the
    router's answer for another path it then matches (``GET /imports/x`` is ``POST /imports/{kind}``)."""
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta is not None else None
    if response.status_code == 405 and path is not None and path.mode is GenerationMode.NEGATIVE:
        return None
    return status_code_conformance(ctx, response, case)


CHECKS = [not_a_server_error, documented_status, content_type_conformance, response_schema_conformance]


@pytest.fixture
def demo_data(transactional_db) -> dict[str, list[Any]]:
    """A small demo data set: customers, products, published policies with settled and paid
    statements, discount rules, a loyalty programme, contacts and warnings. Returns the values
    that exist for each path parameter's name."""
    from fanli.catalog.models import Product
    from fanli.crm.models import Complaint, FollowUp, Warning
    from fanli.customers.models import Customer, ScoreCard
    from fanli.demo.services import demo_load
    from fanli.discounts.models import DiscountedInvoice
    from fanli.imports.models import ImportBatch
    from fanli.imports.registry import import_kinds
    from fanli.rebates.models import Policy, Statement
    from fanli.sales.models import SalesDocument

    demo_load(customers=20, lines=400, seed=SEED % 1000, today=DATA_DAY)

    def some(qs: Any, field: str) -> list[Any]:
        return list(qs.order_by(field).values_list(field, flat=True)[:8])

    return {
        "code": some(Customer.objects, "code") + some(Policy.objects, "code") + some(ScoreCard.objects, "code"),
        "statement_id": some(Statement.objects, "id"),
        "number": some(SalesDocument.objects, "number") + some(DiscountedInvoice.objects, "number"),
        "sku": some(Product.objects, "sku"),
        "batch_id": some(ImportBatch.objects, "id"),
        "kind": sorted(import_kinds()),
        "follow_up_id": some(FollowUp.objects, "id"),
        "complaint_id": some(Complaint.objects, "id"),
        "warning_id": some(Warning.objects, "id"),
    }


def _strategy(operation: Any, known: dict[str, list[Any]]) -> st.SearchStrategy:
    names = [p.name for p in operation.path_parameters]
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    choices = [operation.as_strategy(mode) for mode in modes]
    if names and all(known.get(name) for name in names):
        existing = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names})
        choices += [existing.flatmap(lambda given_path, mode=mode: operation.as_strategy(mode, path_parameters=given_path))
                    for mode in modes]
    return st.one_of(choices)


def _fuzz(base_url: str, token: str, known: dict[str, list[Any]], examples: int, *, own_token_id: int,
          decoy_token_id: int) -> tuple[list[str], list[str], dict]:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    exercised: list[str] = []
    failures: list[str] = []
    timings: dict[str, float] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        calls = 0

        @seed(SEED)
        @settings(max_examples=examples, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
        @given(case=_strategy(operation, known))
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            if (case.path_parameters or {}).get("token_id") == own_token_id:  # revoking itself ends the run's access
                case.path_parameters["token_id"] = decoy_token_id  # another token of the same user
            response = case.call(base_url=base_url, session=session, timeout=30)
            case.validate_response(response, checks=CHECKS)

        started = time.monotonic()
        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # every operation's failure is reported, not only the first
            failures.append(f"{label}: {error}")
        timings[label] = time.monotonic() - started
        if calls:
            exercised.append(label)
    return exercised, failures, timings


@pytest.mark.parametrize(("role", "examples"), [("administrator", EXAMPLES or 10), ("channel_manager", EXAMPLES or 3)])
def test_every_operation_answers_within_its_documented_schema_and_never_5xx(live_server, demo_data, role, examples):
    from django.contrib.auth import get_user_model

    from fanli.customers.models import Customer

    owner_of_first = Customer.objects.exclude(owner=None).order_by("code").values("owner")[:1]
    user = get_user_model().objects.get(**({"username": "admin"} if role == "administrator" else {"pk": owner_of_first}))
    assert user.groups.filter(name=role).exists()
    document = requests.get(f"{live_server.url}/api/openapi.json", timeout=30).json()
    declared = sorted(f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item)

    from fanli.common.models import ApiToken

    token = api_token_create(user=user, name="fuzz")
    api_token_create(user=user, name="decoy")  # what a generated DELETE of the run's own token revokes instead
    own, decoy = (ApiToken.objects.get(user=user, name=name).pk for name in ("fuzz", "decoy"))
    exercised, failures, timings = _fuzz(live_server.url, token, {**demo_data, "token_id": [decoy]}, examples,
                                         own_token_id=own, decoy_token_id=decoy)

    slowest = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in sorted(timings.items(), key=lambda t: -t[1])[:3])
    print(f"\n{role}: {len(declared)} operations in {sum(timings.values()):.1f} s (slowest: {slowest})")
    assert failures == [], "\n\n".join(failures)
    assert sorted(exercised) == declared  # no operation silently skipped
    still = requests.get(f"{live_server.url}/api/statements", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert still.status_code == 200  # the run kept its access to the end: every operation was tried with it
