"""The board over the API (``GET /api/v1/board/{unit_code}``, the same JSON as ``tiejun board
--json``) and the target cascade (``POST /api/v1/targets/{unit_code}/split``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from tiejun.api_schemas import errors
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.metrics import metric as get_metric
from tiejun.org.selectors import access_unit
from tiejun.targets.api import MONTH_HELP, Value, managed_unit, month_arg
from tiejun.targets.services import ChildKey

from .selectors import board_for_unit, parse_board_args, split_children
from .services import target_cascade

router = Router(tags=["board"])


@router.get(
    "/board/{unit_code}",
    response={200: dict[str, Any], **errors(400, 404)},
    summary="The board of a unit for a month as of a day",
)
def board(
    request: AuthedRequest,
    unit_code: str,
    month: str | None = None,
    as_of: str | None = None,
    metric: str = "revenue",
) -> dict[str, Any]:
    unit = access_unit(request.user, unit_code)
    month_day, as_of_day = parse_board_args(month, as_of)
    return board_for_unit(unit, month=month_day, as_of=as_of_day, metric=metric).to_json()


class SplitIn(Schema):
    month: str = Field(description=MONTH_HELP, examples=["2026-07"])
    metric: str = "revenue"
    total: Decimal
    method: Literal["even", "last_month", "last_3_months", "manual"]
    values: dict[str, Decimal] | None = Field(
        None, description="For method manual: child code (unit code or employee number) → value"
    )
    reason: str = ""


class ShareOut(Schema):
    scope: Literal["unit", "person"]
    code: str
    name: str
    value: Value


class SplitOut(Schema):
    unit_code: str
    month: str
    metric: str
    method: str
    total: Value
    shares: list[ShareOut]


def _manual_values(
    payload: SplitIn, children: list[tuple[ChildKey, str, str]], unit_name: str
) -> dict[ChildKey, Decimal]:
    """A manual split's values by child key; every code must name a child."""
    by_code = {code: key for key, code, _name in children}
    if not payload.values:
        raise TiejunError(_("a manual split needs a value per child"), field="values")
    unknown = sorted(set(payload.values) - set(by_code))
    if unknown:
        raise TiejunError(
            _("%(codes)s are not children of %(unit)s")
            % {"codes": ", ".join(unknown), "unit": unit_name},
            field="values",
        )
    return {by_code[code]: value for code, value in payload.values.items()}


@router.post(
    "/targets/{unit_code}/split",
    response={200: SplitOut, **errors(400, 403, 404, 422)},
    tags=["targets"],
    # First published by the targets app; the id stays (see tiejun.api.PUBLISHED_MODULES).
    operation_id="tiejun_targets_api_target_split_api",
    summary="Set a unit's target and split it over its children",
    description="Methods: even; last_month or last_3_months (each child's share of the results "
    "before the month); manual (values per child code). Child units, or for a team its reps.",
)
def target_split_api(request: AuthedRequest, unit_code: str, payload: SplitIn) -> SplitOut:
    viewer = request.user
    unit = managed_unit(viewer, unit_code)
    month = month_arg(payload.month)
    m = get_metric(payload.metric)
    children = split_children(unit, month)
    names = {key: (code, name) for key, code, name in children}
    values = _manual_values(payload, children, unit.name) if payload.method == "manual" else None
    shares = target_cascade(
        unit=unit,
        month=month,
        metric=m.code,
        total=payload.total,
        method=payload.method,
        values=values,
        by=viewer,
        reason=payload.reason,
    )
    return SplitOut(
        unit_code=unit.code,
        month=f"{month:%Y-%m}",
        metric=m.code,
        method=payload.method,
        total=m.to_json(payload.total),
        shares=[
            ShareOut(
                scope=key[0],  # type: ignore[arg-type]
                code=names[key][0],
                name=names[key][1],
                value=m.to_json(value),
            )
            for key, value in shares.items()
        ],
    )
