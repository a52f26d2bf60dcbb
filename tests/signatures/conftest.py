from __future__ import annotations

import re

import pytest

from campaign.models import OutboundEmail

VALID = {
    "full_name": "Ada Lovelace",
    "email": "Ada@Example.ORG",
    "field_of_work": "writer",
    "country": "GB",
    "known_for": "Notes on the Analytical Engine",
    "link": "https://ada.example/work",
    "comment": "Machines should credit their sources.",
    "name_display": "full",
    "agree": "on",
    "wants_updates": "on",
}


@pytest.fixture
def valid_post() -> dict[str, str]:
    return dict(VALID)


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """POST the sign form in a language, running on-commit hand-offs as a worker would."""

    def post(data: dict, language: str = "en"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/{language}/sign/", data)

    return post


def link_in(email: OutboundEmail, kind: str) -> str:
    """The path of the first link of ``kind`` ("confirm" or "withdraw") in a queued email."""
    match = re.search(rf"https?://[^/\s]+(/\w\w/sign/{kind}/[^\s\"<]+)", email.text_body)
    assert match, f"no {kind} link in:\n{email.text_body}"
    return match.group(1)
