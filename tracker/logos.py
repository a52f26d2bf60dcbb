"""Company logos: whatever an organiser uploads is decoded by Pillow and re-encoded as a small
PNG, and only those new bytes are ever served.

Why on the row and not in a file: the site serves no media (whitenoise serves static files
only) and runs as several processes behind a load balancer, so a file written by one would be
missing on the others; a logo of at most ``MAX_SIDE`` pixels a side is a few kilobytes, and
keeping it in the database keeps it in the same backups as the rest. Why re-encoded: an
uploaded file served as-is could be HTML or SVG with a script in it, or a decompression bomb;
after Pillow has redrawn it as pixels it can only be a picture.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_SIDE = 256
MAX_SOURCE_PIXELS = 25_000_000  # refuse decompression bombs before decoding them
MAX_PNG_BYTES = 200 * 1024
ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


@dataclass(frozen=True)
class Logo:
    png: bytes
    width: int
    height: int
    version: str


def reencode(data: bytes) -> Logo:
    """The upload as a PNG of at most ``MAX_SIDE`` pixels a side; ``ValidationError`` when it
    is not a PNG, JPEG, GIF or WebP picture of a sensible size."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The logo file is too large (2 MB at most)."), code="too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise ValidationError(_unreadable(), code="format")
                if image.width * image.height > MAX_SOURCE_PIXELS:
                    raise ValidationError(_("The logo's picture is too large."), code="pixels")
                image.seek(0)
                picture = ImageOps.exif_transpose(image).convert("RGBA")
    except ValidationError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        raise ValidationError(_unreadable(), code="unreadable") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    if len(png) > MAX_PNG_BYTES:
        raise ValidationError(_("The logo's picture is too detailed."), code="png_too_large")
    return Logo(
        png=png,
        width=picture.width,
        height=picture.height,
        version=hashlib.sha256(png).hexdigest()[:16],
    )


def _unreadable():
    return _("Upload the logo as a PNG, JPEG, GIF or WebP picture.")
