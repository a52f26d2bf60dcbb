"""Read queries behind the API that the site's pages do not already share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Max

from campaign.models import Campaign
from signatures import stats
from signatures.models import Signature


@dataclass(frozen=True)
class CampaignFigures:
    """Counted signatures of a campaign by country and by field of work (codes, largest first),
    how many verified artists signed, and when the last counted signature was confirmed."""

    by_country: list[tuple[str, int]]
    by_field_of_work: list[tuple[str, int]]
    verified: int
    last_signed_at: datetime.datetime | None


def campaign_figures(*, campaign: Campaign) -> CampaignFigures:
    """The stats page's figures (``signatures.stats``), so that the API and the page always
    agree: computed once per count version, never by every request of a surge."""
    breakdown = stats.cached_breakdown(campaign=campaign)
    last_signed_at = stats.remember(
        "last-signed", campaign=campaign, build=lambda: _last_signed_at(campaign)
    )
    return CampaignFigures(
        by_country=_largest_first(breakdown.by_country),
        by_field_of_work=_largest_first(breakdown.by_field),
        verified=breakdown.verified,
        last_signed_at=last_signed_at,
    )


def _largest_first(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _last_signed_at(campaign: Campaign) -> datetime.datetime | None:
    # The newest row of the directory's partial index on (campaign, -confirmed_at): no count.
    counted = Signature.objects.counted().filter(campaign=campaign)
    return counted.aggregate(last=Max("confirmed_at"))["last"]
