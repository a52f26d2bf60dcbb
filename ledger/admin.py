"""The ledger in the admin: read-only. Its rows are facts once written; even a superuser
cannot change or delete them here (the verifier would catch it anyway)."""

from __future__ import annotations

from django.contrib import admin

from .models import Entry, Log, TreeHead


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Log)
class LogAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "size", "counted", "sequenced_at"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["index", "kind", "reason", "recorded_at", "commitment"]
    list_filter = ["kind", "reason"]
    search_fields = ["=commitment"]
    show_full_result_count = False


@admin.register(TreeHead)
class TreeHeadAdmin(ReadOnlyAdmin):
    list_display = ["log", "size", "timestamp", "counted", "key_id"]
