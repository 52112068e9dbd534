"""No one gives themself or anyone else more power than their own: moves and roles."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import client_for
from tiejun.org.models import Role
from tiejun.org.selectors import is_admin, membership_on

TODAY = timezone.localdate()


def move(client, **body):
    body.setdefault("effective_date", TODAY.isoformat())
    return client.post("/api/v1/moves", body, content_type="application/json")


@pytest.mark.parametrize(
    ("who", "employee_no", "unit_code", "role"),
    [
        ("S1", "S1", "HZ1", "admin"),  # a supervisor makes themself admin
        ("S1", "R1", "HZ1", "admin"),  # ... or a rep of the team
        ("S1", "R1", "HZ1", "supervisor"),  # promotions are the manager's
        ("M1", "R1", "HZ1", "admin"),  # a manager may not grant admin
        ("M1", "M1", "HZ", "admin"),  # ... nor to themself
        ("M1", "M1", "ZJ", "manager"),  # a manager may not move themself up the tree
    ],
)
def test_a_move_cannot_escalate(org, who, employee_no, unit_code, role):
    actor = org.supervisor_a if who == "S1" else org.manager
    response = move(client_for(actor), employee_no=employee_no, unit_code=unit_code, role=role)
    assert response.status_code in (403, 404), response.content
    target = org.reps.get(employee_no) or actor
    assert target.memberships.count() == 1
    assert not is_admin(target)


def test_the_person_page_refuses_the_admin_role_to_a_manager(org):
    client = client_for(org.manager)
    response = client.post(
        "/people/R1/",
        {"effective_date": TODAY.isoformat(), "unit": org.team_a.pk, "role": Role.ADMIN},
    )
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert not is_admin(org.reps["R1"])


def test_a_manager_may_not_move_themself_on_the_page(org):
    response = client_for(org.manager).post(
        "/people/M1/",
        {"effective_date": TODAY.isoformat(), "unit": org.team_a.pk, "role": Role.SUPERVISOR},
    )
    assert response.status_code == 403


def test_admin_may_grant_admin(org):
    # (the branch is left without its manager: a move with a warning, confirmed)
    response = move(
        client_for(org.admin), employee_no="M1", unit_code="HQ", role="admin", confirm=True
    )
    assert response.status_code == 201
    assert membership_on(org.manager, TODAY).role == Role.ADMIN


def test_a_manager_promotes_within_the_subtree(org):
    response = move(client_for(org.manager), employee_no="R3", unit_code="HZ2", role="supervisor")
    assert response.status_code == 201


# --- a manager's import file is held to the manager's subtree -------------------------------


def run(by, kind: str, text: str):
    from tiejun.imports.services import run_import

    return run_import(kind, text.encode(), "data.csv", by=by)


def test_a_managers_moves_file_cannot_make_an_admin(org):
    day = TODAY.isoformat()
    result = run(
        org.manager, "moves", f"employee_no,unit_code,role,effective_date\nR1,HZ1,admin,{day}\n"
    )
    assert not result.ok
    result = run(
        org.manager, "moves", f"employee_no,unit_code,role,effective_date\nM1,HZ,admin,{day}\n"
    )
    assert not result.ok
    assert not is_admin(org.reps["R1"]) and not is_admin(org.manager)


def test_a_managers_file_cannot_reach_another_branch(org):
    day = TODAY.isoformat()
    assert not run(
        org.manager, "moves", f"employee_no,unit_code,role,effective_date\nR5,HZ1,,{day}\n"
    ).ok
    assert not run(
        org.manager, "moves", f"employee_no,unit_code,role,effective_date\nR1,NB1,,{day}\n"
    ).ok
    assert not run(org.manager, "units", "code,name,kind,parent_code\nNB2,宁波二组,team,NB\n").ok
    assert not run(org.manager, "units", "code,name,kind,parent_code\nNB1,改名,team,NB\n").ok
    header = "employee_no,name,unit_code,role,start_date,email,phone\n"
    assert not run(org.manager, "people", header + "X9,新人,HZ1,admin,2026-01-01,,\n").ok
    assert not run(org.manager, "people", header + "R5,改名,NB1,rep,2025-01-01,,\n").ok
    assert membership_on(org.reps["R5"], TODAY).unit == org.team_c


def test_a_managers_file_works_inside_the_subtree_and_admins_anywhere(org):
    day = TODAY.isoformat()
    moves = "employee_no,unit_code,role,effective_date\n"
    assert run(org.manager, "moves", moves + f"R1,HZ2,,{day}\n").ok
    assert run(org.admin, "moves", moves + f"R5,HZ1,,{day}\n").ok
    assert run(org.manager, "units", "code,name,kind,parent_code\nHZ3,杭州三组,team,HZ\n").ok
