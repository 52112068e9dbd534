"""The crm's import kinds, set-based (the engine's two phases): ``deals`` (won deals, recorded
or corrected) and ``customers`` (details and owner).

Phase one (``check_*``) parses every row, reads what the rows name with one query per table
(``crm.importing``) and reports every bad row, with no write lock; phase two (``write_*``) hands
the plan to the bulk services (``services.deals_bulk``, ``services.customers_bulk``) inside the
engine's one transaction. The rules are the services' own: a manager's file is scoped, and what
lies outside the scope answers as unknown (people, customers) or unusable (deal numbers), as on
the pages.

Phase one reads each row's cells in their canonical form directly (``1234.50``, ``2026-06-03``,
``salon``) and gives any other row to the ``Cells`` parsers, so every spelling they accept and
every message they give stay theirs, while a file of plain cells is read at the speed of a loop.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.errors import TiejunError
from tiejun.imports.cells import MAX_VALUE, Cells, Context, check_name
from tiejun.imports.engine import ImportResult, Kind
from tiejun.imports.readers import Records
from tiejun.imports.registry import register
from tiejun.imports.spellings import CHANNEL_LABELS, CUSTOMERS_HEADERS, DEALS_HEADERS
from tiejun.org.imports import admin_or_manager

from .importing import Staff, cell_rows, plain_date, plain_decimal, rows_in, sight, staff
from .models import Customer, Deal, Priority, SalesChannel
from .services.customers import (
    CODE_FORBIDDEN,
    CODE_MAX,
    RESERVED_CODES,
    code_unusable,
    validate_customer_code,
)
from .services.customers_bulk import (
    CUSTOMER_FIELDS,
    CustomerLine,
    CustomersPlan,
    StoredCustomer,
    customers_import,
)
from .services.deals import deal_number_unusable
from .services.deals_bulk import DealLine, DealsPlan, StoredDeal, deals_import

DEAL_COLUMNS = (
    "deal_no",
    "employee_no",
    "customer_code",
    "customer_name",
    "amount",
    "won_date",
    "channel",
)
CUSTOMER_COLUMNS = (
    "customer_code",
    "name",
    "industry",
    "address",
    "lat",
    "lon",
    "owner_employee_no",
    "phone",
    "priority",
)


Problems = list[tuple[str, str]]  # (column, problem) of one row

_CHANNELS = {str(value): str(value) for value in SalesChannel.values}
_PRIORITIES = frozenset(Priority.values)
_SIX = Decimal("0.000001")


def _report(result: ImportResult, number: int, problems: Problems) -> None:
    for column, problem in problems:
        result.fail(number, column, problem)


def _code(c: Cells, column: str) -> str:
    code = c.text(column, max_length=32)
    if code and not any(col == column for col, _msg in c.errors):
        try:
            validate_customer_code(code, field=column)
        except TiejunError as exc:
            c.fail(column, str(exc))
    return code


def _plain_code(code: str) -> bool:
    """A customer code the ``Cells`` path accepts as it is: printable (so no control
    character), none of the characters a URL bends on, no reserved word; else the rule says."""
    if not 0 < len(code) <= min(32, CODE_MAX):
        return False
    if code.isprintable() and not CODE_FORBIDDEN.search(code):
        return code.lower() not in RESERVED_CODES
    try:
        validate_customer_code(code)
    except TiejunError:
        return False
    return True


def _twice(result: ImportResult, number: int, column: str, key: str, first: int) -> None:
    result.fail(
        number,
        column,
        _("%(key)s is listed twice (first on row %(row)d)") % {"key": key, "row": first},
    )


def _person(
    problems: Problems, column: str, number: str, people: dict[str, Staff], ctx: Context
) -> Staff | None:
    """The person of an employee number the parse found well formed (else None, its problem
    noted already), or None with "unknown employee" noted."""
    if not number or len(number) > 32:
        return None
    found = people.get(number)
    if found is None or not found.in_scope(ctx.scope):
        problems.append((column, _("unknown employee %(no)s") % {"no": number}))
        return None
    return found


# --- deals -------------------------------------------------------------------------------------

# deal_no, employee_no, customer_code, customer_name, amount, won_date, channel
DealRow = tuple[str, str, str, str, Any, Any, str]


def _plain_deal(cells: tuple[str, ...], today: dt.date) -> DealRow | None:
    """The row when every cell is in its canonical form and good; else None."""
    deal_no, employee_no, code, name, amount_text, won_text, channel = cells
    if not (0 < len(deal_no) <= 40 and 0 < len(employee_no) <= 32 and len(name) <= 200):
        return None
    if (name and not name.isprintable()) or not _plain_code(code):
        return None
    amount = plain_decimal(amount_text)
    point = amount_text.find(".")
    if (
        amount is None
        or not 0 < amount < MAX_VALUE
        or (point >= 0 and len(amount_text) > point + 3)
    ):
        return None
    won = plain_date(won_text)
    if won is None or won > today:
        return None
    value = _CHANNELS.get(channel) if channel else str(SalesChannel.VISIT)
    if value is None:
        return None
    return deal_no, employee_no, code, name, amount, won, value


def _parse_deal(record: dict[str, str], ctx: Context, today: dt.date) -> tuple[Problems, DealRow]:
    """Every cell through the ``Cells`` parsers: each problem noted."""
    c = Cells(record, ctx.scope)
    deal_no = c.text("deal_no", max_length=40)
    employee_no = c.text("employee_no", max_length=32)
    code = _code(c, "customer_code")
    name = c.text("customer_name", required=False, max_length=200)
    amount = c.amount("amount", allow_negative=True)
    won = c.date("won_date")
    check_name(c, "customer_name", name)
    if amount is not None:
        if amount <= 0:
            c.fail("amount", _("the amount must be greater than zero"))
        elif amount.as_tuple().exponent < -2:  # type: ignore[operator]
            c.fail("amount", _("the amount has more than two decimals"))
    if won is not None and won > today:
        c.fail("won_date", _("a deal cannot be won in the future"))
    # As the deal service: the channel is looked at once the cells themselves are good.
    channel = ""
    if not c.errors:
        choices = dict(SalesChannel.choices)
        channel = c.choice("channel", choices, required=False, labels=CHANNEL_LABELS)
        channel = channel or str(SalesChannel.VISIT)
    return c.errors, (deal_no, employee_no, code, name, amount, won, channel)


def _parse_deals(
    records: Records, ctx: Context, today: dt.date
) -> list[tuple[int, DealRow, Problems]]:
    parsed: list[tuple[int, DealRow, Problems]] = []
    for number, cells in cell_rows(records, DEAL_COLUMNS):
        row = _plain_deal(cells, today)
        if row is not None:
            parsed.append((number, row, []))
            continue
        problems, row = _parse_deal(dict(zip(DEAL_COLUMNS, cells, strict=True)), ctx, today)
        parsed.append((number, row, problems))
    return parsed


def _stored_deals(numbers: set[str]) -> dict[str, tuple[StoredDeal, int]]:
    """The stored deals of these numbers, each with its team."""
    columns = (
        "deal_no",
        "id",
        "person_id",
        "person__employee_no",
        "customer_id",
        "customer__code",
        "customer__name",
        "amount",
        "won_date",
        "channel",
        "unit_id",
    )
    out = {}
    for deal_no, *fields, unit_id in rows_in(Deal.objects.all(), "deal_no", numbers, *columns):
        out[deal_no] = (StoredDeal(*fields), unit_id)
    return out


class _DealReads:
    """What a deals file names, read once: people, stored deals, customers, who sees whom."""

    def __init__(self, parsed: list[tuple[int, DealRow, Problems]], ctx: Context, today: dt.date):
        self.numbers = {row[0] for _n, row, _p in parsed if row[0]}
        self.people, by_id = staff(
            employee_nos={row[1] for _n, row, _p in parsed if row[1]},
            ids=[ctx.by.pk] if ctx.by is not None else [],
        )
        self.stored = _stored_deals(self.numbers)
        self.customers: dict[str, tuple[int, str, int | None]] = {
            code: (pk, name, owner)
            for code, pk, name, owner in rows_in(
                Customer.objects.all(),
                "code",
                {row[2] for _n, row, _p in parsed if row[2]},
                "code",
                "id",
                "name",
                "owner_id",
            )
        }
        self.by = by_id.get(ctx.by.pk) if ctx.by is not None else None
        owners = {owner for _pk, _name, owner in self.customers.values() if owner is not None}
        self.seen = sight(self.people.values(), owners, today)


def check_deals(records: Records, ctx: Context, result: ImportResult) -> DealsPlan:
    today = ctx.today or timezone.localdate()
    parsed = _parse_deals(records, ctx, today)
    reads = _DealReads(parsed, ctx, today)
    plan = DealsPlan(numbers=reads.numbers, stored_numbers=set(reads.stored))
    first_row: dict[str, int] = {}
    for number, row, problems in parsed:
        person = _person(problems, "employee_no", row[1], reads.people, ctx)
        deal_no = row[0]
        if deal_no in first_row:
            _twice(result, number, "deal_no", deal_no, first_row[deal_no])
        elif deal_no:
            first_row[deal_no] = number
        found = reads.stored.get(deal_no)
        if found is not None and ctx.scope is not None and found[1] not in ctx.scope:
            # Another branch's deal: the answer of a foreign id, nothing about the deal.
            problems.append(("deal_no", str(deal_number_unusable(deal_no))))
        if problems or person is None:
            _report(result, number, problems)
            continue
        line = _deal_line(problems, number, row, person, found, reads)
        if line is None:
            _report(result, number, problems)
            continue
        _plan_deal(plan, line, found, reads.customers)
    # What a dry run answers (the write counts again).
    result.created, result.updated, result.unchanged = (
        len(plan.new),
        len(plan.changed),
        plan.unchanged,
    )
    return plan


def _deal_line(
    problems: Problems,
    number: int,
    row: DealRow,
    person: Staff,
    found: tuple[StoredDeal, int] | None,
    reads: _DealReads,
) -> DealLine | None:
    deal_no, _employee_no, code, name, amount, won, channel = row
    unit_id = person.unit_or_problem(won, "won_date", problems)
    if unit_id is None:
        return None
    customer = reads.customers.get(code)
    keeps = found is not None and found[0].customer_code == code and found[0].person_id == person.id
    if customer is not None and not keeps:
        # The recorder and the credited rep must both see an existing customer.
        owner, seen, by = customer[2], reads.seen, reads.by
        if not seen.visible(person.id, owner) or (
            by is not None and not seen.visible(by.id, owner)
        ):
            problems.append(("customer_code", _("unknown customer %(code)s") % {"code": code}))
            return None
    return DealLine(
        number, deal_no, person.id, person.employee_no, unit_id, code, name, amount, won, channel
    )


def _plan_deal(
    plan: DealsPlan,
    line: DealLine,
    found: tuple[StoredDeal, int] | None,
    customers: dict[str, tuple[int, str, int | None]],
) -> None:
    customer = customers.get(line.customer_code)
    if customer is not None:
        plan.customers[line.customer_code] = (customer[0], customer[1])
    elif line.customer_code not in plan.new_customers:
        name = line.customer_name or line.customer_code
        plan.new_customers[line.customer_code] = (name, line.unit_id)
    if found is None:
        plan.new.append(line)
        return
    stored = found[0]
    same = (
        stored.person_id,
        stored.customer_code,
        f"{stored.amount:.2f}",
        stored.won_date,
        stored.channel,
    ) == (line.person_id, line.customer_code, f"{line.amount:.2f}", line.won_date, line.channel)
    if same:
        plan.unchanged += 1
    else:
        plan.changed.append((line, stored))


def write_deals(plan: DealsPlan, ctx: Context, result: ImportResult) -> None:
    done = deals_import(
        plan=plan, by=ctx.by, reason=ctx.reason, today=ctx.today or timezone.localdate()
    )
    result.created, result.updated, result.unchanged = done.created, done.updated, done.unchanged


# --- customers ---------------------------------------------------------------------------------

# code, name, industry, address, lat, lon, owner employee number, phone, priority
CustomerRow = tuple[str, str, str, str, Any, Any, str, str, str]


def _plain_coordinate(text: str, limit: int) -> Decimal | None:
    value = plain_decimal(text, signed=True)
    if value is None or not -limit <= value <= limit:
        return None
    return value.quantize(_SIX)


def _plain_customer(cells: tuple[str, ...]) -> CustomerRow | None:
    """The row when every cell is in its canonical form and good; else None."""
    code, name, industry, address, lat_text, lon_text, owner, phone, priority = cells
    if not (0 < len(name) <= 200 and len(industry) <= 100 and len(address) <= 300):
        return None
    if len(owner) > 32 or len(phone) > 32 or not name.isprintable() or not _plain_code(code):
        return None
    if priority and priority not in _PRIORITIES:
        return None
    if lat_text or lon_text:
        lat, lon = _plain_coordinate(lat_text, 90), _plain_coordinate(lon_text, 180)
        if lat is None or lon is None:
            return None
    else:
        lat = lon = None
    return code, name, industry, address, lat, lon, owner, phone, priority


def _coordinate(c: Cells, column: str, limit: int) -> Decimal | None:
    if not c.record.get(column, "").strip():
        return None
    value = c.decimal(column)
    if value is not None and not -limit <= value <= limit:
        c.fail(column, _("must lie between -%(limit)d and %(limit)d") % {"limit": limit})
        return None
    return value.quantize(_SIX) if value is not None else None


def _parse_customer(record: dict[str, str], ctx: Context) -> tuple[Problems, CustomerRow]:
    """Every cell through the ``Cells`` parsers: each problem noted."""
    c = Cells(record, ctx.scope)
    code = _code(c, "customer_code")
    name = c.text("name", max_length=200)
    check_name(c, "name", name)
    industry = c.text("industry", required=False, max_length=100)
    address = c.text("address", required=False, max_length=300)
    lat, lon = _coordinate(c, "lat", 90), _coordinate(c, "lon", 180)
    if (lat is None) != (lon is None) and not c.errors:
        c.fail("lon" if lon is None else "lat", _("give both lat and lon, or neither"))
    owner = c.text("owner_employee_no", required=False, max_length=32)
    phone = c.text("phone", required=False, max_length=32)
    priority = c.text("priority", required=False).upper()
    if priority and priority not in Priority.values:
        c.fail(
            "priority",
            _("unknown priority %(value)s; use one of %(choices)s")
            % {"value": priority, "choices": ", ".join(Priority.values)},
        )
    return c.errors, (code, name, industry, address, lat, lon, owner, phone, priority)


def _parse_customers(records: Records, ctx: Context) -> list[tuple[int, CustomerRow, Problems]]:
    parsed: list[tuple[int, CustomerRow, Problems]] = []
    for number, cells in cell_rows(records, CUSTOMER_COLUMNS):
        row = _plain_customer(cells)
        if row is not None:
            parsed.append((number, row, []))
        else:
            record = dict(zip(CUSTOMER_COLUMNS, cells, strict=True))
            problems, row = _parse_customer(record, ctx)
            parsed.append((number, row, problems))
    return parsed


def _stored_customers(codes: set[str]) -> dict[str, StoredCustomer]:
    columns = ("code", "id", *CUSTOMER_FIELDS, "owner_id", "unit_id")
    return {
        code: StoredCustomer(pk, code, *rest)
        for code, pk, *rest in rows_in(Customer.objects.all(), "code", codes, *columns)
    }


def check_customers(records: Records, ctx: Context, result: ImportResult) -> CustomersPlan:
    today = ctx.today or timezone.localdate()
    parsed = _parse_customers(records, ctx)
    stored = _stored_customers({row[0] for _n, row, _p in parsed if row[0]})
    people, by_id = staff(
        employee_nos={row[6] for _n, row, _p in parsed if row[6]},
        ids={s.owner_id for s in stored.values() if s.owner_id is not None}
        | ({ctx.by.pk} if ctx.by is not None else set()),
    )
    plan = CustomersPlan(codes={row[0] for _n, row, _p in parsed}, stored=set(stored))
    first_row: dict[str, int] = {}
    for number, row, problems in parsed:
        code, name, industry, address, lat, lon, owner_no, phone, priority = row
        owner = _person(problems, "owner_employee_no", owner_no, people, ctx)
        if code in first_row:
            _twice(result, number, "customer_code", code, first_row[code])
        elif code:
            first_row[code] = number
        if not problems:
            _customer_in_scope(problems, stored.get(code), by_id, ctx)
        if problems:
            _report(result, number, problems)
            continue
        fields = {"name": name, "industry": industry, "address": address, "lat": lat, "lon": lon}
        fields["phone"] = phone
        if priority:
            fields["priority"] = priority
        plan.add(
            CustomerLine(
                row=number,
                code=code,
                fields=fields,
                owner_id=owner.id if owner is not None else None,
                owner_unit=owner.unit_on(today) if owner is not None else None,
            ),
            stored.get(code),
        )
    by = by_id.get(ctx.by.pk) if ctx.by is not None else None
    plan.creator_unit = by.unit_on(today) if by is not None else None
    result.created, result.updated, result.unchanged = (
        len(plan.new),
        len(plan.changed),
        plan.unchanged,
    )
    return plan


def _customer_in_scope(
    problems: Problems, existing: StoredCustomer | None, people: dict[int, Staff], ctx: Context
) -> None:
    if existing is None or ctx.scope is None:
        return
    code = existing.code
    if existing.owner_id is not None and not people[existing.owner_id].in_scope(ctx.scope):
        # Another branch's customer: a manager's file may not rewrite or take it, and is told
        # nothing about it (the answer of a foreign id).
        problems.append(("customer_code", str(code_unusable(code, field="customer_code"))))
    elif existing.owner_id is None and existing.unit_id not in ctx.scope:
        # Another team's open pool: the file sees the customer but does not look after it.
        problems.append(
            (
                "customer_code",
                _(
                    "customer %(code)s is in the open pool of a team outside yours; this file "
                    "may not change it"
                )
                % {"code": code},
            )
        )


def write_customers(plan: CustomersPlan, ctx: Context, result: ImportResult) -> None:
    done = customers_import(
        plan=plan,
        by=ctx.by,
        note=ctx.reason or _("import"),
        today=ctx.today or timezone.localdate(),
    )
    result.created, result.updated, result.unchanged = done


def register_kinds() -> None:
    register(
        Kind(
            "deals",
            DEAL_COLUMNS,
            "deal_no",
            label=gettext_lazy("Deals"),
            position=50,
            headers=DEALS_HEADERS,
            may_import=admin_or_manager,
            check=check_deals,
            write=write_deals,
        ),
        Kind(
            "customers",
            CUSTOMER_COLUMNS,
            "customer_code",
            label=gettext_lazy("Customers"),
            position=52,
            headers=CUSTOMERS_HEADERS,
            aliases={"code": "customer_code", "owner": "owner_employee_no"},
            may_import=admin_or_manager,
            check=check_customers,
            write=write_customers,
        ),
    )
