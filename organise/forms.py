"""Forms of the back office's own pages: the audit trail's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import AuditFilters
from .trail import AUDIT_ACTION_LABELS


class AuditFilterForm(forms.Form):
    """The filters above the audit trail (GET); an invalid field is ignored."""

    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=60,
        help_text=_("An action, or a family such as “signature”."),
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    who = forms.CharField(label=_("Who (email or user name)"), required=False, max_length=200)
    automatic = forms.BooleanField(label=_("Only what the site did by itself"), required=False)
    supporter = forms.CharField(
        label=_("Supporter (name or public id)"), required=False, max_length=200
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> AuditFilters:
        data = getattr(self, "cleaned_data", {})
        return AuditFilters(
            action=(data.get("action") or "").strip(),
            who=(data.get("who") or "").strip(),
            automatic_only=bool(data.get("automatic")),
            supporter=(data.get("supporter") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    @staticmethod
    def known_actions() -> list[tuple[str, str]]:
        return sorted(AUDIT_ACTION_LABELS.items())
