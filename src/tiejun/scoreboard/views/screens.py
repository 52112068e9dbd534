"""Saved wall screens: the list, the form to save one and the delete button. Opening a screen on
the TV is ``tv.tv_screen`` (``/tv/s/<code>/``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from ..models import PANEL_CHOICES, SavedScreen
from ..screen_forms import ScreenForm
from ..screens import (
    access_screen_to_edit,
    can_save_screens,
    screen_create,
    screen_delete,
    screen_units,
    screen_update,
    screens_for_user,
)


def _may_save(request: AuthedRequest) -> None:
    if not can_save_screens(request.user):
        raise PermissionDenied(_("Only admins, managers and supervisors save wall screens."))


@login_required
def screen_list(request: AuthedRequest) -> HttpResponse:
    _may_save(request)
    screens = list(screens_for_user(request.user))
    titles = dict(PANEL_CHOICES)
    rows = [
        {
            "screen": s,
            "units": screen_units(s),
            "panels": [titles.get(p, p) for p in s.panels],
            "url": request.build_absolute_uri(reverse("scoreboard:tv_screen", args=[s.code])),
        }
        for s in screens
    ]
    return render(request, "scoreboard/screens.html", {"rows": rows})


def _save(request: AuthedRequest, form: ScreenForm, screen: SavedScreen | None) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    fields = {
        "by": request.user,
        "name": data["name"],
        "units": form.chosen_units(),
        "metric": data["metric"],
        "seconds": data["seconds"],
        "panels": data["panels"],
        "sound": data["sound"],
    }
    try:
        if screen is None:
            screen = screen_create(**fields)
        else:
            screen = screen_update(screen=screen, **fields)
    except TiejunError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return False
    messages.success(
        request,
        _("Saved. Open it on the TV at /tv/s/%(code)s/ or type the code %(code)s.")
        % {"code": screen.code},
    )
    return True


@login_required
@require_http_methods(["GET", "POST"])
def screen_new(request: AuthedRequest) -> HttpResponse:
    _may_save(request)
    form = ScreenForm(request.POST or None, person=request.user)
    if request.method == "POST" and _save(request, form, None):
        return redirect("scoreboard:screens")
    return render(request, "scoreboard/screen_form.html", {"form": form, "screen": None})


@login_required
@require_http_methods(["GET", "POST"])
def screen_edit(request: AuthedRequest, code: str) -> HttpResponse:
    _may_save(request)
    screen = access_screen_to_edit(request.user, code)
    initial = {
        "name": screen.name,
        "units": [u.code for u in screen_units(screen)],
        "metric": screen.metric,
        "seconds": screen.seconds,
        "panels": list(screen.panels),
        "sound": screen.sound,
    }
    form = ScreenForm(request.POST or None, person=request.user, initial=initial)
    if request.method == "POST" and _save(request, form, screen):
        return redirect("scoreboard:screens")
    return render(request, "scoreboard/screen_form.html", {"form": form, "screen": screen})


@login_required
@require_POST
def screen_remove(request: AuthedRequest, code: str) -> HttpResponse:
    _may_save(request)
    screen = access_screen_to_edit(request.user, code)
    name = screen.name
    screen_delete(screen=screen, by=request.user)
    messages.success(request, _("Screen %(name)s deleted.") % {"name": name})
    return redirect("scoreboard:screens")
