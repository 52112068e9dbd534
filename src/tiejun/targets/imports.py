"""The import kind ``targets``: monthly targets of units and people."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.imports.cells import CREATED, UPDATED, Context, Outcome, choose
from tiejun.imports.engine import Kind
from tiejun.imports.registry import register
from tiejun.imports.spellings import METRIC_LABELS, SCOPE_LABELS, TARGETS_HEADERS
from tiejun.metrics import METRIC_CHOICES, METRICS
from tiejun.org.imports import OrgCells, admin_or_manager
from tiejun.org.models import Person, Unit

from .models import Target
from .services import target_set

SCOPES = {"unit": gettext_lazy("Unit"), "person": gettext_lazy("Person")}


def apply_target(c: OrgCells, ctx: Context) -> Outcome:
    month = c.month("month")
    scope_text = c.text("scope")
    scope = choose(scope_text, SCOPES, SCOPE_LABELS) if scope_text else ""
    owner: dict[str, Unit | Person | None] = {}
    if scope == "unit":
        owner["unit"] = c.unit("code")
    elif scope == "person":
        owner["person"] = c.person("code")
    else:
        c.text("code", max_length=32)
        if scope_text:
            c.fail("scope", _("scope is unit or person, not %(scope)s") % {"scope": scope_text})
    metric = c.choice("metric", dict(METRIC_CHOICES), labels=METRIC_LABELS)
    # Money as offices write it (¥50,000); a count as a plain number. Negative values reach the
    # service, whose message says why they are refused.
    if metric in METRICS and not METRICS[metric].money:
        value = c.decimal("value")
    else:
        value = c.amount("value", allow_negative=True)
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


def register_kinds() -> None:
    register(
        Kind(
            "targets",
            ("month", "scope", "code", "metric", "value"),
            "value",
            label=gettext_lazy("Targets"),
            position=40,
            headers=TARGETS_HEADERS,
            aliases={"reason": "value"},
            may_import=admin_or_manager,
            cells=OrgCells,
            apply=apply_target,
        )
    )
