"""The sign form: validates and normalises what a person types, in the page's language."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from campaign.models import FieldOfWork

from . import normalize
from .identifiers import IdentifierKind, normalize_identifier
from .models import MAX_LINKS, NameDisplay
from .selectors import DirectoryFilters
from .services import ProfileChanges, SignatureDetails


def country_choices(blank_label: str = "") -> list[tuple[str, str]]:
    """Countries named and sorted in the active language, read when a form is built (a list
    made at import time would stay in the language the server started in)."""
    blank = [("", blank_label)] if blank_label else []
    return [*blank, *((country.code, country.name) for country in countries)]


@functools.cache
def country_codes() -> frozenset[str]:
    """Every country code a form accepts (the same in every language)."""
    return frozenset(country.code for country in countries)


class SetChoiceField(forms.ChoiceField):
    """A choice checked against a set of values instead of the list shown: Django's own check
    walks and normalises every choice for each value (the 250 countries, on every signature),
    and copies the list into each form. ``choices`` may be a callable, called only when the
    field is shown (so the names are in the language of the page that shows them)."""

    def __init__(self, *, values: Callable[[], Collection[str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.values = values

    def valid_value(self, value) -> bool:
        return str(value) in self.values()


def country_field(*, label, blank_label: str = "", required: bool = True) -> SetChoiceField:
    return SetChoiceField(
        label=label,
        choices=functools.partial(country_choices, blank_label),
        values=country_codes,
        required=required,
    )


def enum_field(*, label, choices: type[models.Choices], blank_label="", **kwargs) -> SetChoiceField:
    blank = [("", blank_label)] if blank_label else []
    values = frozenset(choices.values)
    return SetChoiceField(
        label=label, choices=[*blank, *choices.choices], values=lambda: values, **kwargs
    )


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
    field_of_work = enum_field(
        label=_("Field of work"), choices=FieldOfWork, blank_label=_("Choose…")
    )
    country = country_field(label=_("Country"), blank_label=_("Choose…"))
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
    name_display = enum_field(
        label=_("How your name is shown"),
        choices=NameDisplay,
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
        validate_email(email)
        # The compared form is stored too, in a column as long, and case folding can lengthen
        # an address ("ß" becomes "ss").
        self._fits("email", normalize.email_key(email))
        return email

    def clean_known_for(self) -> str:
        return self._fits("known_for", normalize.clean_text(self.cleaned_data["known_for"]))

    def clean_comment(self) -> str:
        comment = normalize.clean_text(self.cleaned_data["comment"], multiline=True)
        return self._fits("comment", comment)

    def clean_link(self) -> str:
        return self._fits("link", normalize.web_address(self.cleaned_data["link"]))

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
        validate_email(email)
        return email


class DirectoryFilterForm(forms.Form):
    """The directory's filters, read from the query string; bad values are simply ignored."""

    q = forms.CharField(label=_("Search by name"), max_length=100, required=False)
    field = enum_field(
        label=_("Field of work"), choices=FieldOfWork, blank_label=_("All fields"), required=False
    )
    country = country_field(label=_("Country"), blank_label=_("All countries"), required=False)
    verified = forms.BooleanField(label=_("Verified artists only"), required=False)

    def filters(self) -> DirectoryFilters:
        if not self.is_valid():
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        query = data.get("q") or ""
        try:
            query = normalize.clean_text(query)
        except ValidationError:
            query = ""
        return DirectoryFilters(
            field_of_work=data.get("field") or "",
            country=data.get("country") or "",
            verified_only=bool(data.get("verified")),
            query=query,
        )


IDENTIFIER_FIELDS = {
    "isni": IdentifierKind.ISNI,
    "ipi": IdentifierKind.IPI,
    "imdb_id": IdentifierKind.IMDB,
    "musicbrainz_id": IdentifierKind.MUSICBRAINZ,
    "wikidata_id": IdentifierKind.WIKIDATA,
}


class ProfileForm(forms.Form):
    """A supporter's own profile. Everything here may be shown publicly, as they choose."""

    full_name = SignForm.base_fields["full_name"]
    name_display = SignForm.base_fields["name_display"]
    field_of_work = enum_field(label=_("Main field of work"), choices=FieldOfWork)
    other_fields = forms.MultipleChoiceField(
        label=_("Other fields of work"),
        choices=FieldOfWork.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    country = country_field(label=_("Country"))
    known_for = SignForm.base_fields["known_for"]
    bio = forms.CharField(
        label=_("Short biography"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("1,000 characters at most."),
    )
    comment = forms.CharField(
        label=_("Why you signed"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown publicly. 500 characters at most."),
    )
    isni = forms.CharField(
        label="ISNI",
        max_length=40,
        required=False,
        help_text=_("16 characters, such as 0000 0001 2103 2683."),
    )
    ipi = forms.CharField(
        label=_("IPI name number"),
        max_length=20,
        required=False,
        help_text=_("The number your collecting society gave you."),
    )
    imdb_id = forms.CharField(
        label=_("IMDb name id"),
        max_length=100,
        required=False,
        help_text=_("Such as nm0424060, or the address of your IMDb page."),
    )
    musicbrainz_id = forms.CharField(
        label=_("MusicBrainz artist id"),
        max_length=100,
        required=False,
        help_text=_("The id or the address of your artist page."),
    )
    wikidata_id = forms.CharField(
        label=_("Wikidata item"),
        max_length=100,
        required=False,
        help_text=_("Such as Q34436, or the address of the item."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_LINKS + 1):
            self.fields[f"link_{n}"] = forms.CharField(
                label=_("Link %(number)d") % {"number": n},
                max_length=500,
                required=False,
                widget=forms.URLInput(attrs={"inputmode": "url", "spellcheck": "false"}),
            )

    @property
    def link_fields(self):
        return [self[f"link_{n}"] for n in range(1, MAX_LINKS + 1)]

    @property
    def identifier_fields(self):
        return [self[name] for name in IDENTIFIER_FIELDS]

    def _fits(self, field: str, value: str) -> str:
        return SignForm._fits(self, field, value)

    clean_full_name = SignForm.clean_full_name
    clean_known_for = SignForm.clean_known_for

    def clean_bio(self) -> str:
        return self._fits("bio", normalize.clean_text(self.cleaned_data["bio"], multiline=True))

    def clean_comment(self) -> str:
        return SignForm.clean_comment(self)

    def clean(self):
        cleaned = super().clean()
        for name, kind in IDENTIFIER_FIELDS.items():
            value = (cleaned.get(name) or "").strip()
            if value:
                try:
                    cleaned[name] = normalize_identifier(kind, value)
                except ValidationError as error:
                    self.add_error(name, error)
        links = []
        for n in range(1, MAX_LINKS + 1):
            raw = (cleaned.get(f"link_{n}") or "").strip()
            if raw:
                try:
                    links.append(normalize.web_address(raw))
                except ValidationError as error:
                    self.add_error(f"link_{n}", error)
        cleaned["links"] = links
        return cleaned

    @classmethod
    def initial_for(cls, supporter, comment: str) -> dict:
        initial = {
            name: getattr(supporter, name)
            for name in (
                "full_name",
                "name_display",
                "field_of_work",
                "other_fields",
                "known_for",
                "bio",
                *IDENTIFIER_FIELDS,
            )
        }
        initial["country"] = supporter.country.code
        initial["comment"] = comment
        for n, link in enumerate(supporter.links[:MAX_LINKS], start=1):
            initial[f"link_{n}"] = link
        return initial

    def changes(self) -> ProfileChanges:
        data = self.cleaned_data
        values = {
            name: data[name]
            for name in (
                "full_name",
                "name_display",
                "field_of_work",
                "country",
                "known_for",
                "bio",
                "links",
                *IDENTIFIER_FIELDS,
            )
        }
        values["other_fields"] = [c for c in data["other_fields"] if c != data["field_of_work"]]
        return ProfileChanges(values=values, comment=data["comment"])


class LinkBackForm(forms.Form):
    page_url = forms.CharField(
        label=_("The address of your page"),
        max_length=500,
        help_text=_("A page you control that now carries the link or the tag shown above."),
        widget=forms.URLInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )

    def clean_page_url(self) -> str:
        return normalize.web_address(self.cleaned_data["page_url"])


class ReviewRequestForm(forms.Form):
    message = forms.CharField(
        label=_("How can organisers check that this is you?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For instance: your agent or label can confirm, or a public post of yours mentions "
            "this appeal. Add links below."
        ),
    )
    evidence_links = forms.CharField(
        label=_("Links (one per line)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_message(self) -> str:
        return normalize.clean_text(self.cleaned_data["message"], multiline=True)

    def clean_evidence_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["evidence_links"].splitlines()]
        return [normalize.web_address(line) for line in lines if line][:10]
