"""Forms of the opt-out page. Addresses are checked here for the person typing them, and again
by the services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from signatures import normalize

from .locations import normalize_location

URL_ATTRS = {"inputmode": "url", "spellcheck": "false", "autocapitalize": "off"}


class DeclarationForm(forms.Form):
    locations = forms.CharField(
        label=_("Where your works are published (one address per line)"),
        max_length=20 * 510,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "Your own site (example.com) or the part of a site that holds your works "
            "(https://example.com/portfolio/). Each page must carry the proof shown below."
        ),
    )
    licensing_url = forms.CharField(
        label=_("Page where AI companies can ask you for a licence"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs=URL_ATTRS),
        help_text=_("Your agent's contact page, for instance. Your public profile otherwise."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I hold the rights to the works at these addresses, and I reserve them from text "
            "and data mining and AI training."
        ),
    )

    def clean_locations(self) -> list[str]:
        addresses: list[str] = []
        errors: list[str] = []
        for line in self.cleaned_data["locations"].splitlines():
            if not line.strip():
                continue
            try:
                url = normalize_location(line)
            except ValidationError as error:
                errors.append(f"{line.strip()[:100]}: {' '.join(error.messages)}")
                continue
            if url not in addresses:
                addresses.append(url)
        if errors:
            raise ValidationError(errors)
        limit = settings.OPTOUT_MAX_LOCATIONS
        if len(addresses) > limit:
            raise ValidationError(
                ngettext(
                    "List at most %(limit)d address.", "List at most %(limit)d addresses.", limit
                )
                % {"limit": limit}
            )
        if not addresses:
            raise ValidationError(_("List at least one address."))
        return addresses

    def clean_licensing_url(self) -> str:
        return normalize.web_address(
            self.cleaned_data["licensing_url"],
            message=_("Enter a web address such as https://example.com/licensing"),
        )


class LocationForm(forms.Form):
    url = forms.CharField(
        label=_("Another address where your works are published"),
        max_length=500,
        widget=forms.URLInput(attrs=URL_ATTRS),
    )

    def clean_url(self) -> str:
        return normalize_location(self.cleaned_data["url"])
