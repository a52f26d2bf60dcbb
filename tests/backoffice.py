"""People who run the appeal, for any test: users in a back-office role, with a second factor,
logged in as django-allauth leaves them after the emailed code and the TOTP step."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.test import Client

from organise.staff import ensure_roles
from tests.factories import UserFactory


def make_person(role: str = "", *, superuser: bool = False, totp: bool = True, **fields):
    """A user in ``role`` (a group name, or "" for none); with a TOTP authenticator unless
    ``totp`` is false. The secret is kept on ``user.totp_secret`` for tests that type codes."""
    user = UserFactory(is_superuser=superuser, is_staff=superuser, **fields)
    if role:
        if not Group.objects.filter(name=role).exists():
            ensure_roles()  # a transactional test emptied the tables the migration filled
        user.groups.add(Group.objects.get(name=role))
    user.totp_secret = ""
    if totp:
        add_second_factor(user)
    return user


def add_second_factor(user) -> str:
    """Give ``user`` a TOTP authenticator (kept on ``user.totp_secret``); returns the secret."""
    user.totp_secret = generate_totp_secret()
    TOTP.activate(user, user.totp_secret)
    return user.totp_secret


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


def log_in_admin(client: Client, user) -> Client:
    """Log a superuser into the Django admin, second factor included (``/admin/`` needs it)."""
    from allauth.mfa.models import Authenticator

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        add_second_factor(user)
    return log_in(client, user)
