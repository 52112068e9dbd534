"""Small builders for tests: a company through the real services."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.test import Client, override_settings
from django.utils import translation

from tiejun.crm.services.deals import DealInput, deal_record
from tiejun.org.models import Person, Role, Unit, UnitKind
from tiejun.org.services import person_create, unit_create

PASSWORD = "tiejun-test-pass"
START = dt.date(2025, 1, 1)


@dataclass
class Org:
    company: Unit
    region: Unit
    branch: Unit
    other_branch: Unit
    team_a: Unit
    team_b: Unit
    team_c: Unit
    reps: dict[str, Person] = field(default_factory=dict)
    supervisor_a: Person | None = None
    manager: Person | None = None
    admin: Person | None = None


def person(
    no: str, unit: Unit, role: str = Role.REP, start: dt.date = START, name: str = ""
) -> Person:
    return person_create(
        employee_no=no,
        name=name or f"员工{no}",
        unit=unit,
        role=role,
        start_date=start,
        email=f"{no.lower()}@example.com",
        password=PASSWORD,
    )


def build_org() -> Org:
    """company HQ > region ZJ > branches HZ (teams HZ1, HZ2) and NB (team NB1); reps R1..R5."""
    company = unit_create(code="HQ", name="铁军科技", kind=UnitKind.COMPANY, parent=None)
    region = unit_create(code="ZJ", name="浙江大区", kind=UnitKind.REGION, parent=company)
    branch = unit_create(code="HZ", name="杭州分公司", kind=UnitKind.BRANCH, parent=region)
    other = unit_create(code="NB", name="宁波分公司", kind=UnitKind.BRANCH, parent=region)
    team_a = unit_create(code="HZ1", name="杭州一组", kind=UnitKind.TEAM, parent=branch)
    team_b = unit_create(code="HZ2", name="杭州二组", kind=UnitKind.TEAM, parent=branch)
    team_c = unit_create(code="NB1", name="宁波一组", kind=UnitKind.TEAM, parent=other)
    org = Org(company, region, branch, other, team_a, team_b, team_c)
    for no, team in [
        ("R1", team_a),
        ("R2", team_a),
        ("R3", team_b),
        ("R4", team_b),
        ("R5", team_c),
    ]:
        org.reps[no] = person(no, team)
    org.supervisor_a = person("S1", team_a, Role.SUPERVISOR)
    org.manager = person("M1", branch, Role.MANAGER)
    org.admin = person("A1", company, Role.ADMIN)
    return org


_deal_counter = iter(range(1, 10**9))


def deal(
    rep: Person,
    amount: str | int,
    won: dt.date,
    customer: str | None = None,
    channel: str = "visit",
    deal_no: str | None = None,
    today: dt.date | None = None,
):
    n = next(_deal_counter)
    item = DealInput(
        deal_no=deal_no or f"D{n:06d}",
        person=rep,
        customer_code=customer or f"C{n:06d}",
        customer_name=f"客户{customer or n}",
        amount=Decimal(str(amount)),
        won_date=won,
        channel=channel,
    )
    return deal_record(item=item, today=today or dt.date(2026, 11, 28))[0]


def client_for(person: Person) -> Client:
    """A test client signed in as ``person``."""
    client = Client()
    client.force_login(person)
    return client


@contextlib.contextmanager
def kept_for_the_module(django_db_blocker: Any) -> Iterator[None]:
    """Rows written inside (a demo company: seconds to build) stay for every test of a module,
    each test in a savepoint of its own (as Django's ``setUpTestData``), and are rolled back
    after the module's last test. Written with the suite's fast hasher and in English, as a
    test's own rows are. Every later test of the module sees them, asked for or not: a test
    that needs an empty database, or a ``transaction=True`` one, belongs in another module."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        translation.override("en"),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
