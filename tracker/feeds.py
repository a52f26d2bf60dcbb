"""The Atom feed of public status changes, in the page's language (``/en/tracker/feed/``,
``/fr/suivi/flux/``)."""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Status, StatusChange


class StatusChangesFeed(Feed):
    feed_type = Atom1Feed
    title = _("AI companies and the appeal's demands: changes of position")
    subtitle = _("Each time a tracked company's public position on one of the demands changes.")

    def link(self) -> str:
        return reverse("tracker:overview")

    def items(self) -> list[StatusChange]:
        return selectors.latest_changes()

    def item_title(self, item: StatusChange) -> str:
        assessment = item.assessment
        values = {
            "company": assessment.company.name,
            "criterion": assessment.criterion.title,
            "to": Status(item.to_status).label,
        }
        if not item.from_status:
            return gettext("%(company)s, %(criterion)s: %(to)s") % values
        values["from"] = Status(item.from_status).label
        return gettext("%(company)s, %(criterion)s: from %(from)s to %(to)s") % values

    def item_description(self, item: StatusChange) -> str:
        return item.revision.summary

    def item_link(self, item: StatusChange) -> str:
        path = reverse("tracker:company", kwargs={"slug": item.assessment.company.slug})
        return f"{path}#change-{item.pk}"

    def item_guid(self, item: StatusChange) -> str:
        return f"tracker-change-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: StatusChange) -> datetime.datetime:
        return item.published_at

    def item_updateddate(self, item: StatusChange) -> datetime.datetime:
        return item.published_at
