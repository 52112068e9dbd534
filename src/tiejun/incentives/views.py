"""The incentive pages: plans, a person's statement (approve, export) and the YTD card."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiejun.audit.services import audit_record
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.checks import MoveNeedsConfirmation, move_warnings, proposal_for
from tiejun.org.forms import MoveForm
from tiejun.org.models import Role
from tiejun.org.selectors import (
    access_person,
    can_move_person,
    current_or_last_membership,
    manageable_units,
)
from tiejun.org.services import membership_move_checked
from tiejun.workdays import add_months, month_start, parse_month

from .exports import bounds_text, statement_pdf, statement_xlsx
from .selectors import (
    access_plan,
    access_statement_person,
    can_approve,
    exceptions_to_decide,
    milestone_progress,
    plan_tiers,
    plans_list,
    statement_for,
    statement_rows,
)
from .services import milestone_exception_decide, month_closed, statement_approve


def _month(text: str) -> dt.date:
    try:
        return parse_month(text)
    except ValueError:
        raise Http404(_("No such month.")) from None


@login_required
@require_GET
def plans(request: AuthedRequest) -> HttpResponse:
    return render(request, "incentives/plans.html", {"plans": list(plans_list())})


@login_required
@require_GET
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = access_plan(pk)
    tiers = [
        {
            "lower": t.lower * 100,
            "upper": None if t.upper is None else t.upper * 100,
            "rate": t.rate * 100,
        }
        for t in plan_tiers(plan)
    ]
    return render(request, "incentives/plan.html", {"plan": plan, "tiers": tiers})


@login_required
@require_GET
def statements(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    month = _month(request.GET["month"]) if request.GET.get("month") else add_months(today, -1)
    rows = statement_rows(request.user, month, today=today)
    if len(rows) == 1 and rows[0].person.pk == request.user.pk:
        return redirect(
            "incentives:statement", employee_no=request.user.employee_no, month=f"{month:%Y-%m}"
        )
    return render(
        request,
        "incentives/statements.html",
        {"rows": rows, "month": month, "month_value": f"{month:%Y-%m}"},
    )


def _view(request: AuthedRequest, employee_no: str, month_text: str):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    month = _month(month_text)
    person = access_statement_person(request.user, employee_no, today=today)
    return statement_for(person, month, today=today), today


@login_required
@require_GET
def statement(request: AuthedRequest, employee_no: str, month: str) -> HttpResponse:
    view, today = _view(request, employee_no, month)
    rows = [
        {"line": line, "band": bounds_text(line), "rate": line.rate * 100} for line in view.lines
    ]
    return render(
        request,
        "incentives/statement.html",
        {
            "view": view,
            "person": view.person,
            "rows": rows,
            "month": view.month,
            "previous": add_months(view.month, -1),
            "next": add_months(view.month, 1)
            if add_months(view.month, 1) <= month_start(today)
            else None,
            "can_approve": view.frozen is None
            and view.plan is not None
            and month_closed(view.month, today)
            and can_approve(request.user, view.person, today=today),
            "is_me": view.person.pk == request.user.pk,
        },
    )


@login_required
@require_POST
def statement_approve_view(request: AuthedRequest, employee_no: str, month: str) -> HttpResponse:
    try:
        statement_approve(viewer=request.user, employee_no=employee_no, month=_month(month))
    except TiejunError as error:
        if error.status == 404:
            raise
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Statement approved and frozen."))
    return redirect("incentives:statement", employee_no=employee_no, month=month)


def _download(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _audit_export(request: AuthedRequest, view, kind: str) -> None:  # type: ignore[no-untyped-def]
    audit_record(
        action="export",
        object_type="incentive_statement",
        object_id=f"{view.person.employee_no}/{view.month:%Y-%m}",
        object_repr=f"{view.person.name} {view.month:%Y-%m} {kind}",
        actor=request.user,
    )


@login_required
@require_GET
def statement_export_xlsx(request: AuthedRequest, employee_no: str, month: str) -> HttpResponse:
    view, _today = _view(request, employee_no, month)
    _audit_export(request, view, "xlsx")
    return _download(
        statement_xlsx(view),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"statement-{view.person.employee_no}-{view.month:%Y-%m}.xlsx",
    )


@login_required
@require_GET
def statement_export_pdf(request: AuthedRequest, employee_no: str, month: str) -> HttpResponse:
    view, _today = _view(request, employee_no, month)
    _audit_export(request, view, "pdf")
    return _download(
        statement_pdf(view),
        "application/pdf",
        f"statement-{view.person.employee_no}-{view.month:%Y-%m}.pdf",
    )


@login_required
@require_GET
def milestones_card(request: AuthedRequest, employee_no: str) -> HttpResponse:
    """The YTD milestone card of the person's page (loaded after the page)."""
    today = timezone.localdate()
    person = access_statement_person(request.user, employee_no, today=today)
    rows = milestone_progress(person, today=today)
    return render(
        request,
        "incentives/_milestones_card.html",
        {"person": person, "rows": rows, "month": f"{add_months(today, 0):%Y-%m}"},
    )


# --- the promotion advisor ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def advisor_move(request: AuthedRequest, employee_no: str) -> HttpResponse:
    """The person page's move form sent with a milestone choice (exception or go ahead, with a
    reason): the same move and the same checks, every choice passed on; shown again with the
    advisor when something is missing."""
    viewer = request.user
    person = access_person(viewer, employee_no)
    current = current_or_last_membership(person, timezone.localdate())
    if current is None or not can_move_person(viewer, person, current.unit, current.unit, None):
        raise Http404(_("No such page."))
    if request.method != "POST":
        return redirect("scoreboard:person", employee_no=person.employee_no)
    form = MoveForm(request.POST, units=manageable_units(viewer))
    if form.is_valid():
        data = form.cleaned_data
        if not can_move_person(viewer, person, current.unit, data["unit"], data["role"]):
            form.add_error("role", _("You may not give this role."))
        else:
            try:
                membership, _warnings = membership_move_checked(
                    person=person,
                    effective=data["effective_date"],
                    unit=data["unit"],
                    role=data["role"],
                    by=viewer,
                    confirm=data["confirm"],
                    choices=form.move_choices(),
                )
            except MoveNeedsConfirmation as refused:
                form.show_warnings(refused.warnings)
            except TiejunError as error:
                form.add_tiejun_error(error)
            else:
                messages.success(
                    request,
                    _("%(name)s moves to %(unit)s as %(role)s from %(day)s.")
                    % {
                        "name": person.name,
                        "unit": membership.unit.name,
                        "role": Role(membership.role).label,
                        "day": membership.valid_from.isoformat(),
                    },
                )
                return redirect("scoreboard:person", employee_no=person.employee_no)
        if not form.move_warnings:  # a refused choice: show the advisor again beside the error
            proposal = proposal_for(
                person, effective=data["effective_date"], unit=data["unit"], role=data["role"]
            )
            if proposal is not None:
                form.show_warnings(move_warnings(proposal))
    return render(
        request, "incentives/advisor_move.html", {"person": person, "form": form}, status=400
    )


@login_required
@require_GET
def exceptions(request: AuthedRequest) -> HttpResponse:
    """Milestone exceptions: those waiting for the viewer's decision first."""
    today = timezone.localdate()
    rows = [
        {"e": e, "can_decide": can_decide}
        for e, can_decide in exceptions_to_decide(request.user, today=today)
    ]
    return render(request, "incentives/exceptions.html", {"rows": rows})


@login_required
@require_POST
def exception_decide_view(request: AuthedRequest, exception_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "refuse"):
        messages.error(request, _("Choose approve or refuse."))
        return redirect("incentives:exceptions")
    try:
        milestone_exception_decide(
            viewer=request.user,
            exception_id=exception_id,
            approve=decision == "approve",
            note=request.POST.get("note", ""),
        )
    except TiejunError as error:
        if error.status == 404:
            raise
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("Exception approved: the milestone is kept.")
            if decision == "approve"
            else _("Exception refused: the milestone is forfeited."),
        )
    return redirect("incentives:exceptions")
