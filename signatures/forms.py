"""The sign form: validates and normalises what a person types, in the page's language."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from campaign.models import FieldOfWork

from . import normalize
from .models import NameDisplay
from .services import SignatureDetails

UPDATES_CONSENT = _(
    "Email me news of the campaign, a few times a year at most. I can stop them at any time."
)


class SignForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send you a link to confirm your signature. It is never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    field_of_work = forms.ChoiceField(
        label=_("Field of work"), choices=[("", _("Choose…")), *FieldOfWork.choices]
    )
    country = LazyTypedChoiceField(label=_("Country"), choices=[("", _("Choose…")), *countries])
    known_for = forms.CharField(
        label=_("Known for"),
        max_length=120,
        required=False,
        help_text=_("A few words, such as “Author of The Long Field” or “Session drummer”."),
    )
    link = forms.CharField(
        label=_("A link to your work"),
        max_length=500,
        required=False,
        help_text=_("Your website or a profile page, starting with https://"),
        widget=forms.URLInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )
    comment = forms.CharField(
        label=_("Why you sign"),
        max_length=500,
        required=False,
        help_text=_("Shown publicly. 500 characters at most."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    name_display = forms.ChoiceField(
        label=_("How your name is shown"),
        choices=NameDisplay.choices,
        initial=NameDisplay.FULL,
        widget=forms.RadioSelect,
    )
    agree = forms.BooleanField(
        label=_("I have read the appeal and add my name to it."),
        error_messages={"required": _("Tick this box to sign: your signature means you agree.")},
    )
    wants_updates = forms.BooleanField(label=UPDATES_CONSENT, required=False)

    def _fits(self, field: str, value: str) -> str:
        """Normalising can lengthen text (ligatures unfold): check the limit again."""
        limit = self.fields[field].max_length
        if limit and len(value) > limit:
            raise ValidationError(
                _("Shorten this to %(limit)d characters at most."),
                code="max_length",
                params={"limit": limit},
            )
        return value

    def clean_full_name(self) -> str:
        name = self._fits("full_name", normalize.clean_name(self.cleaned_data["full_name"]))
        if len(name) < 2:
            raise ValidationError(_("Enter your name as you would sign it."), code="short")
        return name

    def clean_email(self) -> str:
        email = self._fits("email", normalize.normalize_email(self.cleaned_data["email"]))
        forms.EmailField().clean(email)
        return email

    def clean_known_for(self) -> str:
        return self._fits("known_for", normalize.clean_text(self.cleaned_data["known_for"]))

    def clean_comment(self) -> str:
        comment = normalize.clean_text(self.cleaned_data["comment"], multiline=True)
        return self._fits("comment", comment)

    def clean_link(self) -> str:
        link = self._fits("link", normalize.clean_text(self.cleaned_data["link"]))
        if not link:
            return ""
        if "://" not in link:
            link = self._fits("link", f"https://{link}")
        URLValidator(
            schemes=["http", "https"],
            message=_("Enter a web address such as https://example.com/my-work"),
        )(link)
        return link

    def details(self) -> SignatureDetails:
        data = self.cleaned_data
        return SignatureDetails(
            full_name=data["full_name"],
            email=data["email"],
            field_of_work=data["field_of_work"],
            country=data["country"],
            name_display=data["name_display"],
            known_for=data["known_for"],
            link=data["link"],
            comment=data["comment"],
            wants_updates=data["wants_updates"],
            updates_consent_text=str(UPDATES_CONSENT) if data["wants_updates"] else "",
        )


class ResendForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        email = normalize.normalize_email(self.cleaned_data["email"])
        forms.EmailField().clean(email)
        return email
