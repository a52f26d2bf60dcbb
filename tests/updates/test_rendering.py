"""Markdown to sanitised HTML: one function for the preview, the email and the news page."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from updates.rendering import ALLOWED_TAGS, render_markdown


def test_markdown_becomes_the_allowed_html():
    html = render_markdown(
        "# Big news\n\nWe *met* the **minister**.\n\n- one\n- two\n\n1. first\n\n"
        "> a quotation\n\n### Next steps\n\nLine one  \nline two"
    )

    assert "<h2>Big news</h2>" in html  # the page's own title is the only h1
    assert "<em>met</em>" in html and "<strong>minister</strong>" in html
    assert "<ul>\n<li>one</li>" in html and "<ol>\n<li>first</li>" in html
    assert "<blockquote>" in html and "<h3>Next steps</h3>" in html
    assert "Line one<br>" in html


def test_links_keep_their_address_and_get_a_safe_rel():
    html = render_markdown("[The appeal](https://example.org/appeal) · <mailto:us@example.org>")

    assert (
        '<a href="https://example.org/appeal" rel="noopener noreferrer nofollow">The appeal</a>'
        in html
    )
    assert 'href="mailto:us@example.org"' in html


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("Hello <script>alert('x')</script> there", "alert"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<img src="https://tracker.example/p.gif">', "<img"),
        ("[click](javascript:alert(1))", "javascript"),
        ('<a href="JaVaScRiPt:alert(1)">click</a>', "javascript"),
        ('<a href="https://ok.example" onclick="steal()">ok</a>', "onclick"),
        ('<p style="position:fixed">overlay</p>', "style"),
        ("<iframe src='https://evil.example'></iframe>", "iframe"),
        ("<style>body{display:none}</style>", "display"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ('<form action="https://evil.example"><input name="p"></form>', "<form"),
        ("<!-- secret note -->visible", "secret note"),
    ],
)
def test_dangerous_markup_is_stripped(source, forbidden):
    html = render_markdown(source)

    assert forbidden.lower() not in html.lower()


def test_text_that_looks_like_markup_is_escaped_not_dropped():
    assert "5 &lt; 6 &amp; 7 &gt; 2" in render_markdown("5 < 6 & 7 > 2")


TAG = re.compile(r"<\s*/?\s*([a-zA-Z0-9]+)([^>]*)>")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<script>x()</script>",
                "<img src=x onerror=y()>",
                "[a](javascript:y())",
                "<a href='javascript:y()'>a</a>",
                "<svg onload=y()>",
                "<p style='color:red'>",
                "**b**",
                "\n\n",
                "# h\n",
                "<div>",
                "&lt;script&gt;",
                "\"'",
                "`code`",
            ]
        )
        | st.text(max_size=20),
        max_size=12,
    )
)
def test_whatever_is_typed_only_allowed_tags_and_no_script_come_out(parts):
    html = render_markdown("".join(parts))

    # Text may say anything (escaped); what matters is the markup: which tags, which attributes.
    for name, attributes in TAG.findall(html):
        assert name.lower() in ALLOWED_TAGS
        names = set(re.findall(r"([a-zA-Z-]+)\s*=", attributes))
        assert names <= ({"href", "rel"} if name.lower() == "a" else set())
        assert "javascript:" not in attributes.lower()
