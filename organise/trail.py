"""The audit trail as organisers read it: what each action means, who acted, what changed.
Shared by the audit trail page and each signatory's page."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import AuditEvent

# What each audit action means, for people; an action missing here shows its code.
AUDIT_ACTION_LABELS = {
    "signature.held": gettext_lazy("Signature held for review"),
    "signature.released": gettext_lazy("Held signature released"),
    "signature.rejected": gettext_lazy("Signature rejected"),
    "signature.restored": gettext_lazy("Rejected signature restored"),
    "signature.comment_hidden": gettext_lazy("Comment hidden"),
    "signature.comment_shown": gettext_lazy("Comment shown again"),
    "supporter.featured": gettext_lazy("Signatory featured"),
    "supporter.unfeatured": gettext_lazy("Signatory no longer featured"),
    "supporter.erased": gettext_lazy("Supporter erased their data"),
    "profile.updated": gettext_lazy("Profile updated"),
    "verification.requested": gettext_lazy("Verification requested"),
    "verification.approved": gettext_lazy("Verification approved"),
    "verification.refused": gettext_lazy("Verification refused"),
    "verification.revoked": gettext_lazy("Verification revoked"),
    "optout.declared": gettext_lazy("Opt-out declared"),
    "optout.withdrawn": gettext_lazy("Opt-out withdrawn"),
    "tracker.company_created": gettext_lazy("Tracker: company added"),
    "tracker.company_changed": gettext_lazy("Tracker: company edited"),
    "tracker.company_listed": gettext_lazy("Tracker: company listed publicly"),
    "tracker.company_unlisted": gettext_lazy("Tracker: company hidden"),
    "tracker.criterion_created": gettext_lazy("Tracker: criterion added"),
    "tracker.criterion_changed": gettext_lazy("Tracker: criterion edited"),
    "tracker.drafted": gettext_lazy("Tracker: draft written"),
    "tracker.published": gettext_lazy("Tracker: draft published"),
    "tracker.returned": gettext_lazy("Tracker: draft sent back"),
    "tracker.deal_created": gettext_lazy("Tracker: deal added"),
    "tracker.deal_changed": gettext_lazy("Tracker: deal edited"),
    "tracker.deal_published": gettext_lazy("Tracker: deal published"),
    "tracker.samples_removed": gettext_lazy("Tracker: sample data removed"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventRow:
    """An audit event as a person reads it: what happened, by whom, what changed."""

    event: AuditEvent
    label: str
    actor: str
    changes: list[Change]
    details: list[tuple[str, str]]


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# Events only a supporter causes, recorded without an account (they ask from their own page).
BY_THE_SUPPORTER = frozenset({"verification.requested"})


def _actor(event: AuditEvent) -> str:
    """Who acted; a supporter acting on their own profile is named as such, not by address."""
    supporter = event.supporter
    if event.actor_id is None:
        if event.action in BY_THE_SUPPORTER and supporter is not None:
            return _("The supporter")
        return _("The site (automatic)")
    if supporter is not None and supporter.user_id == event.actor_id:
        return _("The supporter")
    return event.actor.email or event.actor.get_username()


def describe(event: AuditEvent) -> EventRow:
    data = event.data if isinstance(event.data, dict) else {"details": event.data}
    before, after = data.get("before"), data.get("after")
    changes = []
    if isinstance(before, dict) and isinstance(after, dict):
        changes = [
            Change(field=field, before=_shown(before.get(field)), after=_shown(after.get(field)))
            for field in sorted({*before, *after})
        ]
    details = [
        (key, _shown(value))
        for key, value in sorted(data.items())
        if not (changes and key in ("before", "after"))
    ]
    return EventRow(
        event=event,
        label=str(AUDIT_ACTION_LABELS.get(event.action, event.action)),
        actor=_actor(event),
        changes=changes,
        details=details,
    )
