"""Extreme dates (year 1, year 9999, anything outside 1900–2999) on every page and API route:
a clear refusal, never a 5xx.

Generated, not a hand list: the pages are every URL pattern the app resolves (path parameters
filled with the seeded company's codes, date-like ones with the extreme dates), each with every
date-like query parameter its app's code reads; the API routes are every operation of the OpenAPI
spec, with every date-like query, path and body field set to an extreme date in turn.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tiejun.api import api
from tiejun.dateinput import parse_day, parse_month
from tiejun.errors import TiejunError

EXTREME_DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"]
EXTREME_MONTHS = ["0001-01", "9999-12", "1899-12", "3000-01"]
EXTREME_MOMENTS = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
EXTREME_YEARS = ["1", "9999", "1899", "3000"]
# A query or path parameter whose name says it carries a day or a month.
DATE_LIKE = re.compile(r"^(date|day|as_of|month|from|to|since|until|start|end|year|week)$")
PATH_VALUES = {
    "unit_code": "HZ1",
    "code": "C1",
    "employee_no": "R1",
    "deal_no": "D1",
    "visit_id": "00000000-0000-0000-0000-000000000001",
    "kind": "deals",
    "customer_code": "C1",
}
SKIP_PREFIXES = ("admin/", "api/v1/", "i18n/", "logout/")


def _patterns(resolvers: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _string_literals(module_name: str) -> set[str]:
    """Every string constant in the view's app (its views, forms and helpers)."""
    module = __import__(module_name, fromlist=["_"])
    folder = Path(inspect.getfile(module)).parent
    found: set[str] = set()
    for source in folder.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _fill(route: str, date_value: str, year_value: str) -> str:
    def one(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if name == "year":
            return year_value
        if DATE_LIKE.match(name):
            return date_value
        if converter == "int":
            return "1"
        return PATH_VALUES.get(name, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", one, route)


def _page_requests() -> list[tuple[str, dict[str, str]]]:
    requests: list[tuple[str, dict[str, str]]] = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        in_path = [n for n in re.findall(r"<(?:\w+:)?(\w+)>", route) if DATE_LIKE.match(n)]
        for day, year in zip(EXTREME_DAYS, EXTREME_YEARS, strict=True):
            if in_path:
                requests.append((_fill(route, day, year), {}))
        base = _fill(route, "2026-01-05", "2026")
        names = sorted(
            n for n in _string_literals(pattern.callback.__module__) if DATE_LIKE.match(n)
        )
        for name in names:
            for value in [*EXTREME_DAYS, *EXTREME_MONTHS[:2]]:
                requests.append((base, {name: value}))
    return requests


PAGE_REQUESTS = _page_requests()


def test_the_walk_reaches_the_date_pages():
    # The generator found the pages known to take dates (a guard against a walk that tests
    # nothing): the board's as_of, the plan's day, the calendar's year, the lab's from/to.
    paths = {(p, tuple(q)) for p, q in PAGE_REQUESTS}
    assert ("board/HZ1/", ("as_of",)) in paths
    assert ("field/plans/R1/0001-01-01/", ()) in paths
    assert ("calendar/9999/", ()) in paths
    assert ("lab/efficiency/", ("from",)) in paths
    assert len(PAGE_REQUESTS) > 100


@pytest.fixture
def client():
    """Errors come back as the 500 a visitor would see, not as an exception in the test."""
    return Client(raise_request_exception=False)


@pytest.fixture
def admin_client(seeded, client):
    client.force_login(seeded.org.admin)
    return client


def test_no_page_answers_an_extreme_date_with_a_server_error(admin_client):
    failures = []
    for path, query in PAGE_REQUESTS:
        response = admin_client.get(f"/{path}", query)
        if response.status_code >= 500:
            failures.append(f"/{path}?{query} → {response.status_code}")
    assert not failures, "\n".join(failures)


# --- the API ------------------------------------------------------------------------------


def _spec() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/v1/")


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _formats(schema: dict[str, Any]) -> set[str]:
    found = {schema.get("format", "")}
    for option in schema.get("anyOf", []):
        found.add(option.get("format", ""))
    return found


def _extremes(name: str, schema: dict[str, Any]) -> list[str]:
    formats = _formats(schema)
    if "date-time" in formats:
        return EXTREME_MOMENTS
    if "date" in formats or name in {"date", "as_of", "since", "until"}:
        return EXTREME_DAYS
    if name == "month":
        return EXTREME_MONTHS
    return []


def _example(name: str, schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A plausible value for a body field, so a request gets as far as its dates."""
    known = {
        "employee_no": "R1",
        "unit_code": "HZ2",
        "customer_code": "C1",
        "code": "HZ1",
        "metric": "revenue",
        "scope": "unit",
        "month": dt.date.today().strftime("%Y-%m"),
        "amount": "100.00",
        "value": "100",
        "total": "100",
        "method": "even",
        "reason": "fuzz",
        "title": "fuzz",
        "name": "fuzz",
        "id": "00000000-0000-0000-0000-0000000000aa",
        "lat": 30.25,
        "lon": 120.15,
        "accuracy_m": 10,
    }
    if name in known:
        return known[name]
    schema = _resolve(schema, spec)
    if "date-time" in _formats(schema):
        return dt.datetime.now(dt.UTC).isoformat()
    if "date" in _formats(schema):
        return dt.date.today().isoformat()
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    return {"boolean": False, "integer": 1, "number": 1}.get(kind, "x") if kind else None


def _api_requests() -> list[tuple[str, str, dict[str, str], dict[str, Any] | None]]:
    spec = _spec()
    requests: list[tuple[str, str, dict[str, str], dict[str, Any] | None]] = []
    for raw_path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            path = raw_path
            for param in params:
                if param["in"] == "path":
                    value = PATH_VALUES.get(param["name"], "1")
                    path = path.replace("{" + param["name"] + "}", value)
            body_schema = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            body = None
            properties: dict[str, Any] = {}
            if body_schema:
                properties = _resolve(body_schema, spec).get("properties", {})
                body = {n: _example(n, s, spec) for n, s in properties.items()}
            for param in params:
                if param["in"] != "query":
                    continue
                for value in _extremes(param["name"], param["schema"]):
                    requests.append((method, path, {param["name"]: value}, body))
            for name, schema in properties.items():
                for value in _extremes(name, _resolve(schema, spec)):
                    requests.append((method, path, {}, {**(body or {}), name: value}))
    return requests


API_REQUESTS = _api_requests()


def test_the_walk_reaches_the_dated_api_fields():
    found = {(m, p, *q, *(b or {})) for m, p, q, b in API_REQUESTS}
    assert any(r[:3] == ("get", "/api/v1/board/HZ1", "as_of") for r in found)
    assert sum(1 for m, p, q, b in API_REQUESTS if b and b.get("won_date") == "0001-01-01") == 2
    assert len(API_REQUESTS) > 30


def test_no_api_route_answers_an_extreme_date_with_a_server_error(seeded, client):
    failures = []
    for method, path, query, body in API_REQUESTS:
        url = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        response = getattr(client, method)(
            url,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {seeded.admin_token}",
        )
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url} {body} → {response.status_code}")
        elif not query and 200 <= response.status_code < 300:
            failures.append(f"{method.upper()} {url} {body} → {response.status_code}: stored")
        elif query and response.status_code != 400:
            failures.append(f"{method.upper()} {url} → {response.status_code}, not 400")
        elif query:  # the refusal in the API's one error shape, naming the parameter
            assert response.json()["field"] in query, response.json()
    assert not failures, "\n".join(failures)


def test_an_extreme_date_on_a_page_is_a_400_with_its_message(admin_client):
    response = admin_client.get("/board/HZ1/", {"as_of": "0001-01-01"})
    assert response.status_code == 400
    assert "as_of must be between 1900-01-01 and 2999-12-31" in response.content.decode()
    assert admin_client.get("/field/plans/R1/9999-12-31/").status_code == 400


def test_an_extreme_date_in_a_body_is_refused_and_writes_nothing(seeded, client):
    from tiejun.crm.models import Deal

    before = Deal.objects.count()
    response = client.post(
        "/api/v1/deals",
        {"employee_no": "R1", "customer_code": "C1", "amount": "10", "won_date": "0001-01-01"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {seeded.admin_token}",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "won_date must be between 1900-01-01 and 2999-12-31",
        "field": "won_date",
    }
    assert Deal.objects.count() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1900-01-01", dt.date(1900, 1, 1)),
        ("2999-12-31", dt.date(2999, 12, 31)),
        ("", None),
        (None, None),
    ],
)
def test_the_shared_parser_keeps_1900_to_2999(text, expected):
    assert parse_day(text, field="date") == expected


@pytest.mark.parametrize("text", ["1899-12-31", "3000-01-01", "0001-01-01", "9999-12-31", "x"])
def test_the_shared_parser_refuses_the_rest(text):
    with pytest.raises(TiejunError) as refused:
        parse_day(text, field="as_of")
    assert refused.value.field == "as_of" and refused.value.status == 400


def test_the_shared_month_parser():
    assert parse_month("2026-1") == dt.date(2026, 1, 1)
    assert parse_month("2999-12") == dt.date(2999, 12, 1)
    for text in ["1899-12", "3000-01", "0001-01", "9999-12", "2026-13", "26-01"]:
        with pytest.raises(TiejunError):
            parse_month(text)
