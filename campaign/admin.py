from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from .models import Campaign, Demand, KeyMessage, LaunchSupporter, Solution, Stake


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
