"""The import kind ``targets``: monthly targets of units and people."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiejun.org.models import Person, Unit
from tiejun.targets.models import Target
from tiejun.targets.services import target_set

from .cells import CREATED, UPDATED, Cells, Context, Outcome


def apply_target(c: Cells, ctx: Context) -> Outcome:
    month = c.month("month")
    scope = c.text("scope").lower()
    owner: dict[str, Unit | Person | None] = {}
    if scope == "unit":
        owner["unit"] = c.unit("code")
    elif scope == "person":
        owner["person"] = c.person("code")
    else:
        c.text("code", max_length=32)
        if scope:
            c.fail("scope", _("scope is unit or person, not %(scope)s") % {"scope": scope})
    metric = c.text("metric").lower()
    value = c.decimal("value")
    c.check()
    assert month is not None and value is not None
    before = Target.objects.filter(month=month, metric=metric, **owner).first()
    target = target_set(
        month=month,
        metric=metric,
        value=value,
        by=ctx.by,
        reason=ctx.reason,
        today=ctx.today,
        **owner,  # type: ignore[arg-type]
    )
    if before is None:
        return CREATED
    return UPDATED if before.value != target.value else None
