"""Wall screens saved in the app (issue 14, point 8): an admin or a leader saves a named screen over
the units they may see, and the TV opens it by a short code."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.factories import client_for
from tiejun.audit.models import AuditEntry
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.scoreboard.models import SavedScreen
from tiejun.scoreboard.screens import CODE_ALPHABET, screen_create, screen_update

FORM = {"name": "杭州大厅", "metric": "revenue", "seconds": "20", "panels": ["board", "kickoff"]}


@pytest.fixture(autouse=True)
def noon(time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, tzinfo=ZoneInfo("Asia/Shanghai")))


def test_a_manager_saves_a_screen_with_a_short_code(org):
    client = client_for(org.manager)
    response = client.post("/tv/screens/new/", {**FORM, "units": ["HZ2", "HZ"], "sound": "on"})
    assert response.status_code == 302 and response["Location"] == "/tv/screens/"
    screen = SavedScreen.objects.get()
    assert screen.sound
    assert len(screen.code) == 4 and set(screen.code) <= set(CODE_ALPHABET)
    assert (screen.name, screen.metric, screen.seconds) == ("杭州大厅", "revenue", 20)
    assert screen.panels == ["board", "kickoff"]
    assert [s.unit.code for s in screen.slots.all()] == ["HZ", "HZ2"]  # the tree's order
    assert screen.created_by == org.manager
    entry = AuditEntry.objects.get(object_type="screen")
    assert (entry.action, entry.object_id, entry.actor_id) == (
        "create",
        screen.code,
        org.manager.pk,
    )
    assert entry.after["units"] == ["HZ", "HZ2"]
    # the list shows it with the address the TV opens
    page = client.get("/tv/screens/").content.decode()
    assert f"http://testserver/tv/s/{screen.code}/" in page and "杭州大厅" in page
    # and the TV chimes when a deal lands
    assert 'data-sound="1"' in client.get(f"/tv/s/{screen.code}/").content.decode()


def test_a_manager_cannot_put_a_unit_they_cannot_see_on_a_screen(org):
    client = client_for(org.manager)
    response = client.post("/tv/screens/new/", {**FORM, "units": ["HZ1", "NB1"]})
    assert response.status_code == 200
    assert "NB1" in str(response.context["form"].errors["units"])
    assert not SavedScreen.objects.exists()
    # the service refuses it whatever the caller
    with pytest.raises(NotFound):
        screen_create(by=org.manager, name="x", units=[org.team_a, org.team_c])
    assert not SavedScreen.objects.exists() and not AuditEntry.objects.filter(object_type="screen")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"seconds": "2"}, "seconds"),
        ({"seconds": "abc"}, "seconds"),
        ({"panels": []}, "panels"),
        ({"panels": ["board", "nope"]}, "panels"),
        ({"metric": "profit"}, "metric"),
        ({"units": []}, "units"),
    ],
)
def test_bad_input_is_told_and_writes_nothing(org, change, field):
    data = {**FORM, "units": ["HZ1"], **change}
    response = client_for(org.manager).post("/tv/screens/new/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not SavedScreen.objects.exists()


def test_the_service_checks_its_input_too(org):
    with pytest.raises(TiejunError) as error:
        screen_create(by=org.manager, name="x", units=[org.team_a], seconds=4000)
    assert error.value.field == "seconds"
    with pytest.raises(TiejunError) as error:
        screen_create(by=org.manager, name="x", units=[org.team_a], panels=["clock"])
    assert error.value.field == "panels"
    assert not SavedScreen.objects.exists()


def test_a_rep_or_a_coordinator_saves_no_screen(org):
    client = client_for(org.reps["R1"])
    assert client.get("/tv/screens/").status_code == 403
    assert client.post("/tv/screens/new/", {**FORM, "units": ["HZ1"]}).status_code == 403
    with pytest.raises(Forbidden):
        screen_create(by=org.reps["R1"], name="x", units=[org.team_a])
    assert not SavedScreen.objects.exists()


def test_a_supervisor_saves_over_their_branch_only(org):
    screen = screen_create(by=org.supervisor_a, name="一组", units=[org.team_a, org.team_b])
    assert [u.unit.code for u in screen.slots.all()] == ["HZ1", "HZ2"]
    with pytest.raises(NotFound):
        screen_create(by=org.supervisor_a, name="x", units=[org.region])


def test_only_the_author_or_an_admin_changes_a_screen(org):
    screen = screen_create(by=org.manager, name="大厅", units=[org.team_a])
    other = client_for(org.supervisor_a)
    assert other.get(f"/tv/screens/{screen.code}/").status_code == 404
    assert other.post(f"/tv/screens/{screen.code}/delete/").status_code == 404
    assert SavedScreen.objects.filter(pk=screen.pk).exists()
    # the admin sees every screen and may change it
    admin = client_for(org.admin)
    assert screen.code in admin.get("/tv/screens/").content.decode()
    response = admin.post(
        f"/tv/screens/{screen.code}/",
        {**FORM, "name": "宁波大厅", "units": ["NB1"], "panels": ["review"]},
    )
    assert response.status_code == 302
    screen.refresh_from_db()
    assert (screen.name, screen.panels) == ("宁波大厅", ["review"])
    assert [s.unit.code for s in screen.slots.all()] == ["NB1"]
    change = AuditEntry.objects.get(object_type="screen", action="update")
    assert change.before["units"] == ["HZ1"] and change.after["units"] == ["NB1"]
    assert change.actor_id == org.admin.pk


def test_the_author_edits_and_deletes_their_screen(org):
    screen = screen_create(by=org.manager, name="大厅", units=[org.team_a])
    client = client_for(org.manager)
    form = client.get(f"/tv/screens/{screen.code}/")
    assert form.status_code == 200
    assert re.search(r'value="HZ1" checked', form.content.decode())
    screen_update(
        screen=screen,
        by=org.manager,
        name="大厅",
        units=[org.team_a, org.team_b],
        metric="visits",
        seconds=15,
        panels=["board"],
    )
    assert client.post(f"/tv/screens/{screen.code}/delete/").status_code == 302
    assert not SavedScreen.objects.exists()
    gone = AuditEntry.objects.get(object_type="screen", action="delete")
    assert gone.before["units"] == ["HZ1", "HZ2"] and gone.before["metric"] == "visits"


def test_the_tv_opens_a_screen_by_its_code(org):
    screen = screen_create(
        by=org.admin, name="华东", units=[org.team_c, org.team_a], panels=["board", "review"]
    )
    # a rep of HZ1 sees the units of the screen they may see, the rest not at all
    client = client_for(org.reps["R1"])
    response = client.get(f"/tv/s/{screen.code}/")
    assert response.status_code == 200
    assert [u.code for u in response.context["units"]] == ["HZ1"]
    html = response.content.decode()
    assert "华东" in html
    assert f'data-wins-url="/tv/wins/?screen={screen.code}"' in html
    assert 'data-interval="30"' in html and "data-sound" not in html
    # the board of HZ1, then its review, asked for by the screen's code
    assert f'hx-get="/tv/panel/HZ1/?screen={screen.code}&amp;panel=review"' in html
    panel = client.get(f"/tv/panel/HZ1/?screen={screen.code}&panel=review")
    assert panel.status_code == 200 and 'data-panel="review"' in panel.content.decode()
    assert f'hx-get="/tv/panel/HZ1/?screen={screen.code}"' in panel.content.decode()
    # typed in lower case, with spaces, or on the code page
    assert client.get(f"/tv/s/{screen.code.lower()}/")["Location"] == f"/tv/s/{screen.code}/"
    typed = client.get(f"/tv/s/?code={screen.code.lower()[:2]}+{screen.code.lower()[2:]}")
    assert typed.status_code == 302 and typed["Location"] == f"/tv/s/{screen.code}/"


def test_an_unknown_code_says_so(org):
    client = client_for(org.reps["R1"])
    typed = client.get("/tv/s/?code=zz99")
    assert typed.status_code == 404
    assert "No screen has the code ZZ99." in typed.content.decode()
    assert client.get("/tv/s/ZZ99/").status_code == 404
    assert client.get("/tv/panel/HZ1/?screen=ZZ99").status_code == 404
    assert client.get("/tv/s/").status_code == 200  # the form to type one


def test_opening_a_saved_screen_costs_what_the_url_screen_does(org, django_assert_num_queries):
    screen = screen_create(by=org.manager, name="大厅", units=[org.branch, org.team_a])
    client = client_for(org.manager)
    client.get(f"/tv/s/{screen.code}/")
    with django_assert_num_queries(11):
        assert client.get(f"/tv/s/{screen.code}/").status_code == 200
