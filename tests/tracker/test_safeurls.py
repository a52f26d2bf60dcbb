"""Whatever string is typed as a source or website, an accepted one is a plain http(s) link to
a host, with no credentials, no space and no control character."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.safeurls import validate_public_url

PIECES = st.sampled_from(
    [
        "https://",
        "http://",
        "javascript:",
        "data:",
        "//",
        "user:pw@",
        "@",
        "news.example",
        "/path",
        "?q=1",
        "#x",
        " ",
        "\t",
        "\x00",
        "é",
        "[::1]",
        ":443",
        "%0a",
        "\\",
        "..",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES | st.text(max_size=8), max_size=6).map("".join))
def test_an_accepted_address_is_a_plain_web_link(value):
    try:
        validate_public_url(value)
    except ValidationError:
        return
    parts = urlsplit(value)
    assert parts.scheme in ("http", "https")
    assert parts.hostname and parts.username is None and "@" not in parts.netloc
    assert not any(ord(c) < 33 or ord(c) == 127 for c in value)
