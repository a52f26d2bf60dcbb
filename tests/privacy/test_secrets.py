"""Secrets (SMTP passwords, API keys, tokens) live in environment variables, never in the
database: no model outside Django's and django-allauth's own account machinery has a field
named like one."""

from __future__ import annotations

import re

from django.apps import apps

SECRET_NAME = re.compile(r"password|passwd|secret|token|api_?key|credential|private_?key", re.I)
# Login machinery that stores hashes or encrypted second-factor data, by design.
ALLOWED = {
    ("auth", "user", "password"),
    ("sessions", "session", "session_key"),
}
INTERNAL_APPS = {"auth", "sessions", "account", "mfa", "socialaccount", "usersessions"}


def test_no_model_stores_a_secret():
    offenders = []
    for model in apps.get_models():
        label = model._meta.app_label
        for field in model._meta.get_fields():
            name = getattr(field, "attname", None) or field.name
            if not SECRET_NAME.search(name):
                continue
            if label in INTERNAL_APPS or (label, model._meta.model_name, name) in ALLOWED:
                continue
            offenders.append(f"{model._meta.label}.{name}")
    assert offenders == []


def test_the_check_would_catch_one():
    assert SECRET_NAME.search("smtp_password") and SECRET_NAME.search("mailgun_api_key")
    assert SECRET_NAME.search("webhook_secret") and not SECRET_NAME.search("signature_count")
