"""What every API router shares: the error bodies, declared per route so that the OpenAPI spec
lists every status a client can get, and page numbers with a ceiling."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000


class ErrorOut(Schema):
    """The body of every error but 422: a message fit to show a person."""

    detail: str = Field(description="What went wrong, in the caller's language")
    field: str | None = Field(None, description="The input at fault, where there is one")


class ValidationErrorOut(Schema):
    """422: the request does not fit the schema (the items are pydantic's)."""

    detail: list[dict[str, Any]] = Field(description="One item per problem: type, loc, msg")


def errors(*codes: int) -> dict[int, type[Schema]]:
    """The error responses of a route: ``codes``, and those every route can give: 400 (a value
    the database cannot store, such as a NUL character) and 401 (no caller)."""
    return {
        code: ValidationErrorOut if code == 422 else ErrorOut for code in sorted({400, 401, *codes})
    }


class Pages(PageNumberPagination):
    """Page numbers from 1 to ``MAX_PAGE``: a larger one would overflow the database's OFFSET
    (a 500) rather than return an empty page."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)
