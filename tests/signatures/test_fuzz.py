"""Hypothesis throws generated names, emails, comments and links at the sign form."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import OutboundEmail
from signatures.models import Signature, Supporter
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

text = st.text(st.characters(codec="utf-8"), max_size=600)
emails = st.one_of(st.emails(), text)
links = st.one_of(st.just(""), text, st.from_regex(r"\Ahttps?://[a-z0-9.-]{1,30}/[ -~]{0,40}\Z"))
choices = st.one_of(st.sampled_from(["writer", "actor", "other"]), text)


@given(
    full_name=text,
    email=emails,
    comment=text,
    link=links,
    known_for=text,
    field_of_work=choices,
    country=st.one_of(st.sampled_from(["FR", "GB", "BR"]), text),
    agree=st.booleans(),
)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_sign_form_never_fails_and_stores_nothing_when_invalid(
    client, full_name, email, comment, link, known_for, field_of_work, country, agree
):
    CampaignFactory()
    before = (Supporter.objects.count(), Signature.objects.count(), OutboundEmail.objects.count())
    data = {
        "full_name": full_name,
        "email": email,
        "comment": comment,
        "link": link,
        "known_for": known_for,
        "field_of_work": field_of_work,
        "country": country,
        "name_display": "full",
    }
    if agree:
        data["agree"] = "on"

    response = client.post("/en/sign/", data)

    after = (Supporter.objects.count(), Signature.objects.count(), OutboundEmail.objects.count())
    if any("\x00" in value for value in data.values()):  # refused early (campaign/security.py)
        assert (response.status_code, after) == (400, before)
        return
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert after == before, "an invalid form stored something"
        assert "form-errors" in response.content.decode()
    else:
        assert after[1] - before[1] <= 1
