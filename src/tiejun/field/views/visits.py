"""The phone's check-in page (外勤签到), its check-out form and the offline service worker."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tiejun.crm.models import SalesChannel
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from ..models import Interest
from ..selectors.visits import (
    access_visit,
    checkin_customers,
    customer_for_checkin,
    visits_awaiting,
    visits_for,
    visits_held,
)
from ..services.visits import visit_approve, visit_checkout


@login_required
@require_GET
def checkin(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    person = request.user
    customers, planned_ids = checkin_customers(person, today)
    chosen = request.GET.get("customer", "").strip()
    if chosen:
        customer = customer_for_checkin(person, chosen)  # 404 for another's customer
        if customer.pk not in {c.pk for c in customers}:
            customers.insert(0, customer)
    visits = list(visits_for(person, today))
    context = {
        "held": list(visits_held(person)),
        "backdate_days": settings.CHECKIN_BACKDATE_DAYS,
        "today": today,
        "customers": customers,
        "planned_ids": planned_ids,
        "chosen": chosen,
        "visits": visits,
        "interests": Interest.choices,
        "channels": SalesChannel.choices,
        "geofence_m": settings.GEOFENCE_M,
        "photo_max_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024),
        "sw_url": reverse("field:visits-sw"),
        "api_url": "/api/v1/visits",
    }
    return render(request, "field/checkin.html", context)


@login_required
@require_POST
def checkout(request: AuthedRequest, visit_id: str) -> HttpResponse:
    person = request.user
    visit = access_visit(person, visit_id)
    data = request.POST
    next_date = None
    if data.get("next_date", "").strip():
        next_date = parse_date(data["next_date"].strip())
        if next_date is None:
            raise TiejunError(_("the next step's date is not a date YYYY-MM-DD"), field="next_date")
    at = None
    if data.get("checkout_at", "").strip():
        at = parse_datetime(data["checkout_at"].strip())
        if at is None:
            raise TiejunError(_("the check-out time is not a date and time"), field="checkout_at")
    visit_checkout(
        visit=visit,
        by=person,
        at=at,
        met_whom=data.get("met_whom", ""),
        interest=data.get("interest", ""),
        next_step=data.get("next_step", ""),
        next_date=next_date,
        notes=data.get("notes", ""),
        channel=data.get("channel") or None,
    )
    messages.success(
        request,
        _("Checked out of %(customer)s after %(minutes)d minutes")
        % {"customer": visit.customer.name, "minutes": visit.duration_minutes or 0},
    )
    return redirect("field:checkin")


@login_required
@require_GET
def approvals(request: AuthedRequest) -> HttpResponse:
    """The supervisor's list of late check-ins waiting for approval."""
    person = request.user
    context = {
        "visits": list(visits_awaiting(person)[:500]),
        "backdate_days": settings.CHECKIN_BACKDATE_DAYS,
    }
    return render(request, "field/visit_approvals.html", context)


@login_required
@require_POST
def approval(request: AuthedRequest, visit_id: str) -> HttpResponse:
    person = request.user
    visit = access_visit(person, visit_id)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "refuse"):
        raise TiejunError(_("choose approve or refuse"), field="decision")
    visit = visit_approve(visit=visit, by=person, approve=decision == "approve")
    if decision == "approve":
        text = _("Approved: %(customer)s, %(when)s.")
    else:
        text = _("Refused: %(customer)s, %(when)s.")
    when = timezone.localtime(visit.checkin_at)
    messages.success(
        request, text % {"customer": visit.customer.name, "when": f"{when:%Y-%m-%d %H:%M}"}
    )
    return redirect("field:visit-approvals")


SERVICE_WORKER = """// Tiejun check-in: keeps the page shell for when the phone is offline.
const CACHE = "tiejun-checkin-v1";
const SHELL = %(shell)s;
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});
self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;  // check-ins go to the network; the page queues them
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const shell = SHELL.includes(url.pathname) || req.mode === "navigate";
  if (!shell) return;
  // Network first (the page lists today's customers), the cached shell when offline.
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok && res.type === "basic") {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(url.pathname, copy));
        }
        return res;
      })
      .catch(() => caches.match(url.pathname).then((hit) => hit || caches.match(SHELL[0])))
  );
});
"""


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [
        reverse("field:checkin"),
        static("field/checkin.js"),
        static("field/checkin.css"),
        static("web/tiejun.css"),
    ]
    body = SERVICE_WORKER % {"shell": json.dumps(shell)}
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:checkin").rsplit("/", 2)[0] + "/"
    return response
