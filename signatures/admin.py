from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Signature, Supporter, Verification


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    fields = ("campaign", "status", "moderation", "created_at", "confirmed_at", "wants_updates")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Supporter)
class SupporterAdmin(admin.ModelAdmin):
    list_display = (
        "full_name", "email", "field_of_work", "country", "name_display", "is_featured",
        "verified_at", "created_at",
    )  # fmt: skip
    list_filter = ("is_featured", "field_of_work", "name_display", "language")
    search_fields = ("full_name", "email", "known_for")
    readonly_fields = (
        "public_id", "slug", "verified_at", "verification_method", "created_at", "updated_at",
    )  # fmt: skip
    inlines = [SignatureInline]
    actions = ["feature", "unfeature"]

    @admin.action(description=_("Feature the selected supporters on the home page"))
    def feature(self, request, queryset):
        self._set_featured(request, queryset, True)

    @admin.action(description=_("Stop featuring the selected supporters"))
    def unfeature(self, request, queryset):
        self._set_featured(request, queryset, False)

    def _set_featured(self, request, queryset, featured: bool) -> None:
        for supporter in queryset:
            services.set_featured(supporter=supporter, featured=featured, actor=request.user)
        self.message_user(request, _("Done."), messages.SUCCESS)


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ("supporter", "campaign", "status", "moderation", "created_at", "confirmed_at")
    list_filter = ("status", "moderation", "campaign", "wants_updates", "language")
    search_fields = ("supporter__full_name", "supporter__email")
    list_select_related = ("supporter", "campaign")
    raw_id_fields = ("supporter",)
    readonly_fields = (
        "created_at", "confirmed_at", "withdrawn_at", "agreed_at", "consent_version",
        "consent_recorded_at", "updates_consent_text", "last_email_at", "emails_sent",
        "moderation", "hold_reason", "status", "ledger_commitment",
    )  # fmt: skip
    # The status and moderation change only through the services (which keep the public
    # ledger in step); the salt is the signer's secret and stays out of the admin.
    exclude = ("ledger_salt",)
    date_hierarchy = "created_at"


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    """Organisers decide verification requests here until the back office has its own
    screens; decisions go through the same service and leave an audit event."""

    list_display = ("supporter", "method", "status", "created_at", "decided_at", "decided_by")
    list_filter = ("status", "method")
    search_fields = ("supporter__full_name",)
    list_select_related = ("supporter", "decided_by")
    readonly_fields = (
        "supporter", "method", "status", "evidence", "reason", "decided_by", "decided_at",
        "created_at",
    )  # fmt: skip
    actions = ["approve", "refuse"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Approve: verify the selected supporters"))
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Refuse the selected requests"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve: bool) -> None:
        decided = 0
        for verification in queryset.filter(status=Verification.Status.PENDING):
            try:
                services.decide_verification(
                    verification=verification,
                    approve=approve,
                    actor=request.user,
                    reason=str(_("Decided in the admin")),
                )
            except services.VerificationError:
                continue  # decided meanwhile by someone else or by the automatic check
            decided += 1
        self.message_user(
            request,
            ngettext("%(count)d request decided.", "%(count)d requests decided.", decided)
            % {"count": decided},
            messages.SUCCESS,
        )
