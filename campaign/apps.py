from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaign"
    verbose_name = _("Campaign")

    def ready(self) -> None:
        # Each process keeps its copy of the campaign; every change to it says so.
        from . import allauth_limits
        from .selectors import connect_signals

        connect_signals()
        # allauth's own rate limits obey the site's outage policy instead of raising.
        allauth_limits.install()
