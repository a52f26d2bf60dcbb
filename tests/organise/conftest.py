"""Back-office fixtures: people in each role, with or without a second factor, logged in."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.backoffice import log_in, make_person
from tests.factories import CampaignFactory

ROLES = ("Organiser", "Moderator", "Viewer")
__all__ = ["ROLES", "log_in", "make_person"]


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def person():
    """``person("Organiser")``: a user in that role."""
    return make_person


@pytest.fixture
def client_as(client, db):
    """``client_as("Moderator")``: a test client logged in, second factor passed, in that
    role (or "superuser", or "" for a supporter with no role)."""

    def logged_in(role: str, **kwargs) -> Client:
        user = make_person(superuser=True) if role == "superuser" else make_person(role)
        log_in(client, user, **kwargs)
        client.user = user
        return client

    return logged_in


@pytest.fixture
def organiser_client(client_as, campaign):
    return client_as("Organiser")
