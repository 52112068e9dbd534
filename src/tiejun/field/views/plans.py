"""Visit plan pages: choose the day's customers, optimise, reorder, print the route sheet (a page,
or a PDF made with ReportLab with a CJK TrueType font embedded: WenQuanYi Micro Hei from the
Debian package fonts-wqy-microhei, else the built-in CID font STSong-Light, which PDF readers
must supply themselves and which lacks some punctuation)."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from typing import Any
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tiejun import routing
from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.money import money
from tiejun.org.models import Person

from ..models import VisitPlan
from ..selectors.customers import customer_briefs
from ..selectors.plans import (
    access_planner,
    plan_for,
    plan_route,
    plan_stops,
    plan_suggestions,
    plannable_people,
    route_input,
)
from ..services.plans import (
    plan_add_customers,
    plan_get_or_create,
    plan_move,
    plan_optimise,
    plan_remove_customer,
    plan_update,
)

FONT = "STSong-Light"  # the fallback: not embedded, no glyph for "·"
EMBEDDED_FONT = "TiejunCJK"
# TrueType CJK fonts (TrueType outlines: ReportLab embeds no CFF) by Debian package, best first.
FONT_FILES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # fonts-arphic-uming
)


def _day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404(_("No such date.")) from None
    return check_day(day, field="date")


def _time(text: str, field: str) -> dt.time | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        seconds = routing.parse_hhmm(text)
    except ValueError:
        raise TiejunError(_("Enter a time HH:MM."), field=field) from None
    return dt.time(min(seconds, 86340) // 3600, min(seconds, 86340) % 3600 // 60)


@login_required
def plan_home(request: AuthedRequest) -> HttpResponse:
    """Today's plan (or ?date=, ?person=) of the user or of a rep they lead."""
    day = request.GET.get("date") or timezone.localdate().isoformat()
    employee_no = request.GET.get("person") or request.user.employee_no
    _day(day)
    return redirect("field:plan", employee_no=employee_no, day=day)


def _stop_rows(stops: list, route: routing.Route) -> list[dict[str, Any]]:
    late = set(route.late)
    legs = dict(
        zip(
            route.order, zip(route.leg_distance_m, route.leg_duration_s, strict=False), strict=False
        )
    )
    rows = []
    for stop in stops:
        code = stop.customer.code
        arrival = route.arrivals.get(code)
        distance, duration = legs.get(code, (None, None))
        rows.append(
            {
                "stop": stop,
                "customer": stop.customer,
                "arrival": routing.hhmm(arrival) if arrival is not None else "",
                "leaves": routing.hhmm(arrival + stop.service_minutes * 60)
                if arrival is not None
                else "",
                "leg_km": f"{distance / 1000:.1f}" if distance is not None else "",
                "leg_min": round(duration / 60) if duration is not None else "",
                "late": code in late,
                "unplaced": arrival is None,
                "navigate": navigation_links(stop.customer),
                "tel": tel_uri(stop.customer.phone),
            }
        )
    return rows


def navigation_links(customer: Any) -> dict[str, str]:
    """Links that open the customer in a maps app, by each app's public URI scheme (the
    coordinates are WGS-84, which AMap and Baidu are told so they convert them)."""
    if customer.lat is None or customer.lon is None:
        return {}
    lat, lon, name = f"{customer.lat}", f"{customer.lon}", customer.name
    amap = urlencode(
        {
            "to": f"{lon},{lat},{name}",
            "mode": "car",
            "coordinate": "wgs84",
            "callnative": "1",
            "src": "tiejun",
        },
        quote_via=quote,
        safe=",",
    )
    baidu = urlencode(
        {
            "destination": f"latlng:{lat},{lon}|name:{name}",
            "coord_type": "wgs84",
            "mode": "driving",
            "src": "tiejun",
        },
        quote_via=quote,
        safe=",:|",
    )
    apple = urlencode(
        {"daddr": f"{lat},{lon}", "q": name, "dirflg": "d"}, quote_via=quote, safe=","
    )
    return {
        "amap": f"https://uri.amap.com/navigation?{amap}",
        "baidu": f"baidumap://map/direction?{baidu}",
        "apple": f"https://maps.apple.com/?{apple}",
    }


def tel_uri(phone: str) -> str:
    """``tel:`` with the digits of ``phone`` (and a leading +), or "" when there are none."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    digits = digits[:1] + digits[1:].replace("+", "")
    return f"tel:{digits}" if len(digits.strip("+")) >= 3 else ""


def _context(person: Person, day: dt.date) -> dict[str, Any]:
    plan = plan_for(person, day)
    stops = plan_stops(plan)
    shown = plan or VisitPlan(person=person, date=day)
    route = plan_route(shown, stops)
    data = route_input(shown, stops)
    map_points = {
        "start": [data.depot.lat, data.depot.lon] if stops else None,
        "end": [data.end.lat, data.end.lon] if data.end else None,
        "stops": [
            {"code": p.id, "name": data.by_code[p.id].customer.name, "lat": p.lat, "lon": p.lon}
            for p in (next(s for s in data.stops if s.id == c) for c in route.order)
        ],
    }
    return {
        "person": person,
        "day": day,
        "plan": shown,
        "saved": plan is not None,
        "rows": _stop_rows(stops, route),
        "route": route,
        "start_at": routing.hhmm(route.start_at),
        "return_at": routing.hhmm(route.return_at),
        "lunch_at": routing.hhmm(route.lunch_at) if route.lunch_at is not None else "",
        "total_km": f"{route.distance_m / 1000:.1f}",
        "total_min": round(route.duration_s / 60),
        "late_back": (data.end or data.depot).id in route.late,
        "map_points": map_points,
        "tiles": settings.MAP_TILES,
        "has_stops": bool(stops),
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }


@login_required
def plan_page(request: AuthedRequest, employee_no: str, day: str) -> HttpResponse:
    person = access_planner(request.user, employee_no)
    date = _day(day)
    if request.method == "POST":
        try:
            _act(request, person, date)
        except NotFound:
            raise  # a customer the person may not see: the page answers 404
        except TiejunError as exc:
            messages.error(request, str(exc))
        return redirect("field:plan", employee_no=person.employee_no, day=date.isoformat())
    context = _context(person, date)
    context["suggestions"] = plan_suggestions(person, date, [r["stop"] for r in context["rows"]])
    context["people"] = plannable_people(request.user)
    return render(request, "field/plan.html", context)


def _act(request: AuthedRequest, person: Person, date: dt.date) -> None:
    action = request.POST.get("action", "")
    plan = plan_get_or_create(person=person, date=date)
    if action == "add":
        codes = request.POST.getlist("customer") + (request.POST.get("codes", "").split(","))
        added = plan_add_customers(plan=plan, codes=codes)
        messages.success(request, _("%(n)s customers added.") % {"n": len(added)})
    elif action == "remove":
        plan_remove_customer(plan=plan, code=request.POST.get("customer", ""))
    elif action in ("up", "down"):
        plan_move(plan=plan, code=request.POST.get("customer", ""), up=action == "up")
    elif action == "optimise":
        route = plan_optimise(plan=plan)
        if route.dropped:
            messages.warning(
                request,
                _("Do not fit into the day: %(codes)s") % {"codes": ", ".join(route.dropped)},
            )
        else:
            messages.success(request, _("Route optimised."))
    elif action == "settings":
        post = request.POST
        try:
            lunch_minutes = int(post.get("lunch_minutes") or 0)
        except ValueError:
            raise TiejunError(_("Enter a number."), field="lunch_minutes") from None
        plan_update(
            plan=plan,
            start_label=post.get("start_label", ""),
            start_lat=post.get("start_lat"),
            start_lon=post.get("start_lon"),
            end_label=post.get("end_label", ""),
            end_lat=post.get("end_lat"),
            end_lon=post.get("end_lon"),
            day_starts_at=_time(post.get("day_starts_at", ""), "day_starts_at"),
            day_ends_at=_time(post.get("day_ends_at", ""), "day_ends_at"),
            lunch_from=_time(post.get("lunch_from", ""), "lunch_from"),
            lunch_minutes=lunch_minutes,
        )
        messages.success(request, _("Plan saved."))
    else:
        raise TiejunError(_("Unknown action."))


def _sheet_context(request: AuthedRequest, employee_no: str, day: str) -> dict[str, Any]:
    person = access_planner(request.user, employee_no)
    date = _day(day)
    context = _context(person, date)
    briefs = customer_briefs([r["customer"] for r in context["rows"]])
    for row in context["rows"]:
        row["brief"] = briefs.get(row["customer"].pk)
        row["last_visit"] = last_visit(row)
        row["leg"] = _leg(row)
    return context


@login_required
def plan_sheet(request: AuthedRequest, employee_no: str, day: str) -> HttpResponse:
    context = _sheet_context(request, employee_no, day)
    context["pdf_url"] = reverse("field:plan-pdf", args=[employee_no, day])
    return render(request, "field/plan_sheet.html", context)


@login_required
def plan_pdf(request: AuthedRequest, employee_no: str, day: str) -> HttpResponse:
    context = _sheet_context(request, employee_no, day)
    body = route_sheet_pdf(context)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"route-{context['person'].employee_no}-{context['day'].isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the route sheet as a PDF ---------------------------------------------------------------


def _font() -> str:
    """The font the route sheet is set in: an embedded CJK TrueType font when the machine has
    one (registered once per process), else the reader's own STSong-Light."""
    registered = pdfmetrics.getRegisteredFontNames()
    if EMBEDDED_FONT in registered:
        return EMBEDDED_FONT
    for path, index in FONT_FILES:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont(EMBEDDED_FONT, path, subfontIndex=index))
            return EMBEDDED_FONT
    if FONT not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    text = str(text)
    if style.fontName == FONT:  # STSong-Light has no middle dot: a box would print
        text = text.replace("·", "-")
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def last_visit(row: dict[str, Any]) -> str:
    """The day of the customer's last visit (else of the last follow-up), as the sheet says it."""
    brief = row.get("brief")
    visits = brief.visits if brief is not None else []
    if visits:
        day = timezone.localtime(visits[0].checkin_at).date()
        return _("last visit %(day)s") % {"day": day.isoformat()}
    followed = row["customer"].last_activity_on
    if followed:
        return _("no visit recorded · last follow-up %(day)s") % {"day": followed.isoformat()}
    return _("no visit recorded")


def _leg(row: dict[str, Any]) -> str:
    if not row["leg_km"]:
        return ""
    return _("%(km)s km · %(min)s min") % {"km": row["leg_km"], "min": row["leg_min"]}


def route_sheet_pdf(context: dict[str, Any], *, compress: bool = True) -> bytes:
    """The PDF bytes of the route sheet built by ``_sheet_context``."""
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.grey)
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=20, spaceAfter=4)
    head = ParagraphStyle("head", parent=base, fontSize=11, leading=15, spaceBefore=6)
    person, day, plan = context["person"], context["day"], context["plan"]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("Route sheet %(no)s %(date)s") % {"no": person.employee_no, "date": day},
        author=person.name,
        pageCompression=1 if compress else 0,
    )
    story: list[Any] = [
        _p(
            _("Route sheet") + f" · {person.name} ({person.employee_no}) · {day.isoformat()}", title
        ),
        _p(
            _("Leave %(start)s from %(from)s · back %(back)s · %(km)s km · %(min)s min driving")
            % {
                "start": context["start_at"],
                "from": plan.start_label or _("start"),
                "back": context["return_at"],
                "km": context["total_km"],
                "min": context["total_min"],
            }
            + (f" · {_('Lunch')} {context['lunch_at']}" if context["lunch_at"] else ""),
            base,
        ),
        Spacer(1, 4 * mm),
    ]
    header = [_("#"), _("Arrival"), _("Customer"), _("Address"), _("Phone"), _("Leg")]
    rows = [[_p(h, base) for h in header]]
    for n, row in enumerate(context["rows"], start=1):
        customer = row["customer"]
        arrival = row["arrival"] or _("does not fit")
        priority = _("priority %(p)s") % {"p": customer.get_priority_display()}
        rows.append(
            [
                _p(n, base),
                _p(arrival, base),
                _p(f"{customer.name}\n{customer.code} · {priority}\n{last_visit(row)}", base),
                _p(customer.address, base),
                _p(customer.phone, base),
                _p(_leg(row), base),
            ]
        )
    table = Table(
        rows, colWidths=[8 * mm, 16 * mm, 48 * mm, 58 * mm, 28 * mm, 24 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)

    for n, row in enumerate(context["rows"], start=1):
        customer, brief = row["customer"], row.get("brief")
        block: list[Any] = [
            _p(f"{n}. {customer.name} ({customer.code}) {row['arrival']}", head),
            _p(f"{customer.address} · {last_visit(row)}", small),
        ]
        if brief is not None:
            contacts = "; ".join(
                " ".join(x for x in (c.name, c.title, c.phone) if x) for c in brief.contacts
            )
            block.append(_p(_("Contacts") + ": " + (contacts or "—"), base))
            visits = "; ".join(
                f"{timezone.localtime(v.checkin_at):%Y-%m-%d} {v.person.name}"
                + (f" {v.get_interest_display()}" if v.interest else "")
                + (f" {v.next_step}" if v.next_step else "")
                for v in brief.visits
            )
            block.append(_p(_("Last visits") + ": " + (visits or "—"), base))
            opportunities = "; ".join(
                f"{o.title} · {o.get_stage_display()} · {money(o.amount)}"
                + (f" · {o.expected_close}" if o.expected_close else "")
                for o in brief.opportunities
            )
            block.append(_p(_("Open opportunities") + ": " + (opportunities or "—"), base))
        if customer.notes:
            block.append(_p(_("Notes") + ": " + customer.notes, base))
        story.append(KeepTogether(block))
    doc.build(story)
    return buffer.getvalue()
