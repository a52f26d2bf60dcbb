from django.contrib import admin

from .models import Signature, Supporter


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    fields = ("campaign", "status", "created_at", "confirmed_at", "withdrawn_at", "wants_updates")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Supporter)
class SupporterAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "field_of_work", "country", "name_display", "created_at")
    list_filter = ("field_of_work", "name_display", "language")
    search_fields = ("full_name", "email", "known_for")
    readonly_fields = ("created_at", "updated_at")
    inlines = [SignatureInline]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ("supporter", "campaign", "status", "created_at", "confirmed_at", "emails_sent")
    list_filter = ("status", "campaign", "wants_updates", "language")
    search_fields = ("supporter__full_name", "supporter__email")
    list_select_related = ("supporter", "campaign")
    raw_id_fields = ("supporter",)
    readonly_fields = (
        "created_at",
        "confirmed_at",
        "withdrawn_at",
        "agreed_at",
        "consent_version",
        "consent_recorded_at",
        "updates_consent_text",
        "last_email_at",
        "emails_sent",
    )
    date_hierarchy = "created_at"
