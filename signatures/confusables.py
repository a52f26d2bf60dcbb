"""Whether two names would be taken for the same person: the impersonation guard's comparison.

``name_skeleton`` reduces a name to a key that is equal for names a reader would take for one
another, and ``is_confusable`` compares two keys. The key is for comparison only, never for
display.

What is folded, in order:

1. Invisible characters are removed: format characters (zero-width space, joiner and
   non-joiner, word joiner, byte order mark, soft hyphen, bidirectional controls), control
   characters and the other default-ignorable code points such as variation selectors.
2. NFKC turns compatibility forms (full-width letters, ligatures, mathematical letters) into
   plain ones.
3. The name is cut into words at spaces, dashes, dots, commas, apostrophes and quotation marks;
   none of them survive, so "R.E.M." and "R E M" reduce like "REM".
4. Each word goes through the Unicode TR39 skeleton, which maps every character to the
   prototype of its class of look-alikes: Cyrillic and Greek letters to Latin ones, ``I``,
   ``1`` and ``|`` to ``l``, ``0`` to ``O``, ``m`` to ``rn``. The mapping comes from ICU's
   spoof checker (PyICU), the reference implementation that browsers use for domain names,
   rather than from a table kept here: it covers every script and follows Unicode's data.
   PyICU is built against the system's ICU when installed (Debian's libicu-dev, pkg-config
   and a C++ compiler, all on the project's machines; a deployment image needs them too).
   The pure-Python packages on PyPI were looked at and not used: confusable-homoglyphs and
   confusables keep only a two-way list of look-alike pairs with no skeleton function, and
   the packages that do offer one are young and depart from TR39 on purpose.
5. Case is folded, with one care. TR39 keeps case (``I`` becomes ``l``, a capital ``I`` is
   not an ``i``), but names are compared regardless of case, and the two rules meet at the
   letter I: "BILLY" must match "Billy" while "ScarIett" must match "Scarlett". A word is
   therefore read as capitals when it has capitals and no lower-case letter except ``l``
   (so an ``l`` in "BlLLY" is a disguised ``I``), and as ordinary text otherwise (so an
   ``I`` in "GiIIigan" is a disguised ``l``). At the start of a word ``i`` and ``l`` share
   one key, because a word-initial capital I and a lower-case l look alike ("Idris" and
   "ldris"). Names that differ only by ``i``/``l`` in first position are rare enough that
   over-matching them is the safer error for a guard.
6. Accents are dropped (NFKD, then combining marks removed), which also reduces the TR39
   forms of ``ø``, ``ł`` and ``đ`` to ``o``, ``l`` and ``d``; case folding turns ``ß`` into
   ``ss``; TR39 already gives ``ae``, ``oe`` and ``i`` for ``æ``, ``œ`` and ``ı``.
7. A few look-alikes TR39 leaves apart are joined: ``vv`` and ``w``, the Latin kra (where
   TR39 sends Greek and Cyrillic kappa) and ``k``, ``ð`` and ``d``. ``rn`` is written ``m``
   again so the key stays readable.

The steps are repeated until the key no longer changes (case folding can expose a character
that TR39 maps again), so the key of a key is itself.

Two folds are limited to where they fold tricks, not names (docs/impersonation.md gives the
measured false-hold rates):

- Combining marks are accents in Latin, Greek and Cyrillic (and optional vowel points in
  Arabic and Hebrew), but vowels and tones in the Brahmic and South-East Asian scripts
  (Devanagari, Bengali, Tamil, Thai, …): there "राम" and "रामू", "จิราภรณ์" and "จีราภรณ์" are
  different names. A mark is therefore kept when the letter it sits on is of one of those
  scripts, except the nukta (a dot below, which could pass for nothing); a vowel sign put on
  a Latin letter is still dropped.
- TR39 gives the Hebrew letter yod the prototype of an apostrophe, which then vanished as a
  separator: "מאיר" (Meir) and "מיאר" shared a key, like a quarter of Hebrew first names. A
  yod next to another Hebrew letter is a letter, and stays in the key (as a private-use
  stand-in that no later pass changes); a yod among Latin letters is still an apostrophe.
"""

from __future__ import annotations

import re
import unicodedata

import icu

# Default-ignorable code points (Unicode DerivedCoreProperties) that are not already format
# or control characters: they render as nothing and can be slipped into a name unseen.
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_MARK_CATEGORIES = frozenset({"Mn", "Me"})
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pd", "Pi", "Pf"})
# Dots, commas, apostrophes and quotation marks of the scripts names are written in, and the
# forms TR39 gives their look-alikes.
_SEPARATOR_MARKS = frozenset(
    ".,'\"`\u00b4\u02b9\u02bb\u02bc\u2032\u2033\u00b7\u2022\u2024\u2027\u3002\u3001\u060c"
)

# Look-alikes that TR39 keeps apart and a reader does not.
_BEFORE_TR39 = str.maketrans({"ð": "d"})
_AFTER_TR39 = str.maketrans({"ĸ": "k"})
_SEQUENCES = (("rn", "m"), ("vv", "w"))

_MAX_PASSES = 8
_spoof_checker = icu.SpoofChecker()

# Scripts whose combining marks are vowels or tones (letters of the name), not accents.
_MARKS_ARE_LETTERS = frozenset(
    {
        "Deva",
        "Beng",
        "Guru",
        "Gujr",
        "Orya",
        "Taml",
        "Telu",
        "Knda",
        "Mlym",
        "Sinh",
        "Thai",
        "Laoo",
        "Tibt",
        "Mymr",
        "Khmr",
        "Bali",
        "Java",
        "Tglg",
    }
)
# The nukta of each Indic script: a dot below that could pass for nothing, dropped like an accent.
_NUKTAS = frozenset("\u093c\u09bc\u0a3c\u0abc\u0b3c\u0cbc\u0323")  # U+0323: TR39's form
# Hebrew yod and double yod, and the private-use stand-ins that keep them in a key.
_YODS = {"\u05d9": "\uf8d9", "\u05f2": "\uf8f2"}


def name_skeleton(name: str) -> str:
    """The comparison key of ``name``: equal for names a reader would take for one another.

    Never raises for any string; the key of a key is itself. An empty key means the name has
    nothing visible to compare.
    """
    skeleton = name or ""
    for _ in range(_MAX_PASSES):
        folded = _fold_once(skeleton)
        if folded == skeleton:
            break
        skeleton = folded
    return skeleton


def is_confusable(a: str, b: str) -> bool:
    """Whether two names would be taken for the same person (both must have a visible key)."""
    skeleton = name_skeleton(a)
    return bool(skeleton) and skeleton == name_skeleton(b)


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", _without_invisibles(text)).translate(_BEFORE_TR39)
    text = _hebrew_yods_kept(text)
    words = []
    for word in _words(text):
        prototype = _spoof_checker.getSkeleton(0, word).translate(_AFTER_TR39)
        words.extend(_fold_word(part) for part in _words(prototype))
    key = "".join(words)
    for sequence, replacement in _SEQUENCES:
        key = key.replace(sequence, replacement)
    return key


def _without_invisibles(text: str) -> str:
    text = "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE_CATEGORIES)
    return _IGNORABLE.sub("", text)


def _is_separator(char: str) -> bool:
    return (
        char.isspace()
        or char in _SEPARATOR_MARKS
        or unicodedata.category(char) in _SEPARATOR_CATEGORIES
    )


def _words(text: str) -> list[str]:
    words, current = [], []
    for char in text:
        if _is_separator(char):
            words.append("".join(current))
            current = []
        else:
            current.append(char)
    words.append("".join(current))
    return [word for word in words if word]


def _script(char: str) -> str:
    return icu.Script.getScript(char).getShortName()


def _hebrew_yods_kept(text: str) -> str:
    """Each yod beside another Hebrew letter written as its stand-in (see the module notes)."""
    if not any(yod in text for yod in _YODS):
        return text
    chars = list(text)
    for index, char in enumerate(text):
        if char not in _YODS:
            continue
        neighbours = text[max(0, index - 1) : index] + text[index + 1 : index + 2]
        if any(n.isalpha() and _script(n) == "Hebr" for n in neighbours):
            chars[index] = _YODS[char]
    return "".join(chars)


def _without_accents(word: str) -> str:
    """``word`` (decomposed) without its accents: every combining mark but those that are
    vowels or tones of the letter they sit on (``_MARKS_ARE_LETTERS``)."""
    kept, base_keeps_marks = [], False
    for char in word:
        if unicodedata.category(char) not in _MARK_CATEGORIES:
            kept.append(char)
            base_keeps_marks = _script(char) in _MARKS_ARE_LETTERS
        elif base_keeps_marks and char not in _NUKTAS:
            kept.append(char)
    return "".join(kept)


def _fold_word(word: str) -> str:
    """One word's case and accents folded, reading ``l`` and ``I`` as the word's case allows."""
    if _reads_as_capitals(word):
        word = word.replace("l", "I")
    word = _without_accents(unicodedata.normalize("NFKD", word.casefold()))
    if word.startswith("i"):
        word = "l" + word[1:]
    return word


def _reads_as_capitals(word: str) -> bool:
    # Capitals are the letters case folding changes; after one pass there are none left, which
    # keeps the key stable.
    has_capital = any(c.casefold() != c and not c.islower() for c in word)
    return has_capital and not any(c.islower() and c != "l" for c in word)
