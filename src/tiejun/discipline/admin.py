from django.contrib import admin
from django.http import HttpRequest

from .models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The configurable list of red lines: add one, rename it, retire it (a category that cases
    use cannot be deleted). The audit trail records admin edits by itself (``audit.tracking``)."""

    list_display = ["code", "name", "active", "sort"]
    list_editable = ["active", "sort"]
    ordering = ["sort", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or not obj.cases.exists()
        )
