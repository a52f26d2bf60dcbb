import pytest


@pytest.fixture
def campaign(launched_campaign):
    """The public pages need the campaign (titles, the layout)."""
    return launched_campaign


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English: a French page requested earlier leaves French active in
    the thread, and messages are translated when raised."""
    from django.utils import translation

    with translation.override("en"):
        yield
