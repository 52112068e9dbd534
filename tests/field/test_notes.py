"""Field notes (晚分享): post, search by text and tag within the branch, star, surface."""

from __future__ import annotations

import pytest

from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.field.models import FieldNote
from tiejun.field.selectors.notes import access_note, note_tags, notes_page
from tiejun.field.services.notes import note_post, note_star, parse_tags

pytestmark = pytest.mark.django_db


def _post(rep, customer_type="餐饮连锁", objection="价格太贵", answer="算三年总成本", tags=""):
    return note_post(
        person=rep, customer_type=customer_type, objection=objection, answer=answer, tags=tags
    )


def test_parse_tags():
    assert parse_tags("价格, 竞品，售后、价格 #Price  price") == [
        "价格",
        "竞品",
        "售后",
        "price",
    ]
    assert parse_tags("") == []


def test_post_a_note_in_the_rep_s_team(org):
    note = _post(org.reps["R1"], tags="价格，竞品")
    assert note.unit == org.team_a and note.tags == "价格,竞品"
    assert note_tags(note) == ["价格", "竞品"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_type": " "}, "customer_type"),
        ({"objection": ""}, "objection"),
        ({"answer": ""}, "answer"),
        ({"tags": ",".join(f"t{i}" for i in range(11))}, "tags"),
        ({"tags": "x" * 31}, "tags"),
    ],
)
def test_bad_input_writes_nothing(org, changes, field):
    with pytest.raises(TiejunError) as error:
        _post(org.reps["R1"], **changes)
    assert error.value.field == field
    assert not FieldNote.objects.exists()


def test_search_and_tags_stay_within_the_branch(org, django_assert_num_queries):
    # given: notes in Hangzhou (two teams) and Ningbo
    a = _post(org.reps["R1"], objection="价格太贵", answer="算总账", tags="价格")
    b = _post(
        org.reps["R3"],
        customer_type="工厂",
        objection="已有供应商",
        answer="小单试用",
        tags="竞品,价格",
    )
    _post(org.reps["R5"], objection="价格太贵", answer="宁波的答案", tags="价格")
    # when / then: a rep of team HZ1 reads the whole branch, not Ningbo
    with django_assert_num_queries(4):
        page = notes_page(org.reps["R2"])
    assert [n.pk for n in page.notes] == [b.pk, a.pk]
    assert page.tags == [("价格", 2), ("竞品", 1)]
    assert [n.pk for n in notes_page(org.reps["R2"], query="价格").notes] == [a.pk]
    assert [n.pk for n in notes_page(org.reps["R2"], query="工厂").notes] == [b.pk]
    assert [n.pk for n in notes_page(org.reps["R2"], query="小单 试用").notes] == [b.pk]
    assert [n.pk for n in notes_page(org.reps["R2"], tag="竞品").notes] == [b.pk]
    assert [n.pk for n in notes_page(org.reps["R2"], tag="价").notes] == []
    assert len(notes_page(org.reps["R5"], query="价格").notes) == 1
    assert len(notes_page(org.admin, tag="价格").notes) == 3
    with pytest.raises(NotFound):
        access_note(org.reps["R5"], a.pk)


def test_a_supervisor_stars_and_the_branch_sees_the_best(org):
    a = _post(org.reps["R1"])
    b = _post(org.reps["R3"])
    # a rep may not star; a supervisor only their own team's notes
    with pytest.raises(Forbidden):
        note_star(viewer=org.reps["R2"], note=a)
    with pytest.raises(Forbidden):
        note_star(viewer=org.supervisor_a, note=b)
    note_star(viewer=org.supervisor_a, note=a)
    note_star(viewer=org.manager, note=b)
    a.refresh_from_db()
    assert a.starred_by == org.supervisor_a and a.starred_at is not None
    # everyone in the branch sees the best ones on top, the latest star first
    for viewer in (org.reps["R4"], org.reps["R1"], org.manager):
        page = notes_page(viewer)
        assert [n.pk for n in page.best] == [b.pk, a.pk]
    assert notes_page(org.reps["R5"]).best == []
    # can_star follows the same rule
    page = notes_page(org.supervisor_a)
    assert page.can_star(a) and not page.can_star(b)
    # unstar
    note_star(viewer=org.supervisor_a, note=a, starred=False)
    assert [n.pk for n in notes_page(org.reps["R4"]).best] == [b.pk]
