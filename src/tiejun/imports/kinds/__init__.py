"""The import kinds: their header row and how one row is checked and applied through the services.

A row's text is parsed first (every bad cell reported at once), then handed to the same service
a page or the API would call, so an import obeys exactly the rules they do. Each kind's rows are
read in a module of this package (``cells`` holds what they share); ``KINDS`` lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tiejun.field.services.visits_import import apply_visit_row

from .calendar import apply_calendar, prepare_calendar
from .cells import Cells, Context, Outcome
from .customers import apply_customer
from .deals import apply_deal
from .lab import apply_activity, apply_attendee, apply_event
from .org import apply_move, apply_person, apply_unit, units_order
from .subscriptions import apply_subscription
from .targets import apply_target


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[str, ...]
    apply: Callable[[Cells, Context], Outcome]
    default_column: str
    order: Callable[[list[tuple[int, dict[str, str]]]], list[tuple[int, dict[str, str]]]] | None = (
        None
    )
    aliases: tuple[tuple[str, str], ...] = ()
    # Other spellings of the header's column names (Chinese headers), each to its column.
    headers: tuple[tuple[str, str], ...] = ()
    # Called with every row in the import's transaction before the first row is applied.
    prepare: Callable[[list[tuple[int, dict[str, str]]], Context], None] | None = None

    def header_name(self, name: str) -> str:
        return dict(self.headers).get(name, name)

    def column_for(self, field: str | None) -> str:
        """The column to blame for a service error about ``field``."""
        field = dict(self.aliases).get(field or "", field)
        return field if field in self.columns else self.default_column


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("units", ("code", "name", "kind", "parent_code"), apply_unit, "code", units_order),
        Kind(
            "people",
            ("employee_no", "name", "unit_code", "role", "start_date", "email", "phone"),
            apply_person,
            "employee_no",
        ),
        Kind(
            "moves",
            ("employee_no", "unit_code", "role", "effective_date"),
            apply_move,
            "employee_no",
            aliases=(("effective", "effective_date"),),
        ),
        Kind(
            "targets",
            ("month", "scope", "code", "metric", "value"),
            apply_target,
            "value",
            aliases=(("reason", "value"),),
        ),
        Kind(
            "deals",
            (
                "deal_no",
                "employee_no",
                "customer_code",
                "customer_name",
                "amount",
                "won_date",
                "channel",
            ),
            apply_deal,
            "deal_no",
        ),
        Kind(
            "activities",
            ("activity_id", "employee_no", "customer_code", "model", "date", "hours", "cost"),
            apply_activity,
            "activity_id",
        ),
        Kind(
            "events",
            ("event_id", "model", "unit_code", "date", "title", "hours", "cost"),
            apply_event,
            "event_id",
            aliases=(("unit", "unit_code"),),
        ),
        Kind("attendees", ("event_id", "customer_code"), apply_attendee, "event_id"),
        Kind(
            "visits",
            (
                "visit_id",
                "employee_no",
                "customer_code",
                "checkin_at",
                "lat",
                "lon",
                "outcome",
                "channel",
            ),
            apply_visit_row,
            "visit_id",
            aliases=(("id", "visit_id"),),
        ),
        Kind(
            "subscriptions",
            ("unit_code", "report", "channel", "address"),
            apply_subscription,
            "address",
        ),
        Kind(
            "customers",
            (
                "customer_code",
                "name",
                "industry",
                "address",
                "lat",
                "lon",
                "owner_employee_no",
                "phone",
                "priority",
            ),
            apply_customer,
            "customer_code",
            aliases=(("code", "customer_code"), ("owner", "owner_employee_no")),
        ),
        Kind(
            "calendar",
            ("date", "kind", "name"),
            apply_calendar,
            "date",
            aliases=(("year", "date"), ("name", "name")),
            headers=(("日期", "date"), ("类型", "kind"), ("名称", "name")),
            prepare=prepare_calendar,
        ),
    )
}
