"""The org tree over the API: units, people and their history, transfers and promotions."""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.dateinput import Day
from tiejun.errors import Forbidden, TiejunError
from tiejun.http import AuthedRequest

from .checks import MoveNeedsConfirmation
from .models import Membership, Role, UnitKind
from .selectors import (
    access_person,
    access_unit,
    board_roots,
    can_move_person,
    person_history,
    unit_members_on,
    unit_tree,
)
from .services import membership_move_checked

router = Router(tags=["org"])


class TargetChoice(StrEnum):
    MOVE = "move"
    LEAVE = "leave"
    RESPLIT = "resplit"


class MilestoneChoice(StrEnum):
    POSTPONE = "postpone"
    EXCEPTION = "exception"
    PROCEED = "proceed"


MILESTONE_FIELD = Field(
    None,
    description="A milestone the move forfeits (warning milestone.forfeit, which needs a "
    "choice): postpone the move to the suggested date, ask for an exception (when the plan "
    "allows; approved a level up), or proceed and forfeit it",
)
MILESTONE_REASON_FIELD = Field(
    "", max_length=500, description="Why (required with exception and proceed)"
)


def move_choices(payload: Any) -> dict[str, str]:
    """The options a move's payload chooses (``target``, ``milestone`` and its reason)."""
    choices = {}
    if payload.target:
        choices["target"] = payload.target.value
    if payload.milestone:
        choices["milestone"] = payload.milestone.value
    if payload.milestone_reason:
        choices["milestone_reason"] = payload.milestone_reason
    return choices


class UnitOut(Schema):
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None
    depth: int
    headcount: int


class MemberOut(Schema):
    employee_no: str
    name: str
    role: Role
    since: dt.date


class UnitDetailOut(Schema):
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None
    children: list[str]
    members: list[MemberOut]


class MembershipOut(Schema):
    unit_code: str
    unit_name: str
    role: Role
    valid_from: dt.date
    valid_to: dt.date | None


class PersonOut(Schema):
    employee_no: str
    name: str
    email: str
    phone: str
    start_date: dt.date | None
    active: bool
    current: MembershipOut | None
    history: list[MembershipOut]


class MoveIn(Schema):
    employee_no: str
    unit_code: str
    role: Role | None = None
    effective_date: Day
    confirm: bool = Field(
        False, description="Save the move although it has warnings (else 409 with the warnings)"
    )
    target: TargetChoice | None = Field(
        None,
        description="The person's targets of the months from the effective date on: move them "
        "with the person (the units' own targets follow), leave them as they are, or re-split "
        "them over the old team",
    )
    milestone: MilestoneChoice | None = MILESTONE_FIELD
    milestone_reason: str = MILESTONE_REASON_FIELD


class MoveWarningOut(Schema):
    code: str = Field(description="heads.headless, heads.two_heads, target.next_month, …")
    message: str
    options: list[str] = []
    detail: dict[str, Any] = {}


class MoveWarningsOut(Schema):
    detail: str
    warnings: list[MoveWarningOut]


class MoveOut(Schema):
    employee_no: str
    unit_code: str
    role: Role
    valid_from: dt.date
    previous: MembershipOut
    warnings: list[MoveWarningOut] = Field(
        [], description="The warnings the move was confirmed with"
    )


def _membership_out(membership: Membership) -> MembershipOut:
    return MembershipOut(
        unit_code=membership.unit.code,
        unit_name=membership.unit.name,
        role=Role(membership.role),
        valid_from=membership.valid_from,
        valid_to=membership.valid_to,
    )


@router.get(
    "/units",
    response={200: list[UnitOut], **errors()},
    summary="The units the caller may see, depth-first",
)
def units(request: AuthedRequest) -> list[UnitOut]:
    today = timezone.localdate()
    out: list[UnitOut] = []
    for root in board_roots(request.user, today):
        nodes = unit_tree(root, today)
        codes = {node.unit.pk: node.unit.code for node in nodes}
        root_parent = root.parent.code if root.parent is not None else None
        for node in nodes:
            unit = node.unit
            out.append(
                UnitOut(
                    code=unit.code,
                    name=unit.name,
                    kind=UnitKind(unit.kind),
                    parent_code=codes.get(unit.parent_id) if unit.pk != root.pk else root_parent,  # type: ignore[arg-type]
                    depth=node.depth,
                    headcount=node.headcount,
                )
            )
    return out


@router.get(
    "/units/{code}",
    response={200: UnitDetailOut, **errors(404)},
    summary="A unit and its current members",
)
def unit_detail(request: AuthedRequest, code: str) -> UnitDetailOut:
    unit = access_unit(request.user, code)
    members = unit_members_on(unit, timezone.localdate()).order_by("person__employee_no")
    return UnitDetailOut(
        code=unit.code,
        name=unit.name,
        kind=UnitKind(unit.kind),
        parent_code=unit.parent.code if unit.parent else None,
        children=[child.code for child in unit.children.order_by("sort", "code")],
        members=[
            MemberOut(
                employee_no=ms.person.employee_no,
                name=ms.person.name,
                role=Role(ms.role),
                since=ms.valid_from,
            )
            for ms in members
        ],
    )


@router.get(
    "/people/{employee_no}",
    response={200: PersonOut, **errors(404)},
    summary="A person and their membership history",
)
def person_detail(request: AuthedRequest, employee_no: str) -> PersonOut:
    person = access_person(request.user, employee_no)
    history = person_history(person)
    today = timezone.localdate()
    current = next((ms for ms in history if ms.covers(today)), None)
    return PersonOut(
        employee_no=person.employee_no,
        name=person.name,
        email=person.email,
        phone=person.phone,
        start_date=person.start_date,
        active=person.is_active,
        current=_membership_out(current) if current else None,
        history=[_membership_out(ms) for ms in history],
    )


@router.post(
    "/moves",
    response={201: MoveOut, 409: MoveWarningsOut, **errors(400, 403, 404, 422)},
    summary="Transfer and/or promote a person from a date",
    description="Closes the current membership the day before ``effective_date`` and opens the "
    "next. The caller must manage both the current and the new unit. A move that would break "
    "something (a unit left without its head, a unit with two heads, the person's next-month "
    "target, customers and visit plans to hand over, …) answers 409 with the ``warnings`` and "
    "writes nothing, unless ``confirm`` is true.",
)
def move(request: AuthedRequest, payload: MoveIn) -> Status:
    viewer = request.user
    person = access_person(viewer, payload.employee_no)
    new_unit = access_unit(viewer, payload.unit_code)
    current = next((ms for ms in person_history(person) if ms.valid_to is None), None)
    if current is None:
        raise TiejunError(
            _("%(name)s has no current membership") % {"name": person.name},
            field="employee_no",
        )
    role = payload.role.value if payload.role else current.role
    if not can_move_person(viewer, person, current.unit, new_unit, role):
        raise Forbidden(_("you may not move people between these units"), field="unit_code")
    try:
        membership, warnings = membership_move_checked(
            person=person,
            effective=payload.effective_date,
            unit=new_unit,
            role=payload.role.value if payload.role else None,
            by=viewer,
            confirm=payload.confirm,
            choices=move_choices(payload),
        )
    except MoveNeedsConfirmation as refused:
        return Status(
            409,
            MoveWarningsOut(
                detail=str(refused),
                warnings=[MoveWarningOut(**w.as_json()) for w in refused.warnings],
            ),
        )
    current.refresh_from_db(fields=["valid_to"])
    return Status(
        201,
        MoveOut(
            employee_no=person.employee_no,
            unit_code=new_unit.code,
            role=Role(membership.role),
            valid_from=membership.valid_from,
            previous=_membership_out(current),
            warnings=[MoveWarningOut(**w.as_json()) for w in warnings],
        ),
    )
