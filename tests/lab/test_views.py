import datetime as dt

import pytest

from tests.factories import PASSWORD, deal
from tiejun.org.models import Role
from tiejun.org.services import membership_move

from .conftest import touch

URL = "/lab/efficiency/?from=2026-06-01&to=2026-06-30"


def login(client, person):
    assert client.login(username=person.employee_no, password=PASSWORD)


def test_manager_sees_the_lab_of_their_branch(client, history):
    login(client, history.org.manager)
    response = client.get(URL + "&unit=HZ")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sales-model lab" in html
    assert 'data-model="online"' in html and "<svg" in html
    assert "Revenue per rep-hour" in html
    # the headline compares the best model with one-to-one visits
    headline = html[html.index("data-headline") :][:600]
    assert "¥6,667" in headline and "¥0" in headline
    assert response.context["unit"].code == "HZ"
    assert (
        response.context["planner_url"] is None
        or "/lab/planner/" in response.context["planner_url"]
    )


def test_default_unit_and_the_index_url(client, history):
    login(client, history.org.admin)
    response = client.get("/lab/")
    assert response.status_code == 200
    assert response.context["unit"].code == "HQ"


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("manager", "NB", 404),  # another branch
        ("manager", "NOPE", 404),
        ("rep", "HZ1", 404),  # reps do not see the lab
        ("rep", "", 404),
        ("admin", "NB", 200),
        ("supervisor", "HZ1", 200),
    ],
)
def test_who_may_open_the_lab(client, history, who, unit, status):
    org = history.org
    person = {
        "manager": org.manager,
        "rep": org.reps["R1"],
        "admin": org.admin,
        "supervisor": org.supervisor_a,
    }[who]
    login(client, person)
    assert client.get(URL + f"&unit={unit}").status_code == status


def test_coordinator_may_open_the_lab(client, history):
    org = history.org
    membership_move(
        person=org.reps["R4"], effective=dt.date(2026, 7, 1), unit=org.branch, role=Role.COORDINATOR
    )
    login(client, org.reps["R4"])
    assert client.get(URL + "&unit=HZ").status_code == 200


def test_anonymous_is_sent_to_log_in(client, history):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_bad_input_is_a_400_page(client, history):
    login(client, history.org.admin)
    assert client.get("/lab/efficiency/?from=2026-13-01").status_code == 400
    assert client.get(URL + "&attribution=u_shape").status_code == 400
    assert client.get("/lab/efficiency/?from=2026-07-01&to=2026-06-01").status_code == 400


def test_every_rule_renders(client, history):
    login(client, history.org.admin)
    for rule in ("last_touch", "first_touch", "linear", "position"):
        assert client.get(URL + f"&attribution={rule}").status_code == 200


def test_query_count_does_not_grow_with_rows(client, history, django_assert_num_queries):
    org = history.org
    login(client, org.manager)
    client.get(URL + "&unit=HZ")  # warm up
    with django_assert_num_queries(17) as first:
        client.get(URL + "&unit=HZ")
    # more touches, customers and deals
    for i in range(30):
        touch(f"X{i}", org.reps["R2"], f"K{i}", "community", dt.date(2026, 6, 1 + i % 28), "1")
        deal(org.reps["R2"], 100 + i, dt.date(2026, 6, 1 + i % 28), customer=f"K{i}")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(URL + "&unit=HZ")
    assert 'data-model="community"' in response.content.decode()


def test_a_partial_month_is_marked_and_not_plotted(client, history):
    """Issue 14: a month the period covers in part is not drawn as a spike."""
    from tiejun.lab.views import partial_months

    login(client, history.org.manager)
    response = client.get("/lab/efficiency/?from=2026-05-01&to=2026-06-15&unit=HZ")
    assert response.context["partial"] == {dt.date(2026, 6, 1)}
    chart = response.context["chart"]
    for line in chart["lines"]:
        assert all(d["month"] != dt.date(2026, 6, 1) for d in line["dots"])
    assert any(label["text"] == "2026-06*" for label in chart["labels"])
    html = response.content.decode()
    assert 'id="partial-note"' in html and "data-partial" in html
    may, june = dt.date(2026, 5, 1), dt.date(2026, 6, 1)
    assert partial_months([may, june], dt.date(2026, 5, 2), dt.date(2026, 6, 30)) == {may}
    assert partial_months([may, june], may, dt.date(2026, 6, 30)) == set()


def test_the_page_speaks_plainly(client, history):
    login(client, history.org.manager)
    html = client.get(URL + "&unit=HZ").content.decode()
    assert '"last_touch";' not in html and 'by the rule "Last touch"' in html
    assert "How these figures are worked out" in html
    assert '<span class="code muted hide-sm">visit</span>' not in html


def test_with_every_sales_model_gone_the_lab_still_answers(client, org):
    # given: June's deals, and no sales model left to credit them to
    from tiejun.lab.models import SalesModel

    deal(org.reps["R1"], 5000, dt.date(2026, 6, 15), customer="C1", deal_no="D1")
    SalesModel.objects.all().delete()
    login(client, org.admin)
    # then: the page answers (it failed with a server error) with no model row
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-model="' not in response.content.decode()
