"""The plan file (``tiejun incentives plan load FILE.json``): read and checked before anything
is written, every problem named with the field it is in."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from tiejun.crm.models import SalesChannel
from tiejun.errors import TiejunError
from tiejun.metrics import METRICS
from tiejun.org.models import Role

from .maths import Tier, TierError, check_tiers

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
PERIODS = ("year",)
PLAN_FIELDS = {
    "code",
    "name",
    "effective_from",
    "units",
    "roles",
    "metric",
    "channels",
    "tiers",
    "cap",
    "override_rate",
    "clawback",
    "exception_allowed",
    "milestones",
}
MILESTONE_FIELDS = {
    "code",
    "metric",
    "period",
    "threshold",
    "reward",
    "roles",
    "forfeit_on_promotion",
    "forfeit_on_leaving",
}


@dataclass(frozen=True)
class MilestoneSpec:
    code: str
    metric: str
    period: str
    threshold: Decimal
    reward: str
    roles: list[str]
    forfeit_on_promotion: bool
    forfeit_on_leaving: bool = True


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    effective_from: dt.date
    units: list[str]
    roles: list[str]
    metric: str
    channels: list[str]
    tiers: list[Tier]
    cap: Decimal | None
    override_rate: Decimal
    clawback: bool
    milestones: list[MilestoneSpec]
    exception_allowed: bool = False


def _fail(field: str, message: str) -> TiejunError:
    return TiejunError(f"{field}: {message}", field=field)


def _text(data: dict[str, Any], key: str, where: str, *, max_length: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        return _raise(where + key, _("a non-empty text is required"))
    value = value.strip()
    if len(value) > max_length:
        return _raise(where + key, _("at most %(n)d characters") % {"n": max_length})
    return value


def _raise(field: str, message: str) -> Any:
    raise _fail(field, message)


def _decimal(value: Any, field: str, *, allow_none: bool = False) -> Decimal | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return _raise(field, _("a number is required"))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return _raise(field, _("%(value)r is not a number") % {"value": value})
    if not number.is_finite():
        return _raise(field, _("%(value)r is not a number") % {"value": value})
    return number


def _roles(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(r, str) for r in value):
        return _raise(field, _("a non-empty list of roles is required"))
    unknown = [r for r in value if r not in Role.values or r == Role.ADMIN]
    if unknown:
        return _raise(
            field,
            _("unknown role %(role)s; use %(choices)s")
            % {"role": unknown[0], "choices": ", ".join(r for r in Role.values if r != Role.ADMIN)},
        )
    return list(dict.fromkeys(value))


def _metric(value: Any, field: str) -> str:
    if value is None:
        return "revenue"
    if value not in METRICS:
        return _raise(
            field,
            _("unknown metric %(metric)s; use one of %(choices)s")
            % {"metric": value, "choices": ", ".join(METRICS)},
        )
    return str(value)


def _unknown_fields(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        _raise(
            where + extra[0],
            _("unknown field; the fields are %(f)s") % {"f": ", ".join(sorted(allowed))},
        )


def _tiers(value: Any) -> list[Tier]:
    if not isinstance(value, list) or not value:
        return _raise("tiers", _("a non-empty list of tiers is required"))
    tiers: list[Tier] = []
    for i, item in enumerate(value, start=1):
        where = f"tiers[{i}]."
        if not isinstance(item, dict):
            return _raise(f"tiers[{i}]", _("an object with from, to and rate is required"))
        _unknown_fields(item, {"from", "to", "rate"}, where)
        lower = _decimal(item.get("from"), where + "from")
        upper = _decimal(item.get("to"), where + "to", allow_none=True)
        rate = _decimal(item.get("rate"), where + "rate")
        assert lower is not None and rate is not None
        tiers.append(Tier(lower, upper, rate))
    try:
        check_tiers(tiers)
    except TierError as error:
        return _raise(
            "tiers", _("the tiers are not one ladder from 0 upward: %(why)s") % {"why": error}
        )
    return tiers


def _milestone(item: Any, index: int, plan_roles: list[str]) -> MilestoneSpec:
    where = f"milestones[{index}]."
    if not isinstance(item, dict):
        return _raise(f"milestones[{index}]", _("an object is required"))
    _unknown_fields(item, MILESTONE_FIELDS, where)
    code = _text(item, "code", where, max_length=40)
    if not CODE.match(code):
        _raise(where + "code", _("letters, digits, '.', '_' and '-' only"))
    period = item.get("period", "year")
    if period not in PERIODS:
        _raise(where + "period", _("only 'year' (the calendar year) is supported"))
    threshold = _decimal(item.get("threshold"), where + "threshold")
    assert threshold is not None
    if threshold <= 0:
        _raise(where + "threshold", _("must be above zero"))
    forfeit = item.get("forfeit_on_promotion", False)
    if not isinstance(forfeit, bool):
        _raise(where + "forfeit_on_promotion", _("true or false"))
    on_leaving = item.get("forfeit_on_leaving", True)
    if not isinstance(on_leaving, bool):
        _raise(where + "forfeit_on_leaving", _("true or false"))
    roles = _roles(item["roles"], where + "roles") if "roles" in item else list(plan_roles)
    return MilestoneSpec(
        code=code,
        metric=_metric(item.get("metric"), where + "metric"),
        period=str(period),
        threshold=threshold,
        reward=_text(item, "reward", where, max_length=200),
        roles=roles,
        forfeit_on_promotion=forfeit,
        forfeit_on_leaving=on_leaving,
    )


def parse_plan(data: Any) -> PlanSpec:
    """The plan in ``data`` (the parsed JSON), or ``TiejunError`` naming the first problem."""
    if not isinstance(data, dict):
        return _raise("plan", _("the file must hold one JSON object"))
    _unknown_fields(data, PLAN_FIELDS, "")
    code = _text(data, "code", "", max_length=40)
    if not CODE.match(code):
        _raise("code", _("letters, digits, '.', '_' and '-' only"))
    name = _text(data, "name", "", max_length=100)
    raw_day = data.get("effective_from")
    try:
        effective_from = dt.date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
    except ValueError:
        effective_from = None
    if effective_from is None:
        _raise("effective_from", _("a date YYYY-MM-DD is required"))
    assert effective_from is not None
    units = data.get("units")
    if not isinstance(units, list) or not units or not all(isinstance(u, str) for u in units):
        _raise("units", _("a non-empty list of unit codes is required"))
    assert isinstance(units, list)
    roles = _roles(data.get("roles"), "roles")
    channels = data.get("channels", [])
    if not isinstance(channels, list) or any(c not in SalesChannel.values for c in channels):
        _raise(
            "channels",
            _("a list of sales channels (%(choices)s)")
            % {"choices": ", ".join(SalesChannel.values)},
        )
    metric = _metric(data.get("metric"), "metric")
    if channels and metric != "revenue":
        _raise("channels", _("channels apply to the revenue metric only"))
    cap = _decimal(data.get("cap"), "cap", allow_none=True)
    if cap is not None and cap < 0:
        _raise("cap", _("must not be negative"))
    override_rate = _decimal(data.get("override_rate", 0), "override_rate")
    assert override_rate is not None
    if not Decimal(0) <= override_rate <= 1:
        _raise("override_rate", _("must be between 0 and 1"))
    clawback = data.get("clawback", True)
    if not isinstance(clawback, bool):
        _raise("clawback", _("true or false"))
    exception_allowed = data.get("exception_allowed", False)
    if not isinstance(exception_allowed, bool):
        _raise("exception_allowed", _("true or false"))
    raw_milestones = data.get("milestones", [])
    if not isinstance(raw_milestones, list):
        _raise("milestones", _("a list is required"))
    milestones = [_milestone(m, i, roles) for i, m in enumerate(raw_milestones, start=1)]
    codes = [m.code for m in milestones]
    if len(set(codes)) != len(codes):
        _raise("milestones", _("milestone codes must differ"))
    return PlanSpec(
        code=code,
        name=name,
        effective_from=effective_from,
        units=list(dict.fromkeys(u.strip() for u in units)),
        roles=roles,
        metric=metric,
        channels=list(dict.fromkeys(channels)),
        tiers=_tiers(data.get("tiers")),
        cap=cap,
        override_rate=override_rate,
        clawback=clawback,
        milestones=milestones,
        exception_allowed=exception_allowed,
    )
