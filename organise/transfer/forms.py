"""Forms of the CSV import: the upload form, and the form each row of a file goes through.

A row is checked by the public sign form's own rules (``ImportRowForm`` is a ``SignForm``):
the same normalisers, lengths and messages, plus what only a file needs (codes or names for
the field of work and the country, yes/no for consent, a date) and the refusal of cells a
spreadsheet would run as formulas.
"""

from __future__ import annotations

import datetime
import functools

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from campaign.models import FieldOfWork
from signatures.forms import SignForm
from signatures.models import NameDisplay
from signatures.normalize import clean_text

from .csvsafe import looks_like_formula
from .imports import ImportFileError, ImportRow, decode_csv, read_header

YES = frozenset({"yes", "y", "true", "1", "oui", "o", "x"})
NO = frozenset({"no", "n", "false", "0", "non", ""})
FORMULA_REASON = _(
    "A spreadsheet would run this cell as a formula: it starts with =, +, -, @ or a tab. "
    "Remove that first character, then import the row again."
)
CHOICES = {
    "field_of_work": lambda: FieldOfWork.choices,
    "language": lambda: settings.LANGUAGES,
    "name_display": lambda: NameDisplay.choices,
}


@functools.cache
def _names(kind: str, language: str) -> dict[str, str]:
    """{code or label in ``language``, case-folded: code} for the choices of ``kind``."""
    with translation.override(language):
        choices = CHOICES[kind]()
        return {
            **{str(label).casefold(): code for code, label in choices},
            **{str(code).casefold(): code for code, _label in choices},
        }


def _lookup(value: str, kind: str) -> str:
    """The code a cell names: the code itself, or its label in any of the site's languages."""
    wanted = value.strip().casefold()
    for language, _name in settings.LANGUAGES:
        found = _names(kind, language).get(wanted)
        if found:
            return found
    return ""


class ImportRowForm(SignForm):
    """One row of a CSV file (its cells by column name), checked as the sign form checks what
    a person types. The signer agreed elsewhere, so there is no box to tick."""

    agree = None
    field_of_work = forms.CharField(label=_("Field of work"))
    # A code or a name, looked up once: the sign form's 250-choice field would cost more than
    # the rest of the row.
    country = forms.CharField(label=_("Country"))
    name_display = forms.CharField(required=False)
    language = forms.CharField(required=False)
    wants_updates = forms.CharField(required=False)
    signed_at = forms.CharField(required=False)

    def _refuse_formula(self, name: str) -> None:
        if looks_like_formula(self.data.get(name) or ""):
            raise ValidationError(FORMULA_REASON, code="formula")

    def clean_full_name(self) -> str:
        self._refuse_formula("full_name")
        return super().clean_full_name()

    def clean_known_for(self) -> str:
        self._refuse_formula("known_for")
        return super().clean_known_for()

    def clean_link(self) -> str:
        self._refuse_formula("link")
        return super().clean_link()

    def clean_comment(self) -> str:
        self._refuse_formula("comment")
        return super().clean_comment()

    def clean_field_of_work(self) -> str:
        value = self.cleaned_data["field_of_work"]
        code = _lookup(value, "field_of_work")
        if not code:
            raise ValidationError(
                _("“%(value)s” is not a field of work. Use one of: %(codes)s."),
                params={"value": value, "codes": ", ".join(FieldOfWork.values)},
                code="field_of_work",
            )
        return code

    def clean_country(self) -> str:
        value = self.cleaned_data["country"]
        code = countries.alpha2(value) if len(value) <= 3 else ""
        for language, _name in settings.LANGUAGES:
            code = code or countries.by_name(value, language=language)
        if not code:
            raise ValidationError(
                _("“%(value)s” is not a country. Use its two-letter code (such as FR) or name."),
                params={"value": value},
                code="country",
            )
        return code

    def clean_language(self) -> str:
        value = self.cleaned_data["language"]
        if not value:
            return ""  # The signature takes the supporter's language, or the site's.
        code = _lookup(value, "language")
        if not code:
            raise ValidationError(
                _("“%(value)s” is not a language of the site. Use one of: %(codes)s."),
                params={"value": value, "codes": ", ".join(c for c, _n in settings.LANGUAGES)},
                code="language",
            )
        return code

    def clean_name_display(self) -> str:
        value = self.cleaned_data["name_display"]
        if not value:
            return ""  # A new supporter is shown in full, as the sign form's default.
        code = _lookup(value, "name_display")
        if not code:
            raise ValidationError(
                _("Write one of: %(codes)s."),
                params={"codes": ", ".join(NameDisplay.values)},
                code="name_display",
            )
        return code

    def clean_wants_updates(self) -> bool:
        answer = self.cleaned_data["wants_updates"].casefold()
        if answer in YES:
            return True
        if answer in NO:
            return False
        raise ValidationError(_("Write yes or no (or leave it empty for no)."), code="yes_no")

    def clean_signed_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["signed_at"]
        if not value:
            return None
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(
                _("Write the date as year-month-day, such as 2026-03-14 (a time may follow)."),
                code="date",
            ) from error
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment > timezone.now():
            raise ValidationError(_("This date is in the future."), code="future")
        return moment

    def problems(self) -> dict[str, str]:
        """{column: why it was refused}, in the active language (after ``is_valid()``)."""
        return {
            name: " ".join(message for error in errors for message in error.messages)
            for name, errors in self.errors.as_data().items()
        }

    def row(self, *, line: int) -> ImportRow:
        data = self.cleaned_data
        return ImportRow(
            line=line,
            **{name: data[name] for name in ImportRow.CLEANED},
        )


class ImportUploadForm(forms.Form):
    """A CSV file to import, where its signatures come from, and how to import them."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 text with a header row, columns separated by commas or semicolons."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    source_label = forms.CharField(
        label=_("Where were these signatures collected?"),
        max_length=120,
        help_text=_("Such as “Paper forms, Lyon book fair, March 2026”. Kept with each signature."),
    )
    ask_confirmation = forms.BooleanField(
        label=_("Ask each new signatory to confirm by email"),
        required=False,
        help_text=_(
            "Without this, imported signatures count at once and no email is sent. With it, "
            "they count once each person clicks the link we email them."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and report what would happen, without saving anything"),
        required=False,
        initial=True,
    )

    def clean_source_label(self) -> str:
        label = clean_text(self.cleaned_data["source_label"])
        if looks_like_formula(label):
            raise ValidationError(FORMULA_REASON, code="formula")
        if not label:
            raise ValidationError(forms.Field.default_error_messages["required"])
        return label

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("This file is %(size)s; files of up to %(limit)s can be imported. Split it."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_big",
            )
        try:
            text = decode_csv(upload.read())
            read_header(text)
        except ImportFileError as error:
            raise ValidationError(error.message, code="file") from error
        self.text = text
        return upload
