"""Markdown to safe HTML: the one function behind the back office's preview, the HTML part of
every update email and the public news pages.

Organisers write Markdown; ``markdown`` turns it into HTML (raw HTML typed into the source
passes through it), then ``nh3`` keeps only a small set of tags and the ``href`` of links,
drops ``<script>``/``<style>`` with their content, every event handler, inline style and
image, and any link that is not ``http``, ``https`` or ``mailto`` (so no ``javascript:``).
Every link gets ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset(
    {"p", "a", "em", "strong", "ul", "ol", "li", "h2", "h3", "blockquote", "br"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"


class _HeadingLevels(Treeprocessor):
    """The update's title is the page's (and the email's) only first-level heading: a ``#``
    heading in the body becomes an ``h2``, and ``####`` or deeper an ``h3``, instead of
    being stripped to bare text by the sanitiser."""

    def run(self, root) -> None:
        for element in root.iter():
            if element.tag == "h1":
                element.tag = "h2"
            elif element.tag in ("h4", "h5", "h6"):
                element.tag = "h3"


class _HeadingLevelsExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(_HeadingLevels(md), "update_heading_levels", 5)


def render_markdown(source: str) -> SafeString:
    """``source`` (Markdown) as sanitised HTML, safe to put in a page or an email as is."""
    html = markdown.markdown(
        source or "",
        extensions=["sane_lists", _HeadingLevelsExtension()],
        output_format="html",
    )
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned.strip())  # noqa: S308 (sanitised just above)
