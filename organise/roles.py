"""Who may do what in the back office: one check, ``can(user, action)``, used by every view.

Three roles, created by a migration as groups: Organiser (everything), Moderator (review and
feature, read the audit trail, write the tracker's drafts; no export, no mailing, no email
addresses, no publishing in the tracker) and Viewer (the
dashboard and the lists, public fields only). Superusers may do everything. Reaching any of it
also needs a second factor: ``organise.middleware.SecondFactorMiddleware``.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    """A back-office action; its value is the permission's codename on ``BackOffice``."""

    VIEW = "view_backoffice"
    MODERATE = "moderate"
    VIEW_AUDIT = "view_audit"
    VIEW_PERSONAL_DATA = "view_personal_data"
    IMPORT = "import_signatures"
    EXPORT = "export_signatories"
    SEND_UPDATES = "send_updates"
    MANAGE_OUTBOX = "manage_outbox"
    MANAGE_ABUSE = "manage_abuse"
    HANDLE_PRIVACY_REQUESTS = "handle_privacy_requests"
    DRAFT_TRACKER = "draft_tracker"
    PUBLISH_TRACKER = "publish_tracker"

    @property
    def permission(self) -> str:
        return f"organise.{self.value}"


class Role(StrEnum):
    ORGANISER = "Organiser"
    MODERATOR = "Moderator"
    VIEWER = "Viewer"


ROLE_LABELS = {
    Role.ORGANISER: _("Organiser"),
    Role.MODERATOR: _("Moderator"),
    Role.VIEWER: _("Viewer"),
}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ORGANISER: frozenset(Action),
    Role.MODERATOR: frozenset(
        {Action.VIEW, Action.MODERATE, Action.VIEW_AUDIT, Action.DRAFT_TRACKER}
    ),
    Role.VIEWER: frozenset({Action.VIEW}),
}


def can(user, action: Action) -> bool:
    """Whether ``user`` may do ``action`` (the second factor is checked by the middleware)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(action.permission)


def has_backoffice_role(user) -> bool:
    """Whether ``user`` is one of the people who run the appeal (any role, or staff)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.is_superuser or can(user, Action.VIEW)


def actions_of(user) -> frozenset[Action]:
    return frozenset(action for action in Action if can(user, action))
