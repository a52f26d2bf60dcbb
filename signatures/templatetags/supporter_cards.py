"""``{% supporter_cards signatures %}``: the directory's and the home page's supporter cards.

A page shows thirty cards; rendering each through ``{% include %}`` and a ``{% cache %}``
fragment cost more than the page's query (eight variables resolved and hashed per card, a
pickled copy in and out of the local cache). Here each process keeps every card it rendered
in a plain dictionary, keyed by the language and everything the card shows, so a change to
any of it is a new card and a card is never stale; a page of cards the process has seen is
thirty dictionary lookups. The card itself is ``includes/supporter_card.html``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

CARD_TEMPLATE = "includes/supporter_card.html"
# Cards kept per process (a few hundred bytes each); past this the whole set starts again.
MAX_CARDS = 20_000
_cards: dict[tuple, str] = {}


def card_key(supporter, language: str) -> tuple:
    """Everything a card shows, in ``language``: a card is rendered again when any changes."""
    return (
        language,
        supporter.pk,
        supporter.slug,
        supporter.public_name,
        supporter.is_verified,
        supporter.field_of_work,
        str(supporter.country),
        supporter.known_for,
    )


@register.simple_tag
def supporter_cards(signatures: Iterable) -> SafeString:
    """The cards of ``signatures``' signers, in order (``<li>`` elements)."""
    language = translation.get_language()
    card = None
    parts = []
    for signature in signatures:
        supporter = signature.supporter
        key = card_key(supporter, language)
        html = _cards.get(key)
        if html is None:
            card = card or get_template(CARD_TEMPLATE)
            html = card.render({"supporter": supporter})
            if len(_cards) >= MAX_CARDS:
                _cards.clear()
            _cards[key] = html
        parts.append(html)
    return mark_safe("".join(parts))  # noqa: S308 (rendered by the autoescaping template)
