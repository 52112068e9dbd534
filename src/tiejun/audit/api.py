"""``GET /api/v1/audit``: the audit trail for administrators (anyone else gets 404)."""

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from tiejun.api_schemas import Pages, errors
from tiejun.dateinput import Day
from tiejun.http import AuthedRequest

from .selectors import AuditFilters, audit_entries

router = Router(tags=["audit"])


class AuditQuery(Schema):
    type: str = Field("", max_length=48, description="object type: target, deal, membership, …")
    object: str = Field("", max_length=64, description="object id or code, or part of one")
    person: str = Field("", max_length=64, description="the actor's employee number or name")
    action: str = Field("", max_length=32)
    source: str = Field("", max_length=16, description="web, api, cli, import, job, admin, system")
    since: Day | None = Field(None, description="from this local day")
    until: Day | None = Field(None, description="up to and with this local day")


class AuditEntryOut(Schema):
    at: dt.datetime
    employee_no: str = Field(alias="actor_label")
    source: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any = None
    after: Any = None
    reason: str


@router.get(
    "/audit",
    response={200: list[AuditEntryOut], **errors(404, 422)},
    summary="The audit trail, newest first (administrators)",
)
@paginate(Pages, page_size=50)
def audit(request: AuthedRequest, filters: Query[AuditQuery]) -> Any:
    return audit_entries(
        request.user,
        AuditFilters(
            object_type=filters.type,
            object=filters.object,
            person=filters.person,
            action=filters.action,
            source=filters.source,
            since=filters.since,
            until=filters.until,
        ),
    )
