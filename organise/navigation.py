"""The back office's menu: each entry shows only to people allowed to use it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .roles import Action, can


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    action: Action


NAVIGATION = [
    NavItem(_("Dashboard"), "organise:dashboard", Action.VIEW),
    NavItem(_("Verification requests"), "organise:verifications", Action.VIEW),
    NavItem(_("Held signatures"), "organise:held", Action.VIEW),
    NavItem(_("Signatories"), "organise:signatories", Action.VIEW),
    NavItem(_("Import"), "organise:imports", Action.IMPORT),
    NavItem(_("Updates"), "organise:updates", Action.SEND_UPDATES),
    NavItem(_("Failed emails"), "organise:emails", Action.MANAGE_OUTBOX),
    NavItem(_("Audit trail"), "organise:audit", Action.VIEW_AUDIT),
    NavItem(_("Safeguards"), "organise:abuse", Action.MANAGE_ABUSE),
    NavItem(_("Block lists"), "organise:abuse_lists", Action.MANAGE_ABUSE),
    NavItem(_("Spike alerts"), "organise:abuse_spikes", Action.MANAGE_ABUSE),
    NavItem(_("Bulk invalidation"), "organise:abuse_invalidations", Action.MANAGE_ABUSE),
    NavItem(_("Privacy requests"), "organise:privacy", Action.HANDLE_PRIVACY_REQUESTS),
    NavItem(_("Companies tracker"), "organise:tracker", Action.VIEW),
]


def menu_for(user) -> list[NavItem]:
    return [item for item in NAVIGATION if can(user, item.action)]
