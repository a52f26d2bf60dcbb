"""Forms of the review queues, the signatory list and one signatory's page: filters, decisions
and moderation, one signature or the ticked rows of a list."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from django_countries import countries

from campaign.models import FieldOfWork
from signatures.models import Signature, Verification

from .selectors import SignatoryFilters, VerificationFilters
from .services import (
    ACTION_LABELS,
    MAX_BULK,
    NEEDS_REASON,
    REFUSAL_NEEDS_REASON,
    REJECTION_NEEDS_REASON,
    ModerationAction,
)

REASON_MAX_LENGTH = 500
ANY = [("", _("Any"))]
VERIFIED_CHOICES = [
    ("", _("Any")),
    ("yes", pgettext_lazy("supporter", "Verified")),
    ("no", _("Not verified")),
]


def safe_next(value: str) -> str:
    """``value`` when it is a back-office address of this site, else ""."""
    if value.startswith("/organise/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts=None
    ):
        return value
    return ""


class ReasonField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", REASON_MAX_LENGTH)
        super().__init__(**kwargs)


class NextField(forms.CharField):
    """Where to go back to after the action (a back-office address, else the default)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, max_length=2000, **kwargs)

    def clean(self, value):
        return safe_next(super().clean(value) or "")


# --- The signatory list -------------------------------------------------------------------


class SignatoryFilterForm(forms.Form):
    """The filters above the signatory list (GET); an invalid field is ignored, not fatal."""

    q = forms.CharField(label=_("Name"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=ANY + Signature.Status.choices
    )
    moderation = forms.ChoiceField(
        label=_("Review"), required=False, choices=ANY + Signature.Moderation.choices
    )
    field_of_work = forms.ChoiceField(
        label=_("Field of work"), required=False, choices=ANY + FieldOfWork.choices
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=ANY)
    verified = forms.ChoiceField(
        label=pgettext_lazy("supporter", "Verified"), required=False, choices=VERIFIED_CHOICES
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=ANY + Signature.Source.choices
    )
    signed_from = forms.DateField(
        label=_("Signed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_to = forms.DateField(
        label=_("Signed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, can_search_emails: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = ANY + list(countries)
        if can_search_emails:
            self.fields["q"].label = _("Name or email address")

    def filters(self) -> SignatoryFilters:
        """The valid filters (call after ``is_valid()``); invalid fields count as empty."""
        data = getattr(self, "cleaned_data", {})
        verified = data.get("verified") or ""
        return SignatoryFilters(
            query=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            moderation=data.get("moderation") or "",
            field_of_work=data.get("field_of_work") or "",
            country=data.get("country") or "",
            verified={"yes": True, "no": False}.get(verified),
            source=data.get("source") or "",
            signed_from=data.get("signed_from"),
            signed_to=data.get("signed_to"),
        )


# --- Verification requests ----------------------------------------------------------------


class VerificationFilterForm(forms.Form):
    """The filters above the verification queue (GET); an invalid field is ignored."""

    q = forms.CharField(label=_("Name or public id"), required=False, max_length=200)
    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=ANY + Verification.Method.choices
    )
    field_of_work = forms.ChoiceField(
        label=_("Field of work"), required=False, choices=ANY + FieldOfWork.choices
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=ANY)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = ANY + list(countries)

    def filters(self) -> VerificationFilters:
        data = getattr(self, "cleaned_data", {})
        return VerificationFilters(
            query=(data.get("q") or "").strip(),
            method=data.get("method") or "",
            field_of_work=data.get("field_of_work") or "",
            country=data.get("country") or "",
        )


class VerificationDecisionForm(forms.Form):
    """Approve or refuse a verification request; refusing needs a reason (the artist reads
    it on their account page)."""

    APPROVE, REFUSE = "approve", "refuse"

    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (REFUSE, _("Refuse"))], widget=forms.HiddenInput
    )
    reason = ReasonField(
        help_text=_("Needed to refuse; the artist sees it. Kept in the audit trail."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next = NextField()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == self.REFUSE and not (data.get("reason") or "").strip():
            self.add_error("reason", REFUSAL_NEEDS_REASON)
        return data

    @property
    def approves(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


# --- Moderating signatures ----------------------------------------------------------------


class ModerationForm(forms.Form):
    """One action on one signature, from its page or from a row of the held queue."""

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(action.value, label) for action, label in ACTION_LABELS.items()],
    )
    reason = ReasonField(help_text=_("Needed to reject. Kept in the audit trail."))
    next = NextField()

    def clean(self) -> dict:
        data = super().clean()
        action = data.get("action")
        if action in NEEDS_REASON and not (data.get("reason") or "").strip():
            self.add_error("reason", REJECTION_NEEDS_REASON)
        return data


class SignatureIdsField(forms.Field):
    """The ticked rows of a list: signature ids, at least one, at most ``MAX_BULK``."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Tick at least one signature."),
        "invalid": _("The selection could not be read. Reload the page and try again."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > MAX_BULK:
            raise forms.ValidationError(
                ngettext_lazy(
                    "Choose at most %(max)s signature at a time.",
                    "Choose at most %(max)s signatures at a time.",
                    "max",
                ),
                params={"max": MAX_BULK},
            )


class BulkModerationForm(forms.Form):
    """One action on the ticked rows of a list; the actions offered depend on the list."""

    signature = SignatureIdsField()
    action = forms.ChoiceField(label=_("With the ticked signatures"))
    reason = ReasonField(help_text=_("Needed to reject. Kept in the audit trail."))

    def __init__(self, *args, actions: Iterable[ModerationAction], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Choose an action"))] + [
            (action.value, ACTION_LABELS[action]) for action in actions
        ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") in NEEDS_REASON and not (data.get("reason") or "").strip():
            self.add_error("reason", REJECTION_NEEDS_REASON)
        return data

    @property
    def selected_ids(self) -> set[int]:
        """The ids ticked, as typed (so that a page with a mistake keeps them ticked)."""
        raw = self.data.getlist("signature") if self.is_bound else []
        return {int(item) for item in raw if str(item).isdigit()}
