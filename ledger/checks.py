"""System checks: the ledger's key is well formed (always), and real in production
(``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from . import keys


@checks.register()
def key_is_well_formed(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        keys.configured_seed()
    except keys.SigningKeyError as error:
        return [checks.Error(str(error), id="ledger.E001")]
    return []


@checks.register(deploy=True)
def production_has_a_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        missing = keys.configured_seed() is None
    except keys.SigningKeyError:
        return []  # Reported by key_is_well_formed.
    if missing:
        return [
            checks.Error(
                "LEDGER_SIGNING_KEY is not set: the public ledger would be signed with a "
                "development key derived from SECRET_KEY"
                + ("" if settings.DEBUG else ", and signing fails with DEBUG off")
                + ".",
                hint="Generate one with `manage.py ledger_key` and keep it secret.",
                id="ledger.E002",
            )
        ]
    return []
