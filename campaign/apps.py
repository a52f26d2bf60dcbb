from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaign"
    verbose_name = _("Campaign")

    def ready(self) -> None:
        from . import allauth_limits

        # allauth's own rate limits obey the site's outage policy instead of raising.
        allauth_limits.install()
