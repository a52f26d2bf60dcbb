"""The back office's abuse forms: kill switches, rate limits, list entries, bulk invalidation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from campaign.safeguards import Per, Safeguards, Scope

from . import lists
from .models import ListEntry
from .selectors import Criteria

MAX_LIMIT = 1_000_000
MAX_WINDOW_MINUTES = 7 * 24 * 60


class KillSwitchesForm(forms.Form):
    signing_paused = forms.BooleanField(
        label=_("Pause signing"),
        required=False,
        help_text=_("The sign page shows the message below instead of the form."),
    )
    pause_message_en = forms.CharField(
        label=_("Message while signing is paused (English)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pause_message_fr = forms.CharField(
        label=_("Message while signing is paused (French)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    read_only = forms.BooleanField(
        label=_("Read-only mode"),
        required=False,
        help_text=_(
            "Every public change (signing, confirming, withdrawing, editing a profile) is "
            "refused with an explanation. Logging in and the back office keep working."
        ),
    )


def _limit_field_names(scope: str, per: str) -> tuple[str, str]:
    return f"{scope}__{per}__limit", f"{scope}__{per}__minutes"


class RateLimitsForm(forms.Form):
    """One pair of fields (requests, minutes) per scope and per counter."""

    def __init__(self, *args, safeguards: Safeguards, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        for scope in Scope:
            for per in Per:
                current = safeguards.limit(scope, per)
                limit_name, minutes_name = _limit_field_names(scope, per)
                self.fields[limit_name] = forms.IntegerField(
                    label=_("Requests allowed (0: no limit)"),
                    min_value=0,
                    max_value=MAX_LIMIT,
                    initial=current.limit,
                )
                self.fields[minutes_name] = forms.IntegerField(
                    label=_("Within (minutes)"),
                    min_value=1,
                    max_value=MAX_WINDOW_MINUTES,
                    initial=max(1, current.window_seconds // 60),
                )
                self.rows.append(
                    {
                        "scope": scope.label,
                        "per": per.label,
                        "limit": self[limit_name],
                        "minutes": self[minutes_name],
                    }
                )

    def limits(self) -> dict[tuple[str, str], tuple[int, int]]:
        found = {}
        for scope in Scope:
            for per in Per:
                limit_name, minutes_name = _limit_field_names(scope, per)
                found[(scope.value, per.value)] = (
                    self.cleaned_data[limit_name],
                    self.cleaned_data[minutes_name] * 60,
                )
        return found


class ListEntryForm(forms.Form):
    verdict = forms.ChoiceField(label=_("List"), choices=ListEntry.Verdict.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=ListEntry.Kind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=254,
        help_text=_("A range such as 203.0.113.0/24, a domain such as example.com, or an address."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict:
        data = super().clean()
        kind, value = data.get("kind"), (data.get("value") or "").strip()
        if not kind or not value:
            return data
        try:
            data["value"] = normalise_entry(kind, value)
        except forms.ValidationError as error:
            self.add_error("value", error)
            return data
        if ListEntry.objects.filter(kind=kind, value=data["value"]).exists():
            self.add_error("value", _("This value is already on a list. Remove it first."))
        return data


def normalise_entry(kind: str, value: str) -> str:
    """``lists.normalise_entry``, with a message for the form."""
    try:
        return lists.normalise_entry(kind, value)
    except ValueError as error:
        message = {
            ListEntry.Kind.IP_RANGE: _(
                "Enter an address or a range such as 203.0.113.0/24 or 2001:db8::/48."
            ),
            ListEntry.Kind.DOMAIN: _("Enter a domain such as example.com."),
        }.get(kind, _("Enter a complete email address."))
        raise forms.ValidationError(message) from error


class InvalidationForm(forms.Form):
    """A selection of signatures to invalidate; at least one criterion."""

    ip_range = forms.CharField(
        label=_("Address range"),
        required=False,
        max_length=50,
        help_text=_("An address or a range such as 203.0.113.0/24."),
    )
    domain = forms.CharField(
        label=_("Email domain"),
        required=False,
        max_length=253,
        help_text=_("Also matches the domains below it."),
    )
    name_pattern = forms.CharField(
        label=_("Name pattern"),
        required=False,
        max_length=100,
        help_text=_("* stands for any text and ? for one letter; case and accents are ignored."),
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    signed_from = forms.DateTimeField(
        label=_("Signed from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    signed_to = forms.DateTimeField(
        label=_("Signed before"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_("Kept in the audit trail and on each signature it rejects."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any country")), *countries]

    def clean_ip_range(self) -> str:
        value = self.cleaned_data["ip_range"].strip()
        if not value:
            return ""
        return normalise_entry(ListEntry.Kind.IP_RANGE, value)

    def clean_domain(self) -> str:
        value = self.cleaned_data["domain"].strip()
        return value.lower().lstrip("@").rstrip(".") if value else ""

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and self.criteria().is_empty:
            raise forms.ValidationError(_("Choose at least one criterion."))
        start, end = data.get("signed_from"), data.get("signed_to")
        if start and end and start >= end:
            self.add_error("signed_to", _("The end must come after the start."))
        return data

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            ip_range=data.get("ip_range", ""),
            domain=data.get("domain", ""),
            name_pattern=(data.get("name_pattern") or "").strip(),
            country=data.get("country") or "",
            signed_from=data.get("signed_from"),
            signed_to=data.get("signed_to"),
        )


class ConfirmInvalidationForm(InvalidationForm):
    """The same selection, confirmed after the preview: a reason is now required."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
