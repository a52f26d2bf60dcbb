"""The campaign's launch content installed in the database: "Stealing Isn't Innovation" with its
key messages, demands, stakes, solutions and launch supporters, from ``campaign.content``."""

from __future__ import annotations

from django.db import transaction

from . import content
from .models import Campaign, Demand, KeyMessage, LaunchSupporter, Solution, Stake

ITEM_LISTS = (
    (KeyMessage, content.KEY_MESSAGES),
    (Demand, content.DEMANDS),
    (Stake, content.STAKES),
    (Solution, content.SOLUTIONS),
)


def _translated(field: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{field}_{language}": text for language, text in values.items()}


@transaction.atomic
def install_launch_content(*, update: bool = False) -> tuple[Campaign, bool]:
    """Install "Stealing Isn't Innovation" from ``campaign.content``.

    Returns ``(campaign, changed)``. When the campaign already exists it is left exactly as
    organisers edited it, unless ``update`` is true, in which case its text and lists are
    replaced by the launch content (the signature count is never touched).
    """
    existing = Campaign.objects.filter(slug=content.SLUG).first()
    if existing and not update:
        return existing, False

    fields = {"goal": content.CAMPAIGN["goal"], "launch_date": content.CAMPAIGN["launch_date"]}
    for name in ("title", "summary", "appeal", "why_it_matters", "about"):
        fields |= _translated(name, content.CAMPAIGN[name])
    if existing is None:
        fields["status"] = content.CAMPAIGN["status"]
    campaign, _created = Campaign.objects.update_or_create(slug=content.SLUG, defaults=fields)

    for model, items in ITEM_LISTS:
        model.objects.filter(campaign=campaign).delete()
        model.objects.bulk_create(
            model(
                campaign=campaign,
                position=position,
                **_translated("title", item["title"]),
                **_translated("body", item["body"]),
            )
            for position, item in enumerate(items, start=1)
        )
    LaunchSupporter.objects.filter(campaign=campaign).delete()
    LaunchSupporter.objects.bulk_create(
        LaunchSupporter(campaign=campaign, position=position, name=name, field_of_work=field)
        for position, (name, field) in enumerate(content.LAUNCH_SUPPORTERS, start=1)
    )
    return campaign, True
