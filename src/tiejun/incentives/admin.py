from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    MilestoneException,
    MilestoneReached,
    Plan,
    PlanMilestone,
    Statement,
    StatementLine,
)


class PlanMilestoneInline(admin.TabularInline):
    model = PlanMilestone
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "effective_from", "effective_to", "metric")
    list_filter = ("metric",)
    search_fields = ("code", "name")
    filter_horizontal = ("units",)
    inlines = [PlanMilestoneInline]
    readonly_fields = ("source", "loaded_by", "loaded_at")


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    """Approved statements are frozen: read here, never edited (a correction is an adjustment
    in a later month)."""

    list_display = ("person", "month", "plan_code", "total", "approved_by", "approved_at")
    list_filter = ("month", "plan_code")
    search_fields = ("person__employee_no", "person__name")
    list_select_related = ("person", "approved_by")
    inlines = [StatementLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MilestoneReached)
class MilestoneReachedAdmin(admin.ModelAdmin):
    list_display = ("person", "milestone", "year", "reached_on")
    list_select_related = ("person", "milestone", "milestone__plan")


@admin.register(MilestoneException)
class MilestoneExceptionAdmin(admin.ModelAdmin):
    """Read here; asked for with a move's milestone choice and decided on the exceptions page
    (a manager a level up, audited), never edited by hand."""

    list_display = ("person", "milestone", "year", "status", "requested_by", "decided_by")
    list_filter = ("status", "year")
    search_fields = ("person__employee_no", "person__name")
    list_select_related = ("person", "milestone", "milestone__plan", "requested_by", "decided_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
