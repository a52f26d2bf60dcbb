"""Organisers see declarations and their places; changes go through the artist's page (and
its services), so that every change is an audit event."""

from django.contrib import admin

from .models import OptOutDeclaration, OptOutLocation


class OptOutLocationInline(admin.TabularInline):
    model = OptOutLocation
    extra = 0
    fields = ("url", "status", "check_result", "checked_at", "added_at")
    readonly_fields = fields
    can_delete = False


@admin.register(OptOutDeclaration)
class OptOutDeclarationAdmin(admin.ModelAdmin):
    list_display = ("supporter", "status", "declared_at", "withdrawn_at", "uid")
    list_filter = ("status",)
    search_fields = ("supporter__full_name", "supporter__email", "uid")
    readonly_fields = (
        "supporter", "uid", "status", "declared_at", "withdrawn_at", "licensing_url",
    )  # fmt: skip
    inlines = [OptOutLocationInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
