"""Uploaded logos: only pictures pass, re-encoded small as PNG; anything else is refused with
a message, never stored and never served as sent."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tracker import logos


def _image(fmt: str, size=(40, 20), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_pictures_are_reencoded_as_png(fmt):
    logo = logos.reencode(_image(fmt))
    assert logo.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (logo.width, logo.height) == (40, 20) and len(logo.version) == 16


def test_a_large_picture_is_shrunk():
    logo = logos.reencode(_image("PNG", size=(2000, 1000)))
    assert (logo.width, logo.height) == (256, 128)


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<html><script>alert(1)</script></html>",
        b"GIF89a<script>alert(1)</script>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
        b"",
        _image("BMP"),
        _image("TIFF"),
    ],
    ids=["svg", "html", "gif-polyglot", "truncated-png", "empty", "bmp", "tiff"],
)
def test_anything_but_a_picture_is_refused(data):
    with pytest.raises(ValidationError):
        logos.reencode(data)


def test_a_decompression_bomb_is_refused():
    with pytest.raises(ValidationError):
        logos.reencode(_image("PNG", size=(6000, 6000), mode="1"))


def test_an_oversized_file_is_refused_before_decoding():
    with pytest.raises(ValidationError) as refused:
        logos.reencode(b"\x89PNG" + b"\x00" * (logos.MAX_UPLOAD_BYTES + 1))
    assert refused.value.code == "too_large"
