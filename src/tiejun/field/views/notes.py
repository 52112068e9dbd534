"""Field note pages (晚分享): the branch's notes, the best first, search by text and tag, post a
note, star one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from ..selectors.notes import access_note, notes_page
from ..services.notes import note_post
from ..services.notes import note_star as note_star_set


@login_required
@require_http_methods(["GET", "POST"])
def notes(request: AuthedRequest) -> HttpResponse:
    """The branch's field notes: the best first, then search by text and tag; post a note."""
    error: TiejunError | None = None
    if request.method == "POST":
        try:
            note_post(
                person=request.user,
                customer_type=request.POST.get("customer_type", ""),
                objection=request.POST.get("objection", ""),
                answer=request.POST.get("answer", ""),
                tags=request.POST.get("tags", ""),
            )
        except TiejunError as exc:
            error = exc
        else:
            messages.success(request, _("Thank you for sharing."))
            return redirect("field:notes")
    page = notes_page(
        request.user,
        query=request.GET.get("q", ""),
        tag=request.GET.get("tag", ""),
    )
    return render(
        request,
        "field/notes.html",
        {
            "page": page,
            "best": [(n, page.can_star(n)) for n in page.best],
            "notes": [(n, page.can_star(n)) for n in page.notes],
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def note_star(request: AuthedRequest, pk: int) -> HttpResponse:
    note = access_note(request.user, pk)
    note_star_set(
        viewer=request.user,
        note=note,
        starred=request.POST.get("starred", "1") != "0",
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("field:notes")
    return redirect(target)
