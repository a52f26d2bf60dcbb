"""The CSV import's upload form: a file, where its signatures come from, how to import them.
(Each row of the file goes through ``parse.ImportRowForm``.)"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from signatures.normalize import clean_text

from ..csvsafe import looks_like_formula
from .parse import FORMULA_REASON, ImportFileError, decode_csv, read_header


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
