"""The Django admin (superusers only) shows the abuse controls' rows read-only: organisers
change them in the back office, where every change is audited."""

from django.contrib import admin

from .models import (
    Invalidation,
    KillSwitches,
    ListEntry,
    RateLimit,
    SigningContext,
    SpikeAlert,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SigningContext)
class SigningContextAdmin(ReadOnlyAdmin):
    list_display = ("signature", "ip", "email_domain", "created_at", "verdict")
    list_filter = ("created_at",)
    search_fields = ("ip_range", "email_domain", "canonical_email")
    raw_id_fields = ("signature", "spike_alert")


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_display = ("verdict", "kind", "value", "note", "created_at", "created_by")
    list_filter = ("verdict", "kind")
    search_fields = ("value", "note")


@admin.register(RateLimit)
class RateLimitAdmin(ReadOnlyAdmin):
    list_display = ("scope", "per", "limit", "window_seconds", "updated_at", "updated_by")


@admin.register(KillSwitches)
class KillSwitchesAdmin(ReadOnlyAdmin):
    list_display = ("signing_paused", "read_only", "updated_at", "updated_by")


@admin.register(SpikeAlert)
class SpikeAlertAdmin(ReadOnlyAdmin):
    list_display = ("kind", "key", "signature_count", "held_count", "first_seen_at")
    list_filter = ("kind",)


@admin.register(Invalidation)
class InvalidationAdmin(ReadOnlyAdmin):
    list_display = ("reason", "status", "changed_count", "restored_count", "created_at")
    list_filter = ("status",)
