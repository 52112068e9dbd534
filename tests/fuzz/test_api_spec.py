"""The OpenAPI spec names each schema by its class name: two classes of one name would share one
entry, and one route's responses would be checked against the other's (the fuzzer found
customers' ``VisitOut`` described as the check-ins' ``VisitOut``)."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from tiejun.api import api


def _walk(annotation: object, found: dict[str, set[type]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        classes = found.setdefault(annotation.__name__, set())
        if annotation in classes:
            return
        classes.add(annotation)
        for field in annotation.model_fields.values():
            _walk(field.annotation, found)
    else:
        for arg in typing.get_args(annotation):
            _walk(arg, found)


def _fields_of(wrapper: object, found: dict[str, set[type]]) -> None:
    """The schemas under one of django-ninja's own wrappers (its names repeat by design)."""
    if isinstance(wrapper, type) and issubclass(wrapper, BaseModel):
        for field in wrapper.model_fields.values():
            _walk(field.annotation, found)


def test_every_schema_name_is_one_class():
    found: dict[str, set[type]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for wrapper in [*operation.response_models.values(), *operation.models]:
                    _fields_of(wrapper, found)
    assert found, "no schema found: the walk no longer matches django-ninja"
    components = api.get_openapi_schema()["components"]["schemas"]
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in found.items()
        if name in components and len(classes) > 1
    }
    assert shared == {}
