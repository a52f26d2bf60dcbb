"""Consent records in the admin: read only, since they are evidence."""

from django.contrib import admin

from .models import ConsentRecord


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ("recorded_at", "purpose", "action", "choice", "method", "wording_version")
    list_filter = ("purpose", "action", "method", "wording_version")
    readonly_fields = (
        "supporter", "signature", "purpose", "action", "choice", "wording", "wording_version",
        "language", "method", "recorded_at",
    )  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
