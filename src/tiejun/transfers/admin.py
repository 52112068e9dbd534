from django.contrib import admin

from .models import Office, TransferOrder


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "address", "lat", "lon", "radius_m")
    search_fields = ("name", "address", "unit__name", "unit__code")


@admin.register(TransferOrder)
class TransferOrderAdmin(admin.ModelAdmin):
    list_display = ("person", "to_unit", "effective", "report_by", "acknowledged_at", "reported_at")
    readonly_fields = [f.name for f in TransferOrder._meta.fields]

    def has_add_permission(self, request: object) -> bool:  # issued through the service only
        return False
