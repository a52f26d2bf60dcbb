"""Read queries behind the API that the site's pages do not already share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from campaign.models import Campaign
from signatures.models import Signature


@dataclass(frozen=True)
class CampaignFigures:
    """Counted signatures of a campaign by country and by field of work, and the last one."""

    by_country: list[tuple[str, int]]
    by_field_of_work: list[tuple[str, int]]
    last_signed_at: datetime.datetime | None


def campaign_figures(*, campaign: Campaign) -> CampaignFigures:
    """The breakdowns of ``campaign``'s counted signatures, largest first.

    Three grouped queries over counted signatures, run at most once per count version (the
    campaign's stored count and its refresh time) and per ``COUNT_REFRESH_SECONDS``: a public
    request never aggregates all signatures itself under a surge.
    """
    version = campaign.count_refreshed_at.timestamp() if campaign.count_refreshed_at else 0
    key = f"api:figures:{campaign.pk}:{campaign.signature_count}:{version}"
    figures = cache.get(key)
    if figures is None:
        figures = _compute(campaign)
        cache.set(key, figures, timeout=max(1, settings.COUNT_REFRESH_SECONDS))
    return figures


def _compute(campaign: Campaign) -> CampaignFigures:
    counted = Signature.objects.counted().filter(campaign=campaign)

    def grouped(field: str) -> list[tuple[str, int]]:
        rows = counted.values_list(field).annotate(n=Count("id")).values_list(field, "n")
        return sorted(((str(code), n) for code, n in rows), key=lambda row: (-row[1], row[0]))

    return CampaignFigures(
        by_country=grouped("supporter__country"),
        by_field_of_work=grouped("supporter__field_of_work"),
        last_signed_at=counted.aggregate(last=Max("confirmed_at"))["last"],
    )
