"""What a move (transfer or promotion) would break, checked before it is saved.

Org knows the tree and its heads; the apps above it know what else a move touches (a next-month
target, customers, visit plans, open transfer orders, incentive milestones). Each of them
registers a check here from its ``AppConfig.ready`` (``register``); pages, the API, the ``moves``
import and the directory sync all ask ``move_warnings`` and need the same confirmation to save a
move that has warnings. A check may also offer options (``MoveWarning.options``) and a
``resolve`` hook that carries out the option chosen, in the move's transaction; a check that
must be answered (``required``) refuses a move without a choice, even a confirmed one, may take a
free-text reason with the choice (``reason``: the key it arrives under) and a ``prepare`` hook
that checks the choice before anything is written and may move the effective date later (the
advisor's "postpone"). A check registered for ``leavers`` also runs when a person leaves
(``leaver_proposal_for``: a proposal with ``leaving`` set, the person's unit and role unchanged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

from .models import LEADER_ROLES, Membership, Person, Role, Unit, UnitKind


@dataclass(frozen=True)
class MoveProposal:
    """A move not saved yet: ``person`` leaves ``current`` for ``unit`` as ``role`` on
    ``effective`` (the day the new membership begins)."""

    person: Person
    current: Membership
    unit: Unit
    role: str
    effective: dt.date
    leaving: bool = False  # the person leaves on ``effective`` (``unit``/``role`` unchanged)

    @property
    def old_unit(self) -> Unit:
        return self.current.unit

    @property
    def changes_unit(self) -> bool:
        return self.unit.pk != self.current.unit_id


@dataclass(frozen=True)
class MoveWarning:
    """One thing the move would break: a stable ``code``, a message fit to show, and the
    options a person may choose from (the first is what happens when they choose none; for a
    ``required`` check's warning, choosing none refuses the move)."""

    code: str
    message: str
    options: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.options:
            out["options"] = list(self.options)
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


Check = Callable[[MoveProposal], Iterable[MoveWarning]]
# (the proposal as it was checked, the option chosen, who saves) — runs after the move is saved;
# a check registered with a ``reason`` key also gets ``reason=`` (the text given, maybe empty).
Resolve = Callable[..., None]
# (the proposal, the option chosen, the reason given) — runs before anything is written: raises
# ``TiejunError`` to refuse the choice, or returns a later effective date for the move.
Prepare = Callable[[MoveProposal, str, str], dt.date | None]

REASON_MAX = 500


@dataclass(frozen=True)
class _Registered:
    name: str
    check: Check
    resolve: Resolve | None
    choice: str  # the key under which the caller's choice for this check arrives
    reason: str = ""  # the key of the free-text reason that may come with the choice
    prepare: Prepare | None = None
    required: bool = False  # its warnings need a choice: a bare confirmation is not enough
    leavers: bool = False  # also asked when a person leaves


_CHECKS: dict[str, _Registered] = {}


def register(
    name: str,
    check: Check,
    *,
    resolve: Resolve | None = None,
    choice: str = "",
    reason: str = "",
    prepare: Prepare | None = None,
    required: bool = False,
    leavers: bool = False,
) -> None:
    """Add (or replace) the check ``name``. ``resolve`` carries out the option chosen under
    the key ``choice`` (``target``: the API's ``"target": "resplit"``); see the module's
    docstring for ``reason``, ``prepare``, ``required`` and ``leavers``."""
    _CHECKS[name] = _Registered(
        name, check, resolve, choice, reason, prepare, required and bool(choice), leavers
    )


def registered() -> list[str]:
    return list(_CHECKS)


def reason_keys() -> set[str]:
    """The keys of the free-text reasons that may come with a choice."""
    return {r.reason for r in _CHECKS.values() if r.reason}


def choice_keys() -> list[str]:
    """Every key a caller may pass a choice or a reason under (an import's extra columns)."""
    keys: list[str] = []
    for registered_check in _CHECKS.values():
        keys += [k for k in (registered_check.choice, registered_check.reason) if k]
    return list(dict.fromkeys(keys))


class MoveNeedsConfirmation(TiejunError):
    """The move has warnings and was not confirmed: nothing was written."""

    status = 409

    def __init__(self, warnings: list[MoveWarning], message: str | None = None) -> None:
        super().__init__(
            message
            or _("This move has %(n)d warning(s); confirm to save it anyway.")
            % {"n": len(warnings)}
        )
        self.warnings = warnings


def proposal_for(
    person: Person, *, effective: dt.date, unit: Unit | None, role: str | None
) -> MoveProposal | None:
    """The proposal of moving ``person``; None when they have no open membership (the move
    service refuses that with its own message)."""
    current = (
        Membership.objects.filter(person=person, valid_to__isnull=True)
        .select_related("unit")
        .first()
    )
    if current is None:
        return None
    return MoveProposal(
        person=person,
        current=current,
        unit=unit or current.unit,
        role=role or current.role,
        effective=effective,
    )


def leaver_proposal_for(person: Person, *, effective: dt.date) -> MoveProposal | None:
    """The proposal of ``person`` leaving on ``effective`` (their first day gone); None when
    they have no open membership."""
    proposal = proposal_for(person, effective=effective, unit=None, role=None)
    return None if proposal is None else replace(proposal, leaving=True)


def move_warnings(proposal: MoveProposal) -> list[MoveWarning]:
    """Every registered check's warnings about ``proposal``, in registration order (for a
    leaver, only the checks registered for leavers)."""
    warnings: list[MoveWarning] = []
    for registered_check in _CHECKS.values():
        if proposal.leaving and not registered_check.leavers:
            continue
        warnings.extend(registered_check.check(proposal))
    return warnings


def check_choices(choices: Mapping[str, str], warnings: list[MoveWarning]) -> dict[str, str]:
    """The caller's choices, checked against the options the warnings offer."""
    offered: dict[str, tuple[str, ...]] = {}
    reasons: set[str] = set()
    for registered_check in _CHECKS.values():
        if registered_check.choice:
            offered.setdefault(registered_check.choice, ())
        if registered_check.reason:
            reasons.add(registered_check.reason)
    for warning in warnings:
        key = _choice_key_of(warning.code)
        if key:
            offered[key] = offered.get(key, ()) + warning.options
    checked: dict[str, str] = {}
    for key, value in choices.items():
        value = (value or "").strip()
        if not value:
            continue
        if key in reasons:  # free text that goes with a choice
            if len(value) > REASON_MAX:
                raise TiejunError(
                    _("the reason is at most %(n)d characters") % {"n": REASON_MAX}, field=key
                )
            checked[key] = value
            continue
        options = offered.get(key)
        if options is None:
            raise TiejunError(_("unknown choice %(key)s") % {"key": key}, field=key)
        if value not in options:
            if not options:
                continue  # nothing to choose for this move: the choice is moot
            raise TiejunError(
                _("%(key)s is one of %(options)s, not %(value)s")
                % {"key": key, "options": ", ".join(dict.fromkeys(options)), "value": value},
                field=key,
            )
        checked[key] = value
    return checked


def _choice_key_of(code: str) -> str:
    prefix = code.split(".", 1)[0]
    for registered_check in _CHECKS.values():
        if registered_check.name == prefix:
            return registered_check.choice
    return ""


def _registered_of(code: str) -> _Registered | None:
    return _CHECKS.get(code.split(".", 1)[0])


def settle(
    proposal: MoveProposal, choices: Mapping[str, str], *, confirm: bool
) -> tuple[MoveProposal, list[MoveWarning], dict[str, str]]:
    """Check ``proposal`` and the caller's ``choices`` before anything is written: the
    ``prepare`` hooks may refuse a choice or move the effective date later (then the move is
    checked again on that date); ``MoveNeedsConfirmation`` when a warning is left unanswered
    (a required check's warning without its choice, any other without ``confirm``). Returns
    the proposal to save, its warnings and the choices checked."""
    warnings = move_warnings(proposal)
    chosen = check_choices(choices, warnings)
    later: dt.date | None = None
    moved: dict[str, str] = {}  # the choices that moved the date (their resolve records it)
    for registered_check in _CHECKS.values():
        option = chosen.get(registered_check.choice) if registered_check.choice else None
        if option and registered_check.prepare is not None:
            day = registered_check.prepare(
                proposal, option, chosen.get(registered_check.reason, "")
            )
            if day is not None and day > proposal.effective:
                later = max(later or day, day)
                moved[registered_check.choice] = option
    if later is not None:
        proposal = replace(proposal, effective=later)
        warnings = move_warnings(proposal)
        chosen = {**check_choices(choices, warnings), **moved}
    unanswered = [
        w
        for w in warnings
        if (r := _registered_of(w.code)) is not None and r.required and not chosen.get(r.choice)
    ]
    if unanswered:
        raise MoveNeedsConfirmation(
            warnings,
            _("Choose what to do about %(n)d warning(s) before saving: %(options)s")
            % {
                "n": len(unanswered),
                "options": ", ".join(dict.fromkeys(o for w in unanswered for o in w.options)),
            },
        )
    answered = {
        w.code
        for w in warnings
        if (r := _registered_of(w.code)) is not None and r.required and chosen.get(r.choice)
    }
    if not confirm and any(w.code not in answered for w in warnings):
        raise MoveNeedsConfirmation(warnings)
    return proposal, warnings, chosen


def resolve_choices(proposal: MoveProposal, choices: Mapping[str, str], by: Person | None) -> None:
    """Carry out the options chosen, after the move is saved (same transaction)."""
    for registered_check in _CHECKS.values():
        if registered_check.resolve is None or not registered_check.choice:
            continue
        chosen = choices.get(registered_check.choice)
        if not chosen:
            continue
        if registered_check.reason:
            reason = choices.get(registered_check.reason, "")
            registered_check.resolve(proposal, chosen, by, reason=reason)
        else:
            registered_check.resolve(proposal, chosen, by)


# --- the org's own checks: the heads of the units -----------------------------------------


def head_role(unit: Unit) -> str:
    """The role that heads ``unit``: a team's supervisor, any other unit's manager."""
    return Role.SUPERVISOR if unit.kind == UnitKind.TEAM else Role.MANAGER


def _heads_from(unit: Unit, day: dt.date, person: Person) -> list[Membership]:
    """The other head memberships of ``unit`` that cover any day from ``day`` on."""
    return list(
        Membership.objects.filter(unit=unit, role__in=LEADER_ROLES)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .exclude(person=person)
        .select_related("person")
        .order_by("valid_from", "pk")
    )


def _first_gap(heads: list[Membership], start: dt.date) -> tuple[dt.date, dt.date | None] | None:
    """The first run of days from ``start`` that no membership in ``heads`` covers."""
    day = start
    for ms in heads:
        if ms.valid_from > day:
            return day, ms.valid_from - dt.timedelta(days=1)
        if ms.valid_to is None:
            return None
        day = max(day, ms.valid_to + dt.timedelta(days=1))
    return day, None


def _leaves_headship(p: MoveProposal) -> bool:
    was_head = p.current.role in LEADER_ROLES
    return was_head and (p.changes_unit or p.role not in LEADER_ROLES)


def _becomes_head(p: MoveProposal) -> bool:
    return p.role in LEADER_ROLES and (p.changes_unit or p.current.role not in LEADER_ROLES)


def check_heads(p: MoveProposal) -> Iterable[MoveWarning]:
    """A unit left without its head on any day; a unit given two heads."""
    if _leaves_headship(p):
        gap = _first_gap(_heads_from(p.old_unit, p.effective, p.person), p.effective)
        if gap is not None:
            start, end = gap
            values = {
                "unit": p.old_unit.name,
                "name": p.person.name,
                "from": start.isoformat(),
                "to": end.isoformat() if end else "",
            }
            message = (
                _("%(unit)s is left without a head from %(from)s to %(to)s when %(name)s leaves")
                if end
                else _("%(unit)s is left without a head from %(from)s when %(name)s leaves")
            ) % values
            yield MoveWarning(
                "heads.headless",
                message,
                detail={"unit": p.old_unit.code, "from": values["from"], "to": values["to"]},
            )
    if _becomes_head(p):
        others = _heads_from(p.unit, p.effective, p.person)
        if others:
            other = others[0]
            start = max(other.valid_from, p.effective)
            yield MoveWarning(
                "heads.two_heads",
                _("%(unit)s would have two heads from %(day)s: %(other)s and %(name)s")
                % {
                    "unit": p.unit.name,
                    "day": start.isoformat(),
                    "other": other.person.name,
                    "name": p.person.name,
                },
                detail={
                    "unit": p.unit.code,
                    "from": start.isoformat(),
                    "other": other.person.employee_no,
                },
            )


def register_org_checks() -> None:
    register("heads", check_heads)
