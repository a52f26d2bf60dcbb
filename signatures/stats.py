"""Figures about a campaign's signatures, for the stats page and the home page's growth chart.

Every figure counts ``Signature.objects.counted()`` of one campaign: pending, held, rejected
and withdrawn signatures never appear. Two grouped queries give everything (one by day, one by
field of work × country), whatever the number of signatures; their results, and the HTML built
from them, are kept in the cache under the campaign's count version (``signature_count`` and
``count_refreshed_at``), so a surge of visitors aggregates once per count change, not once per
request.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import icu
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import translation
from django_countries import countries as country_names

from campaign.models import Campaign, FieldOfWork

from .models import Signature

logger = logging.getLogger(__name__)

# A version of the figures is reused this long, even if the count has not changed meanwhile
# (a supporter verified, or one withdrawal and one confirmation between two counts).
CACHE_SECONDS = 60
# The latest figures built stay available this long: for visitors who arrive while another
# request computes the new version (see ``remember``), and for the home page (see ``peek``).
STALE_SECONDS = 60 * 60
LOCK_SECONDS = 10

T = TypeVar("T")


@dataclass(frozen=True)
class Day:
    """Signatures confirmed on one day (UTC), and the total at the end of that day."""

    day: datetime.date
    new: int
    total: int


@dataclass(frozen=True)
class Share:
    """How many counted signatures one category (a field of work, a country) holds."""

    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Breakdown:
    """Counted signatures by field of work and by country, and how many signers are verified.

    Holds codes only, so that one cached copy serves every language; ``fields`` and
    ``countries`` give the labels in the active language.
    """

    total: int
    verified: int
    by_field: dict[str, int]
    by_country: dict[str, int]

    def fields(self) -> list[Share]:
        """Fields of work, largest first, labelled in the active language."""
        labels = dict(FieldOfWork.choices)
        return _largest_first(
            [Share(code, str(labels.get(code, code)), n) for code, n in self.by_field.items()]
        )

    def countries(self, sort: str = "-count") -> list[Share]:
        """Countries named in the active language, in the order ``sort`` names (see SORTS)."""
        shares = [
            Share(code, country_names.name(code) or code, n) for code, n in self.by_country.items()
        ]
        alphabetical = _collation_key()
        if sort in ("name", "-name"):
            return sorted(shares, key=lambda s: alphabetical(s.label), reverse=sort == "-name")
        if sort == "count":
            return sorted(shares, key=lambda s: (s.count, alphabetical(s.label)))
        return _largest_first(shares)


# How the table of countries may be ordered (``?sort=``); the first is the default.
SORTS = ("-count", "count", "name", "-name")


def country_sort(value: str | None) -> str:
    """The sort a visitor asked for, or the default one for anything else."""
    return value if value in SORTS else SORTS[0]


def _collation_key() -> Callable[[str], bytes]:
    """Sort key for names in the active language's alphabetical order (É next to E in French)."""
    collator = icu.Collator.createInstance(icu.Locale(translation.get_language() or "en"))
    return collator.getSortKey


def _largest_first(shares: list[Share]) -> list[Share]:
    alphabetical = _collation_key()
    return sorted(shares, key=lambda s: (-s.count, alphabetical(s.label)))


# --- Queries ---------------------------------------------------------------------------------


def _counted(campaign: Campaign):
    return Signature.objects.counted().filter(campaign=campaign)


def growth(*, campaign: Campaign) -> list[Day]:
    """Counted signatures by day of confirmation (UTC), oldest first, with running totals.

    One grouped query. Days without a new signature are left out.
    """
    rows = (
        _counted(campaign)
        .annotate(day=TruncDate("confirmed_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
        .order_by("day")
    )
    days, total = [], 0
    for day, new in rows:
        total += new
        days.append(Day(day=day, new=new, total=total))
    return days


def breakdown(*, campaign: Campaign) -> Breakdown:
    """Counted signatures by field of work, by country, and verified. One grouped query
    (field × country: at most a few thousand groups, summed here)."""
    rows = (
        _counted(campaign)
        .values_list("supporter__field_of_work", "supporter__country")
        .annotate(
            n=Count("id"), verified=Count("id", filter=Q(supporter__verified_at__isnull=False))
        )
        .values_list("supporter__field_of_work", "supporter__country", "n", "verified")
        .order_by()
    )
    by_field: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    total = verified = 0
    for field, country, n, n_verified in rows:
        by_field[field] += n
        by_country[str(country)] += n
        total += n
        verified += n_verified
    return Breakdown(
        total=total, verified=verified, by_field=dict(by_field), by_country=dict(by_country)
    )


# --- Cache -----------------------------------------------------------------------------------


def count_version(campaign: Campaign) -> str:
    """Changes whenever the counting job stores a new count for ``campaign``."""
    refreshed = campaign.count_refreshed_at
    stamp = int(refreshed.timestamp()) if refreshed else 0
    return f"{campaign.pk}.{campaign.signature_count}.{stamp}"


def _keys(name: str, campaign: Campaign, parts: tuple) -> tuple[str, str]:
    """The key of this count version's value, and of the latest value built, whatever its
    version."""
    suffix = tuple(map(str, parts))
    return (
        ":".join(("stats", name, count_version(campaign), *suffix)),
        ":".join(("stats", name, "latest", str(campaign.pk), *suffix)),
    )


def remember(name: str, *, campaign: Campaign, build: Callable[[], T], parts: tuple = ()) -> T:
    """``build()``'s result for this version of the campaign's count, from the cache if there.

    When the version is missing, one request (the holder of a short lock) builds it; the others
    meanwhile get the latest version built, at most one count interval old, rather than all
    running the same aggregate at once. A cache that is down costs a rebuild, never an error.
    """
    key, latest_key = _keys(name, campaign, parts)
    value = cache_call(cache.get, key)
    if value is not None:
        return value
    if not cache_call(cache.add, f"{key}:lock", True, LOCK_SECONDS, default=True):
        stale = cache_call(cache.get, latest_key)
        if stale is not None:
            return stale
    value = build()
    cache_call(cache.set, key, value, CACHE_SECONDS)
    cache_call(cache.set, latest_key, value, STALE_SECONDS)
    cache_call(cache.delete, f"{key}:lock")
    return value


def peek(name: str, *, campaign: Campaign, parts: tuple = ()):
    """What ``remember`` keeps for this count version, else the latest value built, else None.
    Never builds: for pages that must not aggregate (the home page)."""
    key, latest_key = _keys(name, campaign, parts)
    value = cache_call(cache.get, key)
    return value if value is not None else cache_call(cache.get, latest_key)


def cache_call(method: Callable, *args, default=None):
    """``method(*args)`` on the cache, or ``default`` when the cache fails."""
    try:
        return method(*args)
    except Exception:  # Redis down or unreachable: compute instead of failing the page.
        logger.warning("Cache unavailable for the figures", exc_info=True)
        return default


def cached_growth(*, campaign: Campaign) -> list[Day]:
    return remember("growth", campaign=campaign, build=lambda: growth(campaign=campaign))


def known_growth(*, campaign: Campaign) -> list[Day] | None:
    """The growth figures if some request or ``warm`` has computed them lately, else None."""
    return peek("growth", campaign=campaign)


def cached_breakdown(*, campaign: Campaign) -> Breakdown:
    return remember("breakdown", campaign=campaign, build=lambda: breakdown(campaign=campaign))


def warm(*, campaign: Campaign) -> None:
    """Compute this count version's figures now, so that public requests find them ready.

    For the counting job to call after it stores a new count: then no public request ever
    aggregates, and the home page's growth chart (which only reads the cache) is always
    current. Until then the stats page computes them, once per count version.
    """
    cached_growth(campaign=campaign)
    cached_breakdown(campaign=campaign)
