"""``campaign.settings`` as production builds them (``DEBUG=0``), for the site processes the
fault tests start, with one change: plain static storage, as the tests run no
``collectstatic`` and production's storage refuses to name a file missing from its manifest."""

from campaign.settings import *  # noqa: F403
from campaign.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
