from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbuseConfig(AppConfig):
    name = "abuse"
    verbose_name = _("Abuse controls")

    def ready(self) -> None:
        # The abuse controls plug themselves into the layers below: they publish the
        # safeguards that every request reads, and screen each signature once it is written.
        from campaign import safeguards as reading_side

        from . import safeguards, screening

        reading_side.register_publisher(safeguards.queue_publication)
        screening.connect()
