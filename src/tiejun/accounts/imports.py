"""What the accounts app adds to the org's ``people`` import (issue 13), through the import
registry's extensions — the org app never imports this one:

- optional columns ``wecom_userid``, ``dingtalk_userid``, ``feishu_user_id`` (and their Chinese
  spellings): each non-empty cell links the row's person to that platform user id (an empty cell
  leaves the link as it is). An id already linked to someone else, or given to two people of the
  file, is a row error. Checked with a query per platform and written in bulk, in the import's
  transaction.
- the run option ``invite`` (``tiejun import people FILE --invite [--channel email|sms]``, the
  page's "invite everyone created"): once the import has committed, everyone it created gets an
  activation link through the outbox. A new person without the address is a row error up front.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.errors import TiejunError
from tiejun.imports.cells import CREATED, Context
from tiejun.imports.engine import Extension, ImportResult, Option, Record
from tiejun.imports.readers import RowError
from tiejun.imports.registry import extend
from tiejun.imports.spellings import PLATFORM_ID_HEADERS
from tiejun.notify.channels import validate_address
from tiejun.notify.models import DeliveryChannel
from tiejun.org.models import Membership, Person

from .models import ExternalIdentity, Platform
from .services import CHUNK, external_ids_link, invite_people

KIND = "people"
ID_COLUMNS = {
    "wecom_userid": Platform.WECOM.value,
    "dingtalk_userid": Platform.DINGTALK.value,
    "feishu_user_id": Platform.FEISHU.value,
}
MAX_USER_ID = 128  # ExternalIdentity.external_id
INVITE = "invite"
ADDRESS_COLUMN = {DeliveryChannel.EMAIL.value: "email", DeliveryChannel.SMS.value: "phone"}


@dataclass
class Plan:
    # (employee number, platform) → the user id the file gives
    links: dict[tuple[str, str], str] = field(default_factory=dict)
    # Rows naming someone not in Tiejun yet → their employee number (whom an invite may reach)
    new_rows: dict[int, str] = field(default_factory=dict)
    channel: str = ""


def _user_id_problem(value: str) -> str:
    if len(value) > MAX_USER_ID:
        return _("longer than %(n)d characters") % {"n": MAX_USER_ID}
    if not value.isprintable():
        return _(
            "an id may hold printable characters only, not line breaks, tabs or other "
            "control characters"
        )
    return ""


def _existing(numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        found.update(
            Person.objects.filter(employee_no__in=chunk).values_list("employee_no", flat=True)
        )
    return found


def check(records: Sequence[Record], ctx: Context, result: ImportResult) -> Plan:
    """Phase one: the id cells (and who already holds each id), and the addresses of the new
    people an invitation must reach."""
    present = [column for column in ID_COLUMNS if column in result.header]
    plan = Plan(channel=ctx.options.get(INVITE, ""))
    if plan.channel:
        result.notes["invited"] = 0
    if not present and not plan.channel:
        return plan
    holders: dict[tuple[str, str], tuple[int, str, str]] = {}  # → row, column, employee no
    addresses: dict[int, str] = {}
    address_column = ADDRESS_COLUMN.get(plan.channel, "")
    for number, record in records:
        employee_no = record.get("employee_no", "").strip()
        if address_column:
            addresses[number] = record.get(address_column, "").strip()
        for column in present:
            value = record.get(column, "").strip()
            if not value:
                continue
            problem = _user_id_problem(value)
            if problem:
                result.fail(number, column, problem)
                continue
            if not employee_no:
                continue  # the kind says the employee number is missing
            platform = ID_COLUMNS[column]
            holder = holders.setdefault((platform, value), (number, column, employee_no))
            if holder[2] != employee_no:
                result.fail(
                    number,
                    column,
                    _("%(platform)s user %(id)s is given to row %(row)d too")
                    % {"platform": Platform(platform).label, "id": value, "row": holder[0]},
                )
                continue
            plan.links[(employee_no, platform)] = value
    _check_taken(holders, plan, result)
    if plan.channel:
        _check_invitable(records, addresses, plan, result)
    return plan


def _check_taken(
    holders: dict[tuple[str, str], tuple[int, str, str]], plan: Plan, result: ImportResult
) -> None:
    """Ids the file gives that are linked to someone else already (a query per 500 ids)."""
    wanted = [key for key in holders if plan.links.get((holders[key][2], key[0])) == key[1]]
    for start in range(0, len(wanted), CHUNK):
        condition = Q()
        by_platform: dict[str, list[str]] = defaultdict(list)
        for platform, user_id in wanted[start : start + CHUNK]:
            by_platform[platform].append(user_id)
        for platform, ids in by_platform.items():
            condition |= Q(platform=platform, external_id__in=ids)
        taken = ExternalIdentity.objects.filter(condition).values_list(
            "platform", "external_id", "person__employee_no"
        )
        for platform, user_id, linked_no in taken:
            number, column, employee_no = holders[(platform, user_id)]
            if linked_no != employee_no:
                result.fail(
                    number,
                    column,
                    _("%(platform)s user %(id)s is already linked to another person")
                    % {"platform": Platform(platform).label, "id": user_id},
                )


def _check_invitable(
    records: Sequence[Record], addresses: dict[int, str], plan: Plan, result: ImportResult
) -> None:
    """Everyone the file creates needs the address the invitation goes to."""
    numbers = {n: r.get("employee_no", "").strip() for n, r in records}
    existing = _existing(list(dict.fromkeys(no for no in numbers.values() if no)))
    column = ADDRESS_COLUMN[plan.channel]
    for number, employee_no in numbers.items():
        if not employee_no or employee_no in existing:
            continue
        plan.new_rows[number] = employee_no
        address = addresses.get(number, "")
        if not address:
            if plan.channel == DeliveryChannel.EMAIL:
                problem = _("an e-mail address is needed to send the invitation")
            else:
                problem = _("a mobile number is needed to send the invitation")
            result.fail(number, column, problem)
        elif plan.channel == DeliveryChannel.SMS:
            try:
                validate_address(plan.channel, address)
            except TiejunError as error:
                result.fail(number, column, str(error))


def _check_scope(numbers: list[str], ctx: Context, result: ImportResult) -> bool:
    """Every person whose id is linked is one the file's author may import (a query per 500)."""
    if ctx.scope is None:
        return True
    outside: list[str] = []
    for start in range(0, len(numbers), CHUNK):
        rows = Membership.objects.filter(
            person__employee_no__in=numbers[start : start + CHUNK], valid_to__isnull=True
        ).values_list("person__employee_no", "unit_id")
        outside += [no for no, unit_id in rows if unit_id not in ctx.scope]
    for no in outside:
        result.errors.append(RowError(0, "employee_no", _("unknown employee %(no)s") % {"no": no}))
    return not outside


def write(plan: Plan, ctx: Context, result: ImportResult) -> None:
    """In the import's transaction, after its rows: the links, in bulk."""
    if not plan.links:
        return
    numbers = list(dict.fromkeys(no for no, _platform in plan.links))
    if not _check_scope(numbers, ctx, result):
        return
    external_ids_link(
        links=[(no, platform, user_id) for (no, platform), user_id in plan.links.items()],
        by=ctx.by,
    )


def after_commit(plan: Plan, ctx: Context, result: ImportResult) -> None:
    """Once the import has committed: invite everyone it created (not the people it updated)."""
    if not plan.channel:
        return
    created = [no for row, no in plan.new_rows.items() if result.outcomes.get(row) == CREATED]
    created = list(dict.fromkeys(created))
    people: list[Person] = []
    for start in range(0, len(created), CHUNK):
        people += Person.objects.filter(employee_no__in=created[start : start + CHUNK])
    people.sort(key=lambda p: p.employee_no)
    try:
        invited = invite_people(people, channel=plan.channel, by=ctx.by, today=ctx.today)
    except TiejunError as error:
        result.notes.setdefault("warnings", []).append(
            _(
                "The people are imported, but no invitation was sent: %(why)s. Invite them "
                "from their pages or with tiejun invite --new."
            )
            % {"why": error}
        )
        return
    result.notes["invited"] = len(invited)


PEOPLE_EXTENSION = Extension(
    name="accounts",
    columns=tuple(ID_COLUMNS),
    headers=PLATFORM_ID_HEADERS,
    options={
        INVITE: Option(
            label=gettext_lazy("Invite everyone this file creates"),
            choices={
                DeliveryChannel.EMAIL.value: gettext_lazy("by e-mail"),
                DeliveryChannel.SMS.value: gettext_lazy("by SMS"),
            },
            choice_label=gettext_lazy("Send the links"),
        )
    },
    check=check,
    write=write,
    after_commit=after_commit,
)


def register_extensions() -> None:
    extend(KIND, PEOPLE_EXTENSION)
