"""Updates in the Django admin (superusers): read only. Organisers write, send and publish
them in the back office (/organise/updates/), where every step is checked and audited."""

from django.contrib import admin

from .models import Update


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "created_at",
        "send_started_at",
        "recipients_queued",
        "is_published",
    )
    list_filter = ("status", "is_published")
    search_fields = ("title_en", "title_fr")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
