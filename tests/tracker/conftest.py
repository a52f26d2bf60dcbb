import pytest


@pytest.fixture
def campaign(launched_campaign):
    """The public pages need the campaign (titles, the layout)."""
    return launched_campaign
