"""The board, a person's page, TV mode and the org tree: thin views over the selectors."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from tiejun.dateinput import parse_day
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Person, Role, Unit
from tiejun.org.selectors import (
    TreeNode,
    access_person,
    access_unit,
    board_roots,
    can_manage_unit,
    can_move_person,
    default_unit,
    person_history,
    unit_members_on,
    unit_tree,
    units_by_codes,
    visible_unit_ids,
    work_calendar,
)
from tiejun.org.services import membership_move
from tiejun.scoreboard.api import parse_board_args
from tiejun.scoreboard.selectors import Board, board_for_unit, daily_series, person_board
from tiejun.workdays import add_months, month_end

from .forms import LoginForm, MoveForm
from .selectors import (
    current_or_last_membership,
    manageable_units,
    visible_ancestors,
)

BOARD_METRICS = ("revenue", "new_customers", "visits")
TV_MAX_ROWS = 15
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def user_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn the domain's errors into responses: not found → 404, forbidden → 403,
    any other user error → a 400 page with its message."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error)) from None
        except Forbidden as error:
            raise PermissionDenied(str(error)) from None
        except TiejunError as error:
            return render(request, "web/error.html", {"error": error}, status=400)

    return wrapper


# --- signing in and out -------------------------------------------------------------------


class TiejunLoginView(LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        # The person's saved language follows them to every browser they sign in on.
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            self.request.session["tiejun_language"] = language
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response


login_view = TiejunLoginView.as_view()


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login page after too many wrong passwords for this login from this address
    (django-axes calls this, ``AXES_LOCKOUT_CALLABLE``): the form again, with the lockout."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    lockout = ngettext(
        "Too many wrong passwords for this login. Signing in is locked for %(minutes)d minute; "
        "try again later or ask an administrator.",
        "Too many wrong passwords for this login. Signing in is locked for %(minutes)d minutes; "
        "try again later or ask an administrator.",
        minutes,
    ) % {"minutes": minutes}
    form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "lockout": lockout, "next": request.POST.get("next", "")}
    return render(request, "web/login.html", context, status=429)


logout_view = LogoutView.as_view()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    unit = default_unit(request.user)  # type: ignore[arg-type]
    if unit is None:
        return render(request, "web/no_unit.html")
    return redirect("web:board", unit_code=unit.code)


# --- the board ----------------------------------------------------------------------------


def _metric_code(request: HttpRequest) -> str:
    code = request.GET.get("metric") or "revenue"
    get_metric(code)  # an unknown metric is a user error
    return code


def _kept_args(request: HttpRequest, **changes: str | None) -> str:
    """The board's query string (month, as_of, metric) with ``changes``; ``None`` drops one."""
    args = {k: request.GET[k] for k in ("month", "as_of", "metric") if request.GET.get(k)}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return "?" + urlencode(args) if args else ""


@login_required
@require_GET
@user_errors
def board(request: HttpRequest, unit_code: str) -> HttpResponse:
    unit = access_unit(request.user, unit_code)  # type: ignore[arg-type]
    month, as_of = parse_board_args(request.GET.get("month"), request.GET.get("as_of"))
    metric_code = _metric_code(request)
    the_board = board_for_unit(unit, month=month, as_of=as_of, metric=metric_code)
    rows = [
        {
            "row": row,
            "pace": the_board.pace(row),
            "url": (
                reverse("web:board", args=[row.code]) + _kept_args(request)
                if row.kind == "unit"
                else reverse("web:person", args=[row.code]) + _kept_args(request, metric=None)
            ),
        }
        for row in the_board.rows
    ]
    context = {
        "board": the_board,
        "unit": unit,
        "pace": the_board.pace(the_board),
        "rows": rows,
        "has_people": any(r.kind == "person" for r in the_board.rows),
        "has_former": any(not r.current for r in the_board.rows),
        "breadcrumb": visible_ancestors(request.user, unit)[:-1],  # type: ignore[arg-type]
        "metrics": [get_metric(code) for code in BOARD_METRICS],
        "metric_links": {code: _kept_args(request, metric=code) for code in BOARD_METRICS},
        "prev_month": _kept_args(request, month=f"{add_months(month, -1):%Y-%m}", as_of=None),
        "next_month": _kept_args(request, month=f"{add_months(month, 1):%Y-%m}", as_of=None),
        "query": _kept_args(request),
        "tv_query": urlencode({"units": unit.code, "metric": metric_code}),
        "month_value": f"{month:%Y-%m}",
        "is_today": as_of == timezone.localdate(),
    }
    return render(request, "web/board.html", context)


@login_required
@require_GET
@user_errors
def board_export(request: HttpRequest, unit_code: str) -> HttpResponse:
    from tiejun.imports.exports import board_xlsx

    unit = access_unit(request.user, unit_code)  # type: ignore[arg-type]
    month, as_of = parse_board_args(request.GET.get("month"), request.GET.get("as_of"))
    the_board = board_for_unit(unit, month=month, as_of=as_of, metric=_metric_code(request))
    response = HttpResponse(board_xlsx(the_board), content_type=XLSX)
    filename = f"board-{unit.code}-{month:%Y-%m}-{the_board.metric.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- a person's page ----------------------------------------------------------------------


def _daily_bars(
    series: list[tuple[dt.date, Decimal]],
    *,
    month: dt.date,
    as_of: dt.date,
    target: Decimal | None,
    total_workdays: int,
    is_workday: Callable[[dt.date], bool],
) -> dict[str, Any]:
    """The month day by day, each bar's height relative to the best day (or the daily pace)."""
    values = dict(series)
    pace = target / total_workdays if target and total_workdays else None
    top = max([*values.values(), pace or Decimal(0), Decimal(0)])
    days = []
    day = month
    while day <= month_end(month):
        value = values.get(day, Decimal(0))
        days.append(
            {
                "day": day,
                "value": value,
                "height": f"{float(value / top) * 100:.1f}%" if top and value > 0 else "0%",
                "workday": is_workday(day),
                "future": day > as_of,
                "hit": pace is not None and value >= pace,
            }
        )
        day += dt.timedelta(days=1)
    return {
        "days": days,
        "pace": pace,
        "pace_bottom": f"{float(pace / top) * 100:.1f}%" if pace and top else None,
    }


def _person_page(request: HttpRequest, person: Person) -> HttpResponse:
    viewer: Person = request.user  # type: ignore[assignment]
    month, as_of = parse_board_args(request.GET.get("month"), request.GET.get("as_of"))
    metric_code = _metric_code(request)
    calendar = work_calendar()
    progress = calendar.progress(month, as_of)
    time_progress = progress.time_progress
    figures: list[dict[str, Any]] = []
    targets: dict[str, Decimal | None] = {}
    for code in BOARD_METRICS:
        m = get_metric(code)
        f = person_board(person, month=month, as_of=as_of, metric=code, calendar=calendar)
        completion = f.completion
        pace = None
        if completion is not None and time_progress is not None:
            pace = "ahead" if completion + 1e-9 >= time_progress else "behind"
        figures.append({"metric": m, "f": f, "pace": pace})
        targets[code] = f.target
    chart_metric = get_metric(metric_code)
    chart_target = targets.get(metric_code)
    if metric_code not in targets:
        chart_target = person_board(
            person, month=month, as_of=as_of, metric=metric_code, calendar=calendar
        ).target
    chart = _daily_bars(
        daily_series(metric=metric_code, month=month, as_of=as_of, person=person),
        month=month,
        as_of=as_of,
        target=chart_target,
        total_workdays=progress.total,
        is_workday=calendar.is_workday,
    )
    today = timezone.localdate()
    current = current_or_last_membership(person, today)
    can_move = current is not None and can_move_person(
        viewer, person, current.unit, current.unit, None
    )
    form = None
    if can_move:
        units = manageable_units(viewer)
        if request.method == "POST":
            form = MoveForm(request.POST, units=units)
            if form.is_valid() and not can_move_person(
                viewer,
                person,
                current.unit,  # type: ignore[union-attr]
                form.cleaned_data["unit"],
                form.cleaned_data["role"],
            ):
                form.add_error("role", _("You may not give this role."))
            if form.is_valid():
                try:
                    membership_move(
                        person=person,
                        effective=form.cleaned_data["effective_date"],
                        unit=form.cleaned_data["unit"],
                        role=form.cleaned_data["role"],
                        by=viewer,
                    )
                except TiejunError as error:
                    form.add_tiejun_error(error)
                else:
                    messages.success(
                        request,
                        _("%(name)s moves to %(unit)s as %(role)s from %(day)s.")
                        % {
                            "name": person.name,
                            "unit": form.cleaned_data["unit"].name,
                            "role": Role(form.cleaned_data["role"]).label,
                            "day": form.cleaned_data["effective_date"].isoformat(),
                        },
                    )
                    return redirect("web:person", employee_no=person.employee_no)
        else:
            form = MoveForm(
                units=units,
                initial={"effective_date": today, "unit": current.unit, "role": current.role},  # type: ignore[union-attr]
            )
    elif request.method == "POST":
        raise PermissionDenied(_("You may not move this person."))
    context = {
        "person": person,
        "is_me": person.pk == viewer.pk,
        "month": month,
        "as_of": as_of,
        "month_value": f"{month:%Y-%m}",
        "progress": progress,
        "time_progress": time_progress,
        "figures": figures,
        "chart": chart,
        "chart_metric": chart_metric,
        "metrics": [get_metric(code) for code in BOARD_METRICS],
        "metric_links": {code: _kept_args(request, metric=code) for code in BOARD_METRICS},
        "history": person_history(person),
        "current": current,
        "form": form,
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "web/person.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@user_errors
def me(request: HttpRequest) -> HttpResponse:
    return _person_page(request, request.user)  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "POST"])
@user_errors
def person(request: HttpRequest, employee_no: str) -> HttpResponse:
    return _person_page(request, access_person(request.user, employee_no))  # type: ignore[arg-type]


# --- TV mode ------------------------------------------------------------------------------


def _tv_units(viewer: Person, codes: list[str]) -> list[Unit]:
    """The chosen units the viewer may see, in the order given; by default their own board
    and its children."""
    visible = visible_unit_ids(viewer)
    if codes:
        found = units_by_codes(codes)
        chosen = [found[c] for c in dict.fromkeys(codes) if c in found]
        return [u for u in chosen if u.pk in visible]
    root = default_unit(viewer)
    if root is None:
        return []
    children = Unit.objects.filter(parent=root, pk__in=visible).order_by("sort", "code")
    return [root, *children]


def _tv_args(request: HttpRequest) -> tuple[list[str], str, int]:
    codes = [c.strip() for c in request.GET.get("units", "").split(",") if c.strip()]
    metric_code = _metric_code(request)
    try:
        interval = int(request.GET.get("interval") or settings.TV_ROTATE_SECONDS)
    except ValueError:
        interval = settings.TV_ROTATE_SECONDS
    return codes, metric_code, max(5, min(interval, 3600))


def _tv_panel_context(
    request: HttpRequest, unit: Unit, units: list[Unit], metric_code: str, interval: int
) -> dict[str, Any]:
    month, as_of = parse_board_args(None, None)
    the_board: Board = board_for_unit(unit, month=month, as_of=as_of, metric=metric_code)
    codes = [u.code for u in units]
    position = codes.index(unit.code) if unit.code in codes else -1
    next_code = codes[(position + 1) % len(codes)] if codes else unit.code
    query = urlencode({"units": ",".join(codes), "metric": metric_code, "interval": interval})
    return {
        "board": the_board,
        "pace": the_board.pace(the_board),
        "rows": [{"row": r, "pace": the_board.pace(r)} for r in the_board.rows[:TV_MAX_ROWS]],
        "more_rows": max(0, len(the_board.rows) - TV_MAX_ROWS),
        "next_url": reverse("web:tv_panel", args=[next_code]) + "?" + query,
        "interval": interval,
        "position": position + 1,
        "count": len(codes),
    }


@login_required
@require_GET
@user_errors
def tv(request: HttpRequest) -> HttpResponse:
    codes, metric_code, interval = _tv_args(request)
    units = _tv_units(request.user, codes)  # type: ignore[arg-type]
    context: dict[str, Any] = {"units": units, "interval": interval, "metric_code": metric_code}
    if units:
        context["panel"] = _tv_panel_context(request, units[0], units, metric_code, interval)
    return render(request, "web/tv.html", context)


@login_required
@require_GET
@user_errors
def tv_panel(request: HttpRequest, unit_code: str) -> HttpResponse:
    codes, metric_code, interval = _tv_args(request)
    units = _tv_units(request.user, codes or [unit_code])  # type: ignore[arg-type]
    unit = next((u for u in units if u.code == unit_code), None)
    if unit is None:
        raise Http404(unit_code)
    context = {"panel": _tv_panel_context(request, unit, units, metric_code, interval)}
    return render(request, "web/_tv_panel.html", context)


# --- the org tree -------------------------------------------------------------------------


def _day_arg(request: HttpRequest, name: str) -> dt.date:
    text = request.GET.get(name)
    if not text:
        return timezone.localdate()
    return parse_day(text, field=name) or timezone.localdate()


@login_required
@require_GET
@user_errors
def org_tree(request: HttpRequest) -> HttpResponse:
    day = _day_arg(request, "on")
    trees = [
        _with_totals(unit_tree(root, day))
        for root in board_roots(request.user, day)  # type: ignore[arg-type]
    ]
    return render(request, "web/org.html", {"trees": trees, "day": day})


def _with_totals(nodes: list[TreeNode]) -> list[dict[str, Any]]:
    """Each node of a depth-first tree with the headcount of its whole subtree beside its own."""
    totals = [node.headcount for node in nodes]
    open_nodes: list[int] = []  # indexes of the ancestors of the current node
    for i, node in enumerate(nodes):
        while open_nodes and nodes[open_nodes[-1]].depth >= node.depth:
            open_nodes.pop()
        for ancestor in open_nodes:
            totals[ancestor] += node.headcount
        open_nodes.append(i)
    return [{"node": node, "total": total} for node, total in zip(nodes, totals, strict=True)]


@login_required
@require_GET
@user_errors
def unit_members(request: HttpRequest, unit_code: str) -> HttpResponse:
    day = _day_arg(request, "on")
    unit = access_unit(request.user, unit_code)  # type: ignore[arg-type]
    members = unit_members_on(unit, day).order_by("role", "person__employee_no")
    context = {
        "unit": unit,
        "day": day,
        "members": members,
        "children": unit.children.order_by("sort", "code"),
        "breadcrumb": visible_ancestors(request.user, unit)[:-1],  # type: ignore[arg-type]
        "can_manage": can_manage_unit(request.user, unit),  # type: ignore[arg-type]
    }
    return render(request, "web/members.html", context)
