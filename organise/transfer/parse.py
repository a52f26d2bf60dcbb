"""Reading a CSV file of signatures: its text, its header, its records, and each row checked.

The format is documented in docs/organisers.md. The file must be UTF-8 text whose first line
names the columns (``,`` or ``;`` between them, headings in any of their accepted forms). Each
row is checked and normalised by the public sign form's own rules: ``ImportRowForm`` is a
``SignForm`` (the same normalisers, lengths and messages, and the same ``SignatureDetails``),
plus what only a file needs (codes or names for the field of work and the country, yes/no for
consent, a date) and the refusal of cells a spreadsheet would run as formulas.

Nothing here writes: ``apply`` writes the rows, ``job`` runs an import.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from campaign.models import FieldOfWork
from signatures.forms import SignForm
from signatures.models import NameDisplay
from signatures.normalize import email_key, normalize_email
from signatures.services import ImportedSigner, SignatureDetails

from ..csvsafe import looks_like_formula

REQUIRED_COLUMNS = ("email", "full_name", "field_of_work", "country")
OPTIONAL_COLUMNS = (
    "known_for",
    "link",
    "language",
    "comment",
    "wants_updates",
    "name_display",
    "signed_at",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Other headings people write for the same columns.
ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "name": "full_name",
    "field": "field_of_work",
    "website": "link",
    "consent": "wants_updates",
    "signed_on": "signed_at",
    "date": "signed_at",
}
# A row longer than this is refused with the file: no name or comment needs it.
MAX_ROW_CHARS = 16_000


class ImportFileError(Exception):
    """The file cannot be imported at all; ``message`` says why, in the organiser's words."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


# --- The file ------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte-order mark. Raises ``ImportFileError``
    for another encoding or binary content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "This file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” "
                "and choose it again."
            )
        ) from error
    if "\x00" in text:
        raise ImportFileError(_("This file holds binary data, not CSV text."))
    return text


@dataclass(frozen=True)
class Header:
    delimiter: str
    # The canonical column of each position, or "" for a column the import ignores.
    columns: list[str]
    ignored: list[str]


def _canonical(heading: str) -> str:
    name = heading.strip().strip("\ufeff").casefold().replace("-", "_").replace(" ", "_")
    return ALIASES.get(name, name)


def read_header(text: str) -> Header:
    """The header row's delimiter (``,`` or ``;``) and columns. Raises ``ImportFileError``
    when the file is empty or a required column is missing."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        headings = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as error:
        raise ImportFileError(
            _("The header row cannot be read: %(error)s") % {"error": error}
        ) from error
    if not any(heading.strip() for heading in headings):
        raise ImportFileError(_("The file is empty: its first line must name the columns."))
    columns, ignored, seen = [], [], set()
    for heading in headings:
        name = _canonical(heading)
        if name in COLUMNS and name not in seen:
            columns.append(name)
            seen.add(name)
        else:
            columns.append("")
            if heading.strip():
                ignored.append(heading.strip())
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ImportFileError(
            _("The header row lacks these columns: %(missing)s. It has: %(found)s.")
            % {"missing": ", ".join(missing), "found": ", ".join(h.strip() for h in headings)}
        )
    return Header(delimiter=delimiter, columns=columns, ignored=ignored)


@dataclass(frozen=True)
class Record:
    line: int
    values: list[str]
    end: int


def records(text: str, *, start: int, first_line: int, delimiter: str) -> Iterator[Record]:
    """The rows of ``text`` from character offset ``start`` (a row boundary), numbered as a
    spreadsheet numbers them (the header is line 1), each with the offset where it ends."""
    buffer = io.StringIO(text, newline="")
    buffer.seek(start)
    reader = csv.reader(buffer, delimiter=delimiter)
    line = first_line
    for cells in reader:
        yield Record(line=line, values=cells, end=buffer.tell())
        line += 1


def _valid_email_key(raw: str) -> str:
    try:
        email = normalize_email(raw)
        forms.EmailField().clean(email)
    except ValidationError:
        return ""
    return email_key(email)


@dataclass(frozen=True)
class Scan:
    """What reading the whole file once found: its delimiter and columns, how many rows it has,
    where the first row starts, and {line: earlier line} for each row repeating an address."""

    delimiter: str
    columns: list[str]
    total_rows: int
    start: int
    duplicates: dict[str, int]


def _is_valid(header: Header, record: Record) -> bool:
    return isinstance(parse_row(row_values(header.columns, record), line=record.line), ImportRow)


def row_values(columns: list[str], record: Record) -> dict[str, str]:
    """``record``'s cells by column name (the columns the import ignores left out)."""
    return {name: cell for name, cell in zip(columns, record.values, strict=False) if name}


def scan(text: str) -> Scan:
    """Read the whole file once: its columns, how many rows it has, which rows repeat an
    address seen earlier (the first row with it that is valid wins: a refused row does not
    hide a good one after it). Raises ``ImportFileError``."""
    header = read_header(text)
    start = next(records(text, start=0, first_line=1, delimiter=header.delimiter)).end
    email_at = header.columns.index("email")
    first_seen: dict[str, int] = {}
    duplicates: dict[str, int] = {}
    total = 0
    try:
        for record in records(text, start=start, first_line=2, delimiter=header.delimiter):
            if not record.values:
                continue
            if sum(len(cell) for cell in record.values) > MAX_ROW_CHARS:
                raise ImportFileError(
                    _("Line %(line)d is too long to be a signature.") % {"line": record.line}
                )
            total += 1
            raw = record.values[email_at] if email_at < len(record.values) else ""
            key = _valid_email_key(raw)
            if key and key in first_seen:
                duplicates[str(record.line)] = first_seen[key]
            elif key and _is_valid(header, record):
                first_seen[key] = record.line
    except csv.Error as error:
        raise ImportFileError(
            _("The file cannot be read as CSV: %(error)s") % {"error": error}
        ) from error
    return Scan(
        delimiter=header.delimiter,
        columns=header.columns,
        total_rows=total,
        start=start,
        duplicates=duplicates,
    )


# --- One row -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """A row that passed every check: its line, and its signer as the sign form's rules made
    it (what ``signatures.services.import_signature`` takes)."""

    line: int
    signer: ImportedSigner

    @property
    def email(self) -> str:
        return self.signer.details.email

    @property
    def key(self) -> str:
        return email_key(self.email)


def parse_row(values: dict[str, str], *, line: int) -> ImportRow | dict[str, str]:
    """Check and normalise one row (its cells by column) with the sign form's rules: the row
    ready to import, or {column: why it was refused}."""
    form = ImportRowForm(data=values)
    if form.is_valid():
        return form.row(line=line)
    return form.problems()


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

    def details(self) -> SignatureDetails:
        """The sign form's details of the row. Consent to updates was collected elsewhere:
        the import records how (``ImportSource.consent_text``), not this site's sentence."""
        return dataclasses.replace(super().details(), updates_consent_text="")

    def row(self, *, line: int) -> ImportRow:
        data = self.cleaned_data
        signer = ImportedSigner(
            details=self.details(), language=data["language"], signed_at=data["signed_at"]
        )
        return ImportRow(line=line, signer=signer)
