"""/audit/: the audit trail, for administrators; anyone else gets 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tiejun.errors import NotFound
from tiejun.http import AuthedRequest

from .kinds import ACTIONS, OBJECT_TYPES, SOURCES
from .selectors import AuditFilters, audit_entries, field_changes, filter_choices, object_label

PAGE_SIZE = 50


@login_required
@require_GET
def audit_list(request: AuthedRequest) -> HttpResponse:
    filters = AuditFilters.from_query(request.GET)
    try:
        qs = audit_entries(request.user, filters)
    except NotFound:
        raise Http404(_("No such page.")) from None
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {
            "entry": entry,
            "type_label": OBJECT_TYPES.get(entry.object_type, entry.object_type),
            "action_label": ACTIONS.get(entry.action, entry.action),
            "source_label": SOURCES.get(entry.source, entry.source),
            "changes": field_changes(entry),
            "object": object_label(entry),
        }
        for entry in page.object_list
    ]
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": query.urlencode(),
            **filter_choices(),
        },
    )
