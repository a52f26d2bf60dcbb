from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OptOutsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "optouts"
    verbose_name = _("AI-training opt-outs")
