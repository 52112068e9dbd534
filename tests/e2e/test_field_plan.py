"""A rep plans tomorrow in Chromium: adds customers, optimises the route, prints the sheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tiejun.crm.services.customers import customer_create
from tiejun.field.models import PlanStop, VisitPlan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WEST_LAKE = (Decimal("30.2590"), Decimal("120.1490"))


def test_rep_plans_a_day_optimises_and_prints_the_route_sheet(page):
    org = build_org()
    rep = org.reps["R1"]
    # given: four customers of R1 near the West Lake, on a straight line going east
    for i, code in enumerate(["C1", "C2", "C3", "C4"]):
        lat, lon = WEST_LAKE
        customer_create(
            code=code,
            name=f"西湖客户{code}",
            owner=rep,
            by=rep,
            lat=lat,
            lon=lon + Decimal("0.01") * (3 - i),
        )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    # leave from home in the west, end the day at the office in the east: one best order
    lat, lon = WEST_LAKE
    VisitPlan.objects.create(
        person=rep,
        date=tomorrow,
        start_label="家",
        start_lat=lat,
        start_lon=lon - Decimal("0.02"),
        end_label="公司",
        end_lat=lat,
        end_lon=lon + Decimal("0.05"),
    )
    log_in(page, "R1")
    page.goto(f"{page.base_url}/field/plans/R1/{tomorrow.isoformat()}/")
    # when: the rep adds them in a poor order and optimises
    page.fill("#add-codes input[name=codes]", "C1,C3,C2,C4")
    page.click("#add-codes button[name=action]")
    expect(page.locator("table tbody tr")).to_have_count(4)
    page.click("#optimise")
    # then: the order follows the line from west to east, with arrival times
    expect(page.locator("table tbody tr").first).to_contain_text("西湖客户C4")
    order = list(
        PlanStop.objects.filter(plan__person=rep, plan__date=tomorrow)
        .order_by("seq")
        .values_list("customer__code", flat=True)
    )
    assert order == ["C4", "C3", "C2", "C1"]
    assert all(
        PlanStop.objects.filter(plan__person=rep, plan__date=tomorrow).values_list(
            "arrival", flat=True
        )
    )
    # and: the printable route sheet carries every stop; the PDF downloads
    page.click("#sheet-link")
    for code in ["C1", "C2", "C3", "C4"]:
        expect(page.locator("body")).to_contain_text(f"西湖客户{code}")
    pdf = page.request.get(f"{page.base_url}/field/plans/R1/{tomorrow.isoformat()}/sheet.pdf")
    assert pdf.ok
    assert pdf.body().startswith(b"%PDF")
