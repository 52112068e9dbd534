"""The red-line pages: flags to review, cases with evidence and decision, and one's own record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.money import money

from .forms import CaseOpenForm, DecisionForm, DismissForm, EvidenceForm
from .models import Case, CaseStatus, Category, Decision, Flag, FlagKind, FlagStatus
from .selectors import (
    access_case,
    access_evidence,
    access_flag,
    access_subject,
    case_evidence,
    case_list,
    cases_of,
    decisions_for,
    flag_list,
    people_in_chain,
    reach,
)
from .services import (
    INLINE_TYPES,
    case_decide,
    case_open,
    evidence_add,
    evidence_viewed,
    flag_dismiss,
)

PAGE_ROWS = 200


def _reviewer(request: AuthedRequest) -> None:
    """The flags and cases pages are for leaders and admins; anyone else gets a 404."""
    if not reach(request.user).any:
        raise NotFound(_("page not found"))


def _form_error(form: Any, error: TiejunError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    if not reach(request.user).any:
        return redirect("redlines:mine")
    return redirect("redlines:flags")


@login_required
@require_GET
def flags(request: AuthedRequest) -> HttpResponse:
    _reviewer(request)
    status = request.GET.get("status", FlagStatus.OPEN)
    kind = request.GET.get("kind", "")
    rows = list(flag_list(request.user, status=status, kind=kind)[:PAGE_ROWS])
    return render(
        request,
        "discipline/flags.html",
        {
            "tab": "flags",
            "flags": rows,
            "status": status,
            "kind": kind,
            "statuses": FlagStatus.choices,
            "kinds": FlagKind.choices,
        },
    )


def _visit_rows(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for v in visits:
        at = dt.datetime.fromisoformat(v["at"]) if v.get("at") else None
        rows.append({**v, "time": at.strftime("%Y-%m-%d %H:%M") if at else ""})
    return rows


def flag_evidence(flag: Flag) -> dict[str, Any]:
    """The flag's evidence ready for the page (times cut to the minute, money formatted)."""
    data = flag.evidence or {}
    out: dict[str, Any] = {"kind": flag.kind}
    if flag.kind == FlagKind.OUTSIDE_GEOFENCE:
        out["visits"] = _visit_rows(data.get("visits", []))
        out["count"] = data.get("count", 0)
        out["window_days"] = data.get("window_days", 0)
        out["geofence_m"] = data.get("geofence_m", 0)
    elif flag.kind == FlagKind.IMPOSSIBLE_SPEED:
        out["legs"] = [
            {
                **leg,
                "from": _visit_rows([leg["from"]])[0],
                "to": _visit_rows([leg["to"]])[0],
                "km": f"{leg['distance_m'] / 1000:.1f}",
            }
            for leg in data.get("legs", [])
        ]
        out["max_kmh"] = data.get("max_kmh")
    elif flag.kind == FlagKind.SHARED_POSITION:
        out["clusters"] = [
            {**c, "visits": _visit_rows(c.get("visits", []))} for c in data.get("clusters", [])
        ]
        out["radius_m"] = data.get("radius_m")
    elif flag.kind == FlagKind.REVERSAL:
        out["changes"] = [
            {
                **c,
                "before": money(c["amount_before"]) if c.get("amount_before") else "",
                "after": money(c["amount_after"]) if c.get("amount_after") else "",
            }
            for c in data.get("changes", [])
        ]
        out["within_days"] = data.get("within_days")
        out["lost"] = money(flag.score)
    return out


@login_required
@require_GET
@never_cache
def flag_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    flag = access_flag(request.user, pk)
    return _flag_page(request, flag)


def _flag_page(
    request: AuthedRequest,
    flag: Flag,
    *,
    case_form: CaseOpenForm | None = None,
    dismiss_form: DismissForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "tab": "flags",
        "flag": flag,
        "evidence": flag_evidence(flag),
        "case_form": case_form
        or CaseOpenForm(initial={"occurred_on": flag.day, "category": _default_category(flag)}),
        "dismiss_form": dismiss_form or DismissForm(),
    }
    return render(request, "discipline/flag.html", context, status=status)


def _default_category(flag: Flag) -> Category | None:
    code = "false_deal" if flag.kind == FlagKind.REVERSAL else "false_visit"
    return Category.objects.filter(code=code, active=True).first()


@login_required
@require_POST
def flag_dismiss_view(request: AuthedRequest, pk: int) -> HttpResponse:
    flag = access_flag(request.user, pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            flag_dismiss(flag=flag, by=request.user, reason=form.cleaned_data["reason"])
        except TiejunError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The flag is dismissed."))
            return redirect("redlines:flags")
    return _flag_page(request, flag, dismiss_form=form, status=400)


@login_required
@require_POST
def flag_case_view(request: AuthedRequest, pk: int) -> HttpResponse:
    flag = access_flag(request.user, pk)
    form = CaseOpenForm(request.POST)
    if form.is_valid():
        try:
            case = case_open(
                by=request.user,
                person=flag.person,
                category=form.cleaned_data["category"],
                occurred_on=form.cleaned_data["occurred_on"],
                facts=form.cleaned_data["facts"],
                flag=flag,
            )
        except TiejunError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Case %(no)s is open.") % {"no": case.number})
            return redirect("redlines:case", pk=case.pk)
    return _flag_page(request, flag, case_form=form, status=400)


@login_required
@require_GET
def cases(request: AuthedRequest) -> HttpResponse:
    _reviewer(request)
    status = request.GET.get("status", "")
    rows = list(case_list(request.user, status=status)[:PAGE_ROWS])
    return render(
        request,
        "discipline/cases.html",
        {"tab": "cases", "cases": rows, "status": status, "statuses": CaseStatus.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: AuthedRequest) -> HttpResponse:
    _reviewer(request)
    people = list(people_in_chain(request.user))
    initial = {"employee_no": request.GET.get("person", ""), "occurred_on": timezone.localdate()}
    form = CaseOpenForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = access_subject(request.user, form.cleaned_data["employee_no"])
            case = case_open(
                by=request.user,
                person=person,
                category=form.cleaned_data["category"],
                occurred_on=form.cleaned_data["occurred_on"],
                facts=form.cleaned_data["facts"],
            )
        except TiejunError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Case %(no)s is open.") % {"no": case.number})
            return redirect("redlines:case", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "discipline/case_new.html", {"tab": "cases", "form": form}, status=status
    )


def _case_page(
    request: AuthedRequest,
    case: Case,
    *,
    evidence_form: EvidenceForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    choices = decisions_for(request.user, case)
    context = {
        "tab": "cases",
        "case": case,
        "files": case_evidence(case),
        "flags": [
            {"flag": f, "evidence": flag_evidence(f)}
            for f in case.flags.select_related("person").order_by("day", "id")
        ],
        "evidence_form": evidence_form or EvidenceForm(),
        "decision_form": decision_form
        or (
            DecisionForm(choices=choices, initial={"effective_date": timezone.localdate()})
            if choices
            else None
        ),
        "inline_types": INLINE_TYPES,
        "dismissal": Decision.DISMISSAL,
    }
    return render(request, "discipline/case.html", context, status=status)


@login_required
@require_GET
@never_cache
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _case_page(request, access_case(request.user, pk))


@login_required
@require_POST
def case_evidence_view(request: AuthedRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence_add(
                case=case,
                by=request.user,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except TiejunError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The file is attached."))
            return redirect("redlines:case", pk=case.pk)
    return _case_page(request, case, evidence_form=form, status=400)


@login_required
@require_POST
def case_decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    choices = decisions_for(request.user, case)
    if not choices:
        raise TiejunError(_("you may not decide this case"))
    form = DecisionForm(request.POST, choices=choices)
    if form.is_valid():
        try:
            case = case_decide(
                case=case,
                by=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                effective_date=form.cleaned_data["effective_date"],
            )
        except TiejunError as error:
            _form_error(form, error)
        else:
            text = _("Case %(no)s is decided: %(decision)s.") % {
                "no": case.number,
                "decision": case.get_decision_display(),
            }
            if case.applied_at is not None:
                n = case.customers_handed_over
                text += " " + ngettext(
                    "%(name)s is deactivated; %(n)d customer handed over.",
                    "%(name)s is deactivated; %(n)d customers handed over.",
                    n,
                ) % {"name": case.person.name, "n": n}
            messages.success(request, text)
            return redirect("redlines:case", pk=case.pk)
    return _case_page(request, case, decision_form=form, status=400)


@login_required
@require_GET
@never_cache
def evidence_file(request: AuthedRequest, pk: int, evidence_id: int) -> FileResponse:
    evidence = access_evidence(request.user, pk, evidence_id)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound(_("the file is missing from the storage")) from None
    evidence_viewed(evidence=evidence, by=request.user)
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        as_attachment=evidence.content_type not in INLINE_TYPES,
        filename=evidence.name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "discipline/mine.html",
        {
            "tab": "mine",
            "cases": list(cases_of(request.user)),
            "reviewer": reach(request.user).any,
        },
    )
