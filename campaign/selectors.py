"""Read queries the campaign's public pages share."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404

from .models import Campaign, Demand, KeyMessage, LaunchSupporter, Solution, Stake


def current_campaign(*, with_content: str = "") -> Campaign:
    """The campaign the site presents (``settings.CAMPAIGN_SLUG``), if the public may see it.

    ``with_content`` names what to prefetch: ``"home"`` (key messages, demands, launch
    supporters) or ``"why"`` (stakes and solutions). One query per related list, whatever
    its length. Raises ``Http404`` when the campaign is missing or still a draft.
    """
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
    try:
        return queryset.get(slug=settings.CAMPAIGN_SLUG)
    except Campaign.DoesNotExist as missing:
        raise Http404("No public campaign") from missing
