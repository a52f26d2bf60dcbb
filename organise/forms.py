"""Forms of the back office."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from campaign.models import FieldOfWork
from signatures.models import Signature

from .selectors import SignatoryFilters

ANY = [("", _("Any"))]
VERIFIED_CHOICES = [("", _("Any")), ("yes", _("Verified")), ("no", _("Not verified"))]


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
    verified = forms.ChoiceField(label=_("Verified"), required=False, choices=VERIFIED_CHOICES)
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
