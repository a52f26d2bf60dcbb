"""The committed .mo catalogues match their .po sources, and French is complete.

The compiled catalogues are committed so that a fresh machine without GNU gettext can run the
site; this test fails when someone edits a .po file and forgets `make messages`.
"""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
PO_FILES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def entries(catalogue) -> dict:
    """{(context, msgid): translation} for what gettext would use (a .mo holds only that)."""
    return {
        (entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in catalogue
        if entry.msgid
        and (isinstance(entry, polib.MOEntry) or (entry.translated() and not entry.fuzzy))
        and not entry.obsolete
    }


def test_there_are_catalogues():
    assert {p.parent.parent.name for p in PO_FILES} >= {"en", "fr"}


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(LOCALE)))
def test_compiled_catalogue_matches_its_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `make messages`"
    assert entries(polib.mofile(str(mo_path))) == entries(polib.pofile(str(po_path))), (
        f"{mo_path.name} is out of date with {po_path.name}: run `make messages`"
    )


@pytest.mark.parametrize("po_path", [p for p in PO_FILES if "/fr/" in str(p)], ids=str)
def test_french_is_complete(po_path):
    catalogue = polib.pofile(str(po_path))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == [], f"untranslated or fuzzy French strings: {missing[:10]}"
