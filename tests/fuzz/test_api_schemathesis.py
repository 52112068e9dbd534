"""Schemathesis drives every operation of the OpenAPI spec through the in-process WSGI app:
no 5xx, every status documented, every response body as the spec says.

The spec is the one the running app serves at /api/v1/openapi.json. Generated values are mixed
with the seeded company's codes (units, people, customers, deals, visits), so requests reach
real rows and not only 404s. Runs are deterministic (derandomize) so CI is reproducible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tiejun.wsgi import application

from .conftest import (
    API_REQUESTS,
    API_STATUSES,
    CUSTOMER_CODES,
    DEAL_NOS,
    EMPLOYEE_NOS,
    UNIT_CODES,
    VISIT_IDS,
)
from .profile import api_examples, deterministic

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

_THIS_MONTH = timezone.localdate().replace(day=1)

KNOWN: dict[str, list[Any]] = {
    "unit_code": UNIT_CODES,
    "code": UNIT_CODES + EMPLOYEE_NOS,
    "unit": UNIT_CODES,
    "employee_no": EMPLOYEE_NOS,
    "owner": EMPLOYEE_NOS,
    "customer_code": CUSTOMER_CODES,
    "deal_no": DEAL_NOS,
    "visit_id": VISIT_IDS,
    "month": [f"{d:%Y-%m}" for d in (_THIS_MONTH, _THIS_MONTH - dt.timedelta(days=1))],
    "metric": ["revenue", "new_customers", "visits"],
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Ids the database chose for the seeded rows, read once per test before any request: an example
# that deletes a contact must not change what the next example draws from (Hypothesis replays
# examples and refuses strategies that change under it).
SEEDED_IDS: dict[str, list[Any]] = {}


@pytest.fixture
def seeded_ids(seeded):
    from tiejun.crm.models import Contact, Opportunity

    SEEDED_IDS.clear()
    for name, model in (("contact_id", Contact), ("opportunity_id", Opportunity)):
        SEEDED_IDS[name] = list(model.objects.order_by("pk").values_list("pk", flat=True))
    yield SEEDED_IDS
    SEEDED_IDS.clear()


def _seeded_ids(name: str) -> list[Any]:
    return SEEDED_IDS.get(name, [])


def _known(values: Any) -> Any:
    """Each known field of ``values`` either as generated or replaced by a seeded value."""
    if not isinstance(values, dict):
        return st.just(values)
    strategies = {}
    for name, value in values.items():
        known = KNOWN.get(name) or _seeded_ids(name)
        strategies[name] = (
            st.one_of(st.just(value), st.sampled_from(known)) if known else st.just(value)
        )
    return st.fixed_dictionaries(strategies)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
    return _known(path_parameters)


@schema.hook
def flatmap_query(context: Any, query: Any) -> Any:
    return _known(query)


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return _known(body)


@pytest.mark.parametrize("who", ["admin", "rep"])
@schema.parametrize()
@settings(
    max_examples=api_examples(),
    derandomize=deterministic(),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api(case, who, seeded, seeded_ids, in_process_wsgi):
    token = seeded.admin_token if who == "admin" else seeded.rep_token
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    API_REQUESTS[f"{case.method} {case.path}"] += 1
    API_STATUSES[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
