"""The picture social networks show with a link to the site (Open Graph ``og:image``): the
campaign's title in the visitor's language and the live count, drawn with Pillow.

One PNG per (campaign, language, count, title), kept in the cache: a new count makes a new
picture, and a crawler asking again for the same count gets the same bytes without drawing.
"""

from __future__ import annotations

import hashlib
import io
import logging
from functools import cache as memoize
from pathlib import Path

from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext, ngettext
from PIL import Image, ImageDraw, ImageFont

from campaign.models import Campaign
from signatures.stats import cache_call

from .charts import format_count

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
CACHE_SECONDS = 24 * 60 * 60  # a picture is only ever valid for its own count anyway

INK = (20, 21, 26)
WHITE = (255, 255, 255)
PINK = (243, 194, 202)
SOFT = (232, 230, 225)
ACCENT = (179, 18, 46)
TRACK = (64, 67, 77)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@memoize
def font(name: str, size: int) -> Font:
    """A DejaVu font when the system has it, else Pillow's own: the picture is never refused
    for want of a font."""
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        logger.info("Font %s not found; using Pillow's default font", name)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ValueError, OSError):  # a Pillow built without FreeType
        return ImageFont.load_default()


def _wrap(text: str, face: Font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and face.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or [""]


def _title_lines(title: str, width: int) -> tuple[Font, list[str]]:
    """The largest serif size at which the title fits in three lines."""
    for size in (88, 76, 66, 58, 50, 44):
        face = font("DejaVuSerif-Bold.ttf", size)
        lines = _wrap(title, face, width)
        if len(lines) <= 3 and all(face.getlength(line) <= width for line in lines):
            return face, lines
    return face, lines[:3]


def _on_baseline(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, face, fill):
    """Text standing on the line at ``xy`` (Pillow's bitmap fallback font only knows its top)."""
    if isinstance(face, ImageFont.FreeTypeFont):
        draw.text(xy, text, font=face, fill=fill, anchor="ls")
    else:
        draw.text((xy[0], xy[1] - 12), text, font=face, fill=fill)


def render_png(*, title: str, count: str, count_label: str, goal_text: str, share: float) -> bytes:
    """Draw the 1200×630 picture: the title, the count and its label, a bar toward the goal
    (``share`` from 0 to 1) with ``goal_text`` under it, the campaign's red band at the foot."""
    image = Image.new("RGB", (WIDTH, HEIGHT), INK)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN

    title_face, lines = _title_lines(title, inner)
    y = 64
    line_height = int(getattr(title_face, "size", 50) * 1.18)
    for line in lines:
        draw.text((MARGIN, y), line, font=title_face, fill=WHITE)
        y += line_height

    number_face = font("DejaVuSerif-Bold.ttf", 96)
    label_face = font("DejaVuSans-Bold.ttf", 40)
    baseline = HEIGHT - 200
    _on_baseline(draw, (MARGIN, baseline), count, number_face, PINK)
    label_x = MARGIN + number_face.getlength(count) + 24
    if label_x + label_face.getlength(count_label) > WIDTH - MARGIN:
        baseline += 52
        _on_baseline(draw, (MARGIN, baseline), count_label, label_face, WHITE)
    else:
        _on_baseline(draw, (label_x, baseline), count_label, label_face, WHITE)

    bar_top = baseline + 30
    draw.rounded_rectangle((MARGIN, bar_top, WIDTH - MARGIN, bar_top + 18), 9, fill=TRACK)
    if share > 0:
        filled = MARGIN + max(18, int(inner * min(share, 1)))
        draw.rounded_rectangle((MARGIN, bar_top, filled, bar_top + 18), 9, fill=ACCENT)
    draw.text((MARGIN, bar_top + 56), goal_text, font=font("DejaVuSans.ttf", 30), fill=SOFT)
    draw.rectangle((0, HEIGHT - 24, WIDTH, HEIGHT), fill=ACCENT)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_image(*, campaign: Campaign) -> bytes:
    """The picture for ``campaign`` in the active language at its current count, drawn once
    per count and then served from the cache."""
    count = campaign.signature_count
    texts = {
        "title": campaign.title,
        "count": format_count(count),
        "count_label": ngettext("artist has signed", "artists have signed", count),
        "goal_text": gettext("%(percent)s%% of our goal of %(goal)s signatures")
        % {"percent": campaign.goal_percent, "goal": format_count(campaign.goal)},
    }
    digest = hashlib.sha256("\n".join(texts.values()).encode()).hexdigest()[:16]
    key = f"share-image:{campaign.pk}:{translation.get_language()}:{count}:{digest}"
    png = cache_call(cache.get, key)
    if png is None:
        png = render_png(share=count / campaign.goal if campaign.goal else 1, **texts)
        cache_call(cache.set, key, png, CACHE_SECONDS)
    return png


# --- A tracked company (tracker/) ----------------------------------------------------------

STATUS_COLOURS = {
    "kept": ((227, 243, 232), (20, 83, 43)),
    "made": ((228, 237, 250), (23, 61, 120)),
    "partial": ((255, 244, 214), (94, 69, 0)),
    "none": ((241, 239, 235), (59, 62, 70)),
    "broken": ((251, 229, 232), (140, 13, 35)),
    "": ((64, 67, 77), (232, 230, 225)),
}


def render_tracker_png(*, name: str, heading: str, rows: list[tuple[str, str, str]]) -> bytes:
    """Draw the 1200×630 picture of a company: ``heading`` (the tracker), its ``name``, then
    one line per demand: the demand and, in a coloured label with its symbol, the status."""
    image = Image.new("RGB", (WIDTH, HEIGHT), INK)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    draw.text((MARGIN, 48), heading, font=font("DejaVuSans-Bold.ttf", 30), fill=PINK)
    title_face, lines = _title_lines(name, inner)
    y = 96
    for line in lines[:2]:
        draw.text((MARGIN, y), line, font=title_face, fill=WHITE)
        y += int(getattr(title_face, "size", 50) * 1.15)
    label_face = font("DejaVuSans.ttf", 30)
    status_face = font("DejaVuSans-Bold.ttf", 28)
    y = max(y + 24, 300)
    for criterion, status, label in rows[:5]:
        background, ink = STATUS_COLOURS.get(status, STATUS_COLOURS[""])
        width = int(status_face.getlength(label)) + 32
        left = WIDTH - MARGIN - width
        draw.rounded_rectangle((left, y - 6, WIDTH - MARGIN, y + 40), 8, fill=background)
        draw.text((left + 16, y), label, font=status_face, fill=ink)
        text = criterion
        while text and label_face.getlength(text) > left - MARGIN - 24:
            text = text[:-2] + "…"
        draw.text((MARGIN, y), text, font=label_face, fill=SOFT)
        y += 62
    draw.rectangle((0, HEIGHT - 24, WIDTH, HEIGHT), fill=ACCENT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def tracker_share_image(*, page) -> bytes:
    """The picture of a tracker company page (``tracker.selectors.CompanyPage``) in the active
    language, drawn once per content and then served from the cache."""
    rows = [
        (
            cell.criterion.title,
            cell.status,
            f"{cell.icon} {cell.status_label or gettext('Not assessed yet')}",
        )
        for cell in page.cells
    ]
    name = page.company.name
    heading = gettext("AI companies tracker")
    digest = hashlib.sha256(repr((name, heading, rows)).encode()).hexdigest()[:16]
    key = f"tracker-image:{page.company.pk}:{translation.get_language()}:{digest}"
    png = cache_call(cache.get, key)
    if png is None:
        png = render_tracker_png(name=name, heading=heading, rows=rows)
        cache_call(cache.set, key, png, CACHE_SECONDS)
    return png
