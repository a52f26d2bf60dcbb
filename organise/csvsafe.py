"""CSV that a spreadsheet opens without running anything.

Spreadsheets read a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula, which can run commands or leak data when an organiser opens the file (OWASP,
"CSV Injection"). Every CSV the back office writes goes through ``CsvLines``, which prefixes
such cells with ``'`` (shown as text, never evaluated) and quotes every cell; and the import
refuses such cells in names and texts (``looks_like_formula``) rather than store them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Written first, so that Excel reads the file as UTF-8 (accents intact).
BOM = "\ufeff"


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet could read ``value`` as a formula: it starts with a trigger,
    possibly after spaces (some spreadsheets trim them before deciding)."""
    if not value:
        return False
    return value.startswith(FORMULA_TRIGGERS) or value.lstrip(" ").startswith(FORMULA_TRIGGERS)


def escape_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as it is: ``None`` is empty, and a cell that could
    be read as a formula gets a leading ``'``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return f"'{text}" if looks_like_formula(text) else text


class _Line:
    """A file-like object that hands back what ``csv.writer`` writes, instead of storing it."""

    def write(self, text: str) -> str:
        return text


class CsvLines:
    """Turns rows into CSV text, one line at a time, every cell escaped and quoted: the
    building block of streamed responses (nothing accumulates)."""

    def __init__(self, *, delimiter: str = ",") -> None:
        self._writer = csv.writer(_Line(), delimiter=delimiter, quoting=csv.QUOTE_ALL)

    def line(self, values: Iterable[object]) -> str:
        return self._writer.writerow([escape_cell(value) for value in values])

    def lines(self, rows: Iterable[Iterable[object]]) -> str:
        return "".join(self.line(row) for row in rows)
