import datetime as dt

import pytest
from django.contrib.auth import authenticate

from tests.factories import PASSWORD, START, person
from tiejun.errors import TiejunError
from tiejun.org.models import ApiToken, Membership, Person, Role, UnitClosure, UnitKind
from tiejun.org.selectors import membership_on, person_history
from tiejun.org.services import (
    membership_move,
    person_create,
    token_authenticate,
    token_create,
    token_revoke_all,
    unit_create,
)


def closure(unit):
    return dict(UnitClosure.objects.filter(descendant=unit).values_list("ancestor__code", "depth"))


def test_unit_create_writes_closure_rows(org):
    # when
    team = unit_create(code="NB2", name="宁波二组", kind=UnitKind.TEAM, parent=org.other_branch)
    # then
    assert closure(team) == {"NB2": 0, "NB": 1, "ZJ": 2, "HQ": 3}
    assert closure(org.company) == {"HQ": 0}
    assert UnitClosure.objects.filter(ancestor=org.company).count() == 8


@pytest.mark.parametrize(
    ("kind", "parent", "field"),
    [
        (UnitKind.TEAM, "region", "parent_code"),  # a team sits under a branch
        (UnitKind.BRANCH, "company", "parent_code"),  # a branch sits under a region
        (UnitKind.REGION, None, "parent_code"),  # needs a parent
        (UnitKind.COMPANY, None, "parent_code"),  # there is already a company
        (UnitKind.COMPANY, "company", "parent_code"),
        ("squad", "branch", "kind"),
    ],
)
def test_unit_create_kind_and_parent_rules(org, kind, parent, field):
    parent_unit = getattr(org, parent) if parent else None
    with pytest.raises(TiejunError) as error:
        unit_create(code="X1", name="X", kind=kind, parent=parent_unit)
    assert error.value.field == field
    assert not UnitClosure.objects.filter(descendant__code="X1").exists()


def test_unit_code_is_unique(org):
    with pytest.raises(TiejunError) as error:
        unit_create(code="HZ1", name="again", kind=UnitKind.TEAM, parent=org.branch)
    assert error.value.field == "code"


def test_person_create_opens_a_membership(org):
    # when
    p = person_create(
        employee_no="R9",
        name="新人",
        unit=org.team_b,
        role=Role.REP,
        start_date=dt.date(2026, 3, 2),
        email="r9@example.com",
    )
    # then
    (membership,) = person_history(p)
    assert (membership.unit, membership.role) == (org.team_b, Role.REP)
    assert (membership.valid_from, membership.valid_to) == (dt.date(2026, 3, 2), None)
    assert not p.has_usable_password()


@pytest.mark.parametrize(
    ("no", "unit", "role", "field"),
    [
        ("R1", "team_a", Role.REP, "employee_no"),  # taken
        ("R9", "branch", Role.REP, "unit_code"),  # a rep belongs to a team
        ("R9", "branch", Role.SUPERVISOR, "unit_code"),  # a supervisor leads a team
        ("R9", "team_a", "boss", "role"),
    ],
)
def test_person_create_refuses_bad_input(org, no, unit, role, field):
    with pytest.raises(TiejunError) as error:
        person_create(
            employee_no=no, name="x", unit=getattr(org, unit), role=role, start_date=START
        )
    assert error.value.field == field


def test_transfer_closes_the_old_membership_the_day_before(org):
    rep = org.reps["R1"]
    # when
    membership_move(person=rep, effective=dt.date(2026, 6, 8), unit=org.team_b, by=org.manager)
    # then
    new, old = person_history(rep)
    assert (old.unit, old.valid_from, old.valid_to) == (org.team_a, START, dt.date(2026, 6, 7))
    assert (new.unit, new.role, new.valid_from, new.valid_to) == (
        org.team_b,
        Role.REP,
        dt.date(2026, 6, 8),
        None,
    )
    assert new.created_by == org.manager
    assert membership_on(rep, dt.date(2026, 6, 7)).unit == org.team_a
    assert membership_on(rep, dt.date(2026, 6, 8)).unit == org.team_b


def test_promotion_keeps_the_unit(org):
    membership_move(person=org.reps["R2"], effective=dt.date(2026, 7, 1), role=Role.SUPERVISOR)
    current = membership_on(org.reps["R2"], dt.date(2026, 7, 1))
    assert (current.unit, current.role) == (org.team_a, Role.SUPERVISOR)


def test_transfer_and_promotion_at_once(org):
    membership_move(
        person=org.reps["R3"], effective=dt.date(2026, 7, 1), unit=org.branch, role=Role.MANAGER
    )
    current = membership_on(org.reps["R3"], dt.date(2026, 7, 1))
    assert (current.unit, current.role) == (org.branch, Role.MANAGER)


def test_a_move_cannot_rewrite_history(org):
    rep = org.reps["R1"]
    membership_move(person=rep, effective=dt.date(2026, 6, 8), unit=org.team_b)
    before = list(Membership.objects.filter(person=rep).values())
    for day in (dt.date(2026, 6, 8), dt.date(2026, 5, 1)):
        with pytest.raises(TiejunError) as error:
            membership_move(person=rep, effective=day, unit=org.team_a)
        assert error.value.field == "effective_date"
    assert list(Membership.objects.filter(person=rep).values()) == before


def test_a_move_must_change_something_allowed(org):
    with pytest.raises(TiejunError):
        membership_move(person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.team_a)
    with pytest.raises(TiejunError) as error:
        membership_move(person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.branch)
    assert error.value.field == "unit_code"  # a rep belongs to a team
    assert Membership.objects.filter(person=org.reps["R1"]).count() == 1


def test_token_create_authenticate_and_revoke(org):
    rep = org.reps["R1"]
    # when
    key = token_create(person=rep)
    # then: only the hash is stored, the key authenticates and is stamped when used
    token = ApiToken.objects.get(person=rep)
    assert key.startswith("tj_") and token.prefix == key[:8]
    assert key not in token.key_hash
    assert token_authenticate(key) == rep
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token_authenticate(key + "x") is None
    # revoked
    token_create(person=rep)
    assert token_revoke_all(person=rep) == 2
    assert token_authenticate(key) is None
    assert token_revoke_all(person=rep) == 0


def test_token_of_an_inactive_person_does_not_authenticate(org):
    rep = org.reps["R2"]
    key = token_create(person=rep)
    rep.is_active = False
    rep.save()
    assert token_authenticate(key) is None


def test_login_by_employee_number_or_email(org):
    rep = org.reps["R1"]
    assert authenticate(username="R1", password=PASSWORD) == rep
    assert authenticate(username="r1@example.com", password=PASSWORD) == rep
    assert authenticate(username="R1@EXAMPLE.COM", password=PASSWORD) == rep
    assert authenticate(username="R1", password="wrong") is None
    assert authenticate(username="nobody", password=PASSWORD) is None


def test_a_shared_email_identifies_no_one(org):
    person("X1", org.team_a)
    Person.objects.filter(employee_no="X1").update(email="r1@example.com")
    assert authenticate(username="r1@example.com", password=PASSWORD) is None
    assert authenticate(username="X1", password=PASSWORD) is not None
