"""The rep's day at a glance: the way into plans, check-ins, the daily report and field notes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tiejun.http import AuthedRequest


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    return render(request, "field/home.html", {"today": timezone.localdate()})
