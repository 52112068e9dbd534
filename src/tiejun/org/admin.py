"""The admin site: the company calendar is edited here; the org is read here.

Units, people and memberships change through the services (pages, API, imports), which keep
history and credit facts; the admin shows them read-only so nobody rewrites history by hand.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .checks import MoveNeedsConfirmation
from .models import Membership, Person, Unit, WorkdayOverride
from .services import person_deactivate_checked, person_reactivate


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["employee_no", "name", "email", "is_active"]
    search_fields = ["employee_no", "name", "email"]
    exclude = ["password"]
    actions = ["deactivate", "reactivate"]

    @admin.action(description=_("Deactivate (end sessions, revoke API tokens)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        """Deactivate each person whom no leaver check holds back; one whose leaving would
        forfeit something (a milestone) is left active with a warning saying what and how to
        decide (the CLI's ``--choice``), as the CLI and the directory sync refuse it."""
        by = request.user if isinstance(request.user, Person) else None
        for person in queryset:
            try:
                person_deactivate_checked(person=person, by=by)
            except MoveNeedsConfirmation as refused:
                options = dict.fromkeys(o for w in refused.warnings for o in w.options)
                how = _(
                    "Decide with: tiejun person deactivate %(no)s --choice milestone=%(options)s"
                ) % {"no": person.employee_no, "options": "|".join(options)}
                self.message_user(
                    request,
                    format_html(
                        '{} — {} {} <a href="{}">{}</a>',
                        _("%(person)s was not deactivated") % {"person": person},
                        "; ".join(str(w.message) for w in refused.warnings),
                        how,
                        reverse("scoreboard:person", args=[person.employee_no]),
                        _("Their page"),
                    ),
                    level=messages.WARNING,
                )

    @admin.action(description=_("Reactivate"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        for person in queryset:
            person_reactivate(person=person)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["person", "unit", "role", "valid_from", "valid_to"]
    list_filter = ["role"]
    search_fields = ["person__employee_no", "person__name", "unit__code"]
    list_select_related = ["person", "unit"]
