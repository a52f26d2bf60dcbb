"""The audit trail: every decision and change, newest first, read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from signatures.models import AuditEvent

from .. import selectors_review
from ..access import require
from ..forms_review import AUDIT_ACTION_LABELS, AuditFilterForm
from ..roles import Action, can


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


@require(Action.VIEW_AUDIT)
@require_safe
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    form.is_valid()
    filters = form.filters()
    page = selectors_review.audit_page(
        filters=filters,
        cursor=request.GET.get("after", ""),
        personal_data=can(request.user, Action.VIEW_PERSONAL_DATA),
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "organise/audit.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": [describe(event) for event in page.entries],
            "filter_query": query.urlencode(),
            "known_actions": AuditFilterForm.known_actions(),
        },
    )
