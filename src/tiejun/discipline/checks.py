"""The red-line move check: moving or promoting someone under investigation asks for a
confirmation (``org.checks``), naming the open cases. Whoever may move the person is in their
management chain (a manager of both units, or an admin), so the warning tells nobody new."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import ngettext

from tiejun.org import checks
from tiejun.org.checks import MoveProposal, MoveWarning

from .models import Case, CaseStatus


def open_cases(proposal: MoveProposal) -> Iterator[MoveWarning]:
    pks = list(
        Case.objects.filter(person=proposal.person, status=CaseStatus.OPEN)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if not pks:
        return
    numbers = [f"RL-{pk:06d}" for pk in pks]
    yield MoveWarning(
        "redline.open_case",
        ngettext(
            "%(name)s is under investigation for a red line (%(cases)s): the case stays open "
            "and the new management chain sees it too",
            "%(name)s is under investigation for red lines (%(cases)s): the cases stay open "
            "and the new management chain sees them too",
            len(numbers),
        )
        % {"name": proposal.person.name, "cases": ", ".join(numbers)},
        detail={"cases": numbers},
    )


def register_checks() -> None:
    checks.register("redline", open_cases)
