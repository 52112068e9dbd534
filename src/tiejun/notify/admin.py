"""The outbox in the admin: read-only rows (the services own the state), a retry action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Message
from .services import message_retry


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "channel",
        "display_address",
        "key",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["key", "address", "subject", "last_error"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    # The address may carry a robot's secret in its fragment: the admin shows it without.
    fields = readonly_fields = (
        "channel",
        "display_address",
        "key",
        "subject",
        "text",
        "html",
        "markdown",
        "payload",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "lease_until",
        "created_at",
        "sent_at",
        "provider_id",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # viewing only; the state changes through the services (retry action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Retry the selected failed messages"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = message_retry(ids=queryset.values_list("id", flat=True))
        self.message_user(
            request, _("%(count)d failed messages re-queued.") % {"count": count}, messages.SUCCESS
        )
