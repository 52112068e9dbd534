from django.contrib import admin

from .models import Attendee, Event, SalesModel, Touch


@admin.register(SalesModel)
class SalesModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "one_to_many", "active", "sort")
    list_editable = ("active", "sort")
    search_fields = ("code", "name", "name_en")


class AttendeeInline(admin.TabularInline):
    model = Attendee
    raw_id_fields = ("customer",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "title", "model", "unit", "date", "hours", "cost")
    list_filter = ("model",)
    search_fields = ("event_id", "title")
    raw_id_fields = ("unit",)
    date_hierarchy = "date"
    # Attendees are added through the import (or attendee_add), which also shares out the
    # event's hours and cost among them; the inline only shows who came.
    inlines = [AttendeeInline]

    def get_inline_instances(self, request, obj=None):  # type: ignore[no-untyped-def]
        return super().get_inline_instances(request, obj) if obj is not None else []


@admin.register(Touch)
class TouchAdmin(admin.ModelAdmin):
    list_display = (
        "activity_id",
        "model",
        "person",
        "customer",
        "unit",
        "date",
        "hours",
        "cost",
        "source",
    )
    list_filter = ("model", "source")
    search_fields = ("activity_id", "customer__code", "person__employee_no")
    raw_id_fields = ("person", "customer", "unit", "event")
    list_select_related = ("model", "person", "customer", "unit")
    date_hierarchy = "date"
