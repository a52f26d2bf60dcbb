from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from .models import (
    AuditEvent,
    Campaign,
    Demand,
    KeyMessage,
    LaunchSupporter,
    OutboundEmail,
    Solution,
    Stake,
)
from .outbox import OutboxError, cancel_email, retry_email


class ItemInline(TranslationStackedInline):
    extra = 0
    fields = ("position", "title", "body")


class KeyMessageInline(ItemInline):
    model = KeyMessage


class DemandInline(ItemInline):
    model = Demand


class StakeInline(ItemInline):
    model = Stake


class SolutionInline(ItemInline):
    model = Solution


class LaunchSupporterInline(admin.TabularInline):
    model = LaunchSupporter
    extra = 0
    fields = ("position", "name", "field_of_work")


@admin.register(Campaign)
class CampaignAdmin(TranslationAdmin):
    list_display = ("title", "slug", "status", "goal", "signature_count", "launch_date")
    list_filter = ("status",)
    readonly_fields = ("signature_count", "count_refreshed_at")
    prepopulated_fields = {"slug": ("title_en",)}
    fieldsets = (
        (None, {"fields": ("slug", "status", "launch_date", "goal")}),
        (_("Text"), {"fields": ("title", "summary", "appeal", "why_it_matters", "about")}),
        (_("Count"), {"fields": ("signature_count", "count_refreshed_at")}),
    )
    inlines = [KeyMessageInline, DemandInline, StakeInline, SolutionInline, LaunchSupporterInline]


@admin.register(KeyMessage, Demand, Stake, Solution)
class ItemAdmin(TranslationAdmin):
    list_display = ("title", "campaign", "position")
    list_filter = ("campaign",)
    list_editable = ("position",)
    ordering = ("campaign", "position")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The email queue, for organisers to watch. Rows are written only by the outbox services:
    nothing here can be edited; the actions send again or cancel through those services."""

    list_display = (
        "created_at",
        "recipient",
        "kind",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "kind", "language")
    search_fields = ("recipient", "subject", "dedup_key", "message_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    actions = ("retry", "cancel")
    fieldsets = (
        (None, {"fields": ("recipient", "language", "kind", "subject", "status")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "attempts",
                    "next_attempt_at",
                    "claimed_at",
                    "sent_at",
                    "last_error",
                    "message_id",
                    "dedup_key",
                    "headers",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (_("Message"), {"fields": ("text_body", "html_body")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboundEmail) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(description=_("Send the selected emails again"), permissions=["change"])
    def retry(self, request, queryset):
        done, refused = self._apply(request, queryset, retry_email)
        if done:
            message = ngettext(
                "%(count)d email queued to be sent again.",
                "%(count)d emails queued to be sent again.",
                done,
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        self._report_refused(request, refused)

    @admin.action(description=_("Cancel the selected emails"), permissions=["change"])
    def cancel(self, request, queryset):
        done, refused = self._apply(request, queryset, cancel_email)
        if done:
            message = ngettext("%(count)d email cancelled.", "%(count)d emails cancelled.", done)
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        self._report_refused(request, refused)

    def _apply(self, request, queryset, service) -> tuple[int, int]:
        """Call ``service`` on each selected row, on behalf of ``request.user`` (audited); count
        those it handled and those it refused."""
        done = refused = 0
        for email_id in queryset.values_list("pk", flat=True):
            try:
                service(email_id=email_id, actor=request.user)
            except OutboxError:
                refused += 1
            else:
                done += 1
        return done, refused

    def _report_refused(self, request, refused: int) -> None:
        if refused:
            message = ngettext(
                "%(count)d email was left as it was: it has left or is leaving.",
                "%(count)d emails were left as they were: they have left or are leaving.",
                refused,
            )
            self.message_user(request, message % {"count": refused}, messages.WARNING)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is never edited nor deleted."""

    list_display = ("created_at", "action", "actor", "supporter", "reason")
    list_filter = ("action",)
    search_fields = ("action", "reason", "supporter__full_name")
    list_select_related = ("actor", "supporter")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
