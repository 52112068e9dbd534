"""/audit/: administrators browse and filter the trail; anyone else is told it does not exist."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import client_for
from tiejun.audit.context import acting
from tiejun.audit.models import AuditEntry
from tiejun.audit.services import audit_record
from tiejun.org.models import Person
from tiejun.targets.services import target_set


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


@pytest.fixture
def trail(org):
    """A few entries by different people on different days (beside those the org made)."""
    audit_record(
        action="update",
        object_type="target",
        object_id="2026-11:revenue:unit:HZ1",
        object_repr="杭州一组 2026-11 revenue",
        before={"value": "1000.00"},
        after={"value": "1200.00"},
        reason="new product line",
        actor=org.manager,
        source="web",
        at=_at(dt.date(2026, 11, 3)),
    )
    audit_record(
        action="claim",
        object_type="customer",
        object_id="P-1",
        object_repr="西湖茶业",
        before={"owner": None},
        after={"owner": "R1"},
        actor=org.reps["R1"],
        source="api",
        at=_at(dt.date(2026, 11, 10)),
    )
    audit_record(
        action="update",
        object_type="report_template",
        object_id="7",
        before={"body": "line one\nline two\n" + "x" * 90},
        after={"body": "line one\nline 2\n" + "x" * 90},
        actor=org.admin,
        source="admin",
        at=_at(dt.date(2026, 11, 20)),
    )
    return org


def shown(response) -> list[str]:
    assert response.status_code == 200
    return [row["entry"].object_id for row in response.context["rows"]]


def test_only_administrators_see_the_page(trail):
    assert client_for(trail.admin).get("/audit/").status_code == 200
    for someone in (trail.reps["R1"], trail.supervisor_a, trail.manager):
        assert client_for(someone).get("/audit/").status_code == 404
    anonymous = Client().get("/audit/")
    assert anonymous.status_code == 302 and "/login" in anonymous.url


def test_filters(trail):
    admin = client_for(trail.admin)
    assert shown(
        admin.get("/audit/", {"type": "target", "object": "HZ1", "until": "2026-11-30"})
    ) == ["2026-11:revenue:unit:HZ1"]
    assert shown(admin.get("/audit/", {"person": "R1", "action": "claim"})) == ["P-1"]
    assert shown(admin.get("/audit/", {"person": "员工M1", "type": "target"})) == [
        "2026-11:revenue:unit:HZ1"
    ]
    assert shown(admin.get("/audit/", {"object": "西湖"})) == ["P-1"]
    assert shown(admin.get("/audit/", {"since": "2026-11-10", "until": "2026-11-20"})) == [
        "7",
        "P-1",
    ]
    assert shown(admin.get("/audit/", {"since": "2026-11-11", "until": "2026-11-19"})) == []
    assert shown(admin.get("/audit/", {"source": "admin"})) == ["7"]
    # Nonsense in the query string filters nothing away and breaks nothing.
    assert admin.get("/audit/", {"since": "2026-13-45", "page": "x"}).status_code == 200


def test_before_and_after_are_shown_per_field(trail):
    html = client_for(trail.admin).get("/audit/", {"type": "target"}).content.decode()
    # a money target's value is shown as money (issue 14: through tiejun.money)
    assert '<span class="before">¥1,000.00</span> → <span class="after">¥1,200.00</span>' in html
    assert "new product line" in html
    assert "员工M1" in html and "M1" in html
    template = client_for(trail.admin).get("/audit/", {"type": "report_template"}).content.decode()
    assert "-line two" in template and "+line 2" in template  # a long text is shown as a diff


def test_pages_of_fifty_with_a_pinned_query_count(trail, django_assert_num_queries):
    with acting(trail.admin, "web"):
        for i in range(60):
            target_set(
                month=dt.date(2026, 12, 1),
                metric="revenue",
                value=Decimal(i + 1),
                person=trail.reps["R1"],
                by=trail.admin,
                today=dt.date(2026, 11, 1),
            )
    admin = client_for(trail.admin)
    admin.get("/audit/")  # warm
    # session, person, is_admin (membership), count, page of entries with their actors
    with django_assert_num_queries(5):
        first = admin.get("/audit/", {"type": "target", "object": "2026-12"})
    assert len(first.context["rows"]) == 50
    with django_assert_num_queries(5):
        second = admin.get("/audit/", {"type": "target", "object": "2026-12", "page": 2})
    assert len(second.context["rows"]) == 10
    assert second.context["rows"][-1]["entry"].after == {"value": "1.00"}


def test_the_navigation_links_the_page_for_superusers(trail):
    root = Person.objects.create_superuser("ROOT", "pw", name="Root")
    assert 'href="/audit/"' in client_for(root).get("/audit/").content.decode()
    assert 'href="/audit/"' not in client_for(trail.reps["R1"]).get("/me/").content.decode()


def test_the_admin_site_shows_entries_read_only(trail):
    root = Person.objects.create_superuser("ROOT", "pw", name="Root")
    client = client_for(root)
    entry = AuditEntry.objects.filter(object_id="P-1").get()
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    response = client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_objects_by_name_and_fields_in_words(trail, settings):
    """Issue 14: the page names people and objects, never an internal key; field names are
    translated; the badges do not wrap."""
    with acting(trail.admin, "web"):
        target_set(
            month=dt.date(2026, 12, 1),
            metric="revenue",
            value=Decimal("230000"),
            person=trail.reps["R1"],
            by=trail.admin,
            today=dt.date(2026, 11, 1),
        )
    admin = client_for(trail.admin)
    html = admin.get("/audit/", {"type": "target", "object": "2026-12"}).content.decode()
    row = html[html.index('<tr class="entry"') :]
    row = row[: row.index("</tr>")]
    cell = row[row.index('<td class="object"') :]
    cell = cell[cell.index(">") + 1 : cell.index("</td>")]
    assert "员工R1" in cell and "R1" in cell and "2026-12 · Revenue" in cell
    assert "2026-12:revenue:person:R1" not in cell  # only in the cell's title, for a search
    assert "¥230,000.00" in row
    assert ".page-audit .badge { white-space: nowrap; }" in html
    # every field the services record has a label (gettext: the Chinese page names it in Chinese)
    from tiejun.audit.kinds import FIELD_LABELS

    for entry in AuditEntry.objects.all():
        for side in (entry.before, entry.after):
            for key in side if isinstance(side, dict) else {}:
                assert key in FIELD_LABELS or key[:4].isdigit(), key
    assert '<span class="field">value</span>' in row  # the English label of "value"
