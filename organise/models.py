"""The back office's permissions. They belong to no table of their own: ``BackOffice`` exists
only to carry them (Django attaches permissions to a model), and the roles in ``roles.py`` are
groups holding them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BackOffice(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("back office")
        permissions = [
            ("view_backoffice", _("See the dashboard, queues and lists (public fields only)")),
            ("moderate", _("Verify, hold, release, reject, restore and feature signatories")),
            ("view_audit", _("Read the audit trail")),
            ("view_personal_data", _("See signatories' email addresses")),
            ("import_signatures", _("Import signatures from CSV")),
            ("export_signatories", _("Export signatories as CSV")),
            ("send_updates", _("Write and send updates to signatories")),
            ("manage_outbox", _("See failed emails, retry or cancel them")),
            (
                "manage_abuse",
                _(
                    "Edit rate limits, block and allow lists and the kill switches; "
                    "run bulk invalidations"
                ),
            ),
            ("handle_privacy_requests", _("Export or erase a signatory's data on request")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
