"""Read queries the campaign's public pages share.

The campaign row and its short lists are read by nearly every request (each page, each
signature), and change a few times a day (an organiser's edit) or every few seconds during a
surge (the public count, written by the count job). So each process keeps the copies it read,
and asks a shared version number (one cache key) at most every ``CAMPAIGN_CACHE_SECONDS``
whether they are still current:

- every write to the campaign or its lists bumps the version once the transaction commits
  (``bump_campaign_version``: model signals, connected in ``CampaignConfig.ready``, and an
  explicit call from the writes that bypass them, such as the count job's ``update()``), and
  drops this process's copies at once;
- a process that finds the version moved reloads; one that cannot reach the cache reads the
  database, as before;
- ``CAMPAIGN_CACHE_SECONDS = 0`` switches the copies off (the tests do: they change the
  campaign behind the ORM's back and read it again at once).

So a change shows in every process within ``CAMPAIGN_CACHE_SECONDS`` (1 s by default) of its
commit, and a copy is never kept longer than ``CAMPAIGN_CACHE_MAX_SECONDS`` whatever the
version says (a write made without a bump, by hand in a shell, is seen within a minute; so is,
in the one process that made it, a change read back before its transaction rolled back).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404

from .models import Campaign, Demand, KeyMessage, LaunchSupporter, Solution, Stake

logger = logging.getLogger(__name__)

VERSION_KEY = "campaign:content-version"
CAMPAIGN_CACHE_MAX_SECONDS = 60.0


def current_campaign(*, with_content: str = "") -> Campaign:
    """The campaign the site presents (``settings.CAMPAIGN_SLUG``), if the public may see it.

    ``with_content`` names what to prefetch: ``"home"`` (key messages, demands, launch
    supporters) or ``"why"`` (stakes and solutions). One query per related list, whatever
    its length, and none at all while this process's copy is current (see the module's
    docstring). Raises ``Http404`` when the campaign is missing or still a draft. The campaign
    returned may be shared with other requests: read it, never change it.
    """
    campaign = _copies.get(
        ("campaign", settings.CAMPAIGN_SLUG, with_content), lambda: _load_campaign(with_content)
    )
    if campaign is None:
        raise Http404("No public campaign")
    if not hasattr(campaign, "content_version"):
        # Names this copy: template fragments made from it may be kept as long as it is
        # current ({% cache … campaign.content_version %}); a reload is a new name.
        campaign.content_version = uuid.uuid4().hex
    return campaign


def launch_supporter_names(*, campaign: Campaign) -> tuple[str, ...]:
    """The names of the supporters ``campaign`` named at launch, in their order (kept like the
    campaign: no query while this process's copy is current)."""
    return _copies.get(
        ("launch-names", campaign.pk),
        lambda: tuple(
            LaunchSupporter.objects.filter(campaign=campaign)
            .order_by("position", "id")
            .values_list("name", flat=True)
        ),
    )


def kept_with_campaign(key: tuple, load: Callable[[], Any]) -> Any:
    """``load()``, kept by this process as long as its copy of the campaign is current (so
    renewed at least whenever the public count moves): for short public lists that need be no
    fresher than the count, such as the home page's latest and featured signatories. Read the
    value, never change it: other requests share it."""
    return _copies.get(("kept", *key), load)


def _load_campaign(with_content: str) -> Campaign | None:
    related = {
        "home": ("key_messages", "demands", "launch_supporters"),
        "why": ("stakes", "solutions", "demands"),
    }.get(with_content, ())
    models = {
        "key_messages": KeyMessage,
        "demands": Demand,
        "stakes": Stake,
        "solutions": Solution,
        "launch_supporters": LaunchSupporter,
    }
    queryset = Campaign.objects.public().prefetch_related(
        *(
            Prefetch(name, queryset=models[name].objects.order_by("position", "id"))
            for name in related
        )
    )
    return queryset.filter(slug=settings.CAMPAIGN_SLUG).first()


# --- This process's copies --------------------------------------------------------------------


def bump_campaign_version() -> None:
    """Say that the campaign or its lists changed: every process reloads them within
    ``CAMPAIGN_CACHE_SECONDS`` of the current transaction's commit (this one at once)."""
    _copies.clear()
    transaction.on_commit(_publish_new_version)


def _publish_new_version() -> None:
    _copies.clear()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # The cache is down: copies are not used until it is back.
        logger.warning("Could not publish the campaign's new version", exc_info=True)


def _shared_version() -> str | None:
    """The version every process compares its copies with (None when the cache is down)."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY)
    except Exception:
        logger.warning("Campaign version unreadable: the cache is unavailable", exc_info=True)
        return None
    return version


@dataclass
class _Copy:
    value: Any
    version: str
    loaded_at: float
    checked_at: float


class _Copies:
    """Values read from the database, kept while the shared version says they are current."""

    def __init__(self) -> None:
        self._items: dict[tuple, _Copy] = {}
        self._lock = threading.Lock()
        self._version: str | None = None
        self._version_read_at = float("-inf")

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._version_read_at = float("-inf")

    def get(self, key: tuple, load: Callable[[], Any]) -> Any:
        seconds = settings.CAMPAIGN_CACHE_SECONDS
        if seconds <= 0:
            return load()
        now = time.monotonic()
        version = self._version_now(now, seconds)
        if version is None:
            return load()
        copy = self._items.get(key)
        if (
            copy is not None
            and copy.version == version
            and now - copy.loaded_at < CAMPAIGN_CACHE_MAX_SECONDS
        ):
            return copy.value
        value = load()
        with self._lock:
            self._items[key] = _Copy(value, version, loaded_at=now, checked_at=now)
        return value

    def _version_now(self, now: float, seconds: float) -> str | None:
        if now - self._version_read_at < seconds:
            return self._version
        version = _shared_version()
        with self._lock:
            self._version, self._version_read_at = version, now
            if version is None:
                self._items.clear()
        return version


_copies = _Copies()


def _changed(sender, **kwargs) -> None:
    bump_campaign_version()


def connect_signals() -> None:
    """Bump the version on every save or deletion of the campaign or its lists (called by
    ``CampaignConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save

    for model in (Campaign, KeyMessage, Demand, Stake, Solution, LaunchSupporter):
        uid = f"campaign.selectors.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
