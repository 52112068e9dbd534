"""The published API is a contract: every operation keeps its method, path and operationId
(clients are generated from the schema). New operations may be added; none renamed or dropped."""

import json
from pathlib import Path

from tiejun.api import api

PUBLISHED = json.loads((Path(__file__).with_name("api_operation_ids.json")).read_text())


def test_every_published_operation_keeps_its_path_and_id():
    schema = api.get_openapi_schema()
    now = {
        f"{method.upper()} {path}": operation["operationId"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    changed = {key: (old, now.get(key)) for key, old in PUBLISHED.items() if now.get(key) != old}
    assert changed == {}


def test_operation_ids_are_unique():
    schema = api.get_openapi_schema()
    ids = [op["operationId"] for methods in schema["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))
