"""Back-office fixtures: people in each role, with or without a second factor, logged in."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import CampaignFactory, UserFactory

ROLES = ("Organiser", "Moderator", "Viewer")


def make_person(role: str = "", *, superuser: bool = False, totp: bool = True, **fields):
    """A user in ``role`` (a group name, or "" for none); with a TOTP authenticator unless
    ``totp`` is false. The secret is kept on ``user.totp_secret`` for tests that type codes."""
    user = UserFactory(is_superuser=superuser, is_staff=superuser, **fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    user.totp_secret = ""
    if totp:
        user.totp_secret = generate_totp_secret()
        TOTP.activate(user, user.totp_secret)
    return user


def log_in(client: Client, user, *, second_factor: bool = True) -> Client:
    """Log ``user`` in as django-allauth would after the emailed code, and (unless told
    otherwise) after the TOTP step."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    records = [{"method": "code", "at": time.time(), "email": user.email}]
    if second_factor:
        records.append({"method": "mfa", "type": "totp", "at": time.time()})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


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
