"""One signature end to end over real services: a browser-less visitor signs over HTTP, the
confirmation leaves through Redis, a Celery worker and SMTP, the emailed link confirms it, and
the public count goes up (recounted by the worker)."""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from kombu.exceptions import OperationalError

from campaign.installation import install_launch_content
from campaign.models import OutboundEmail
from signatures.models import Signature

from .conftest import wait_until

pytestmark = pytest.mark.services


class Visitor:
    """Just enough of a browser: cookies, CSRF, forms."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, str]:
        url = path if path.startswith("http") else self.base_url + path
        with self.opener.open(url, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        _status, _url, page = self.get(path)
        # The sign form carries no CSRF token (campaign/csrf.py); other forms do.
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token:
            fields = {"csrfmiddlewaretoken": token.group(1), **fields}
        request = urllib.request.Request(
            self.base_url + path,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Referer": self.base_url + path, "Origin": self.base_url},
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()


def shown_count(visitor: Visitor, language: str) -> int:
    return int(re.search(r'data-count="(\d+)"', visitor.get(f"/{language}/")[2]).group(1))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_sign_confirm_and_count_over_real_services(
    live_server, celery_worker, smtp_server, settings, language
):
    settings.SITE_URL = live_server.url
    install_launch_content()
    visitor = Visitor(live_server.url)
    assert shown_count(visitor, language) == 0

    status, landed, page = visitor.post_form(
        f"/{language}/sign/",
        {
            "full_name": "Nina Simone",
            "email": "nina@example.org",
            "field_of_work": "musician",
            "country": "US",
            "name_display": "full",
            "agree": "on",
        },
    )
    assert status == 200
    assert landed.endswith(f"/{language}/sign/check-your-email/")
    assert Signature.objects.get().status == Signature.Status.PENDING

    [message] = smtp_server.wait_for_messages(1, timeout=20)
    assert message["To"] == "nina@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/{language}/sign/confirm/\S+/", text).group(0)

    status, _url, thanks = visitor.get(link)
    assert status == 200
    assert "https://bsky.app/intent/compose" in thanks
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    wait_until(
        lambda: shown_count(visitor, language) == 1,
        timeout=20,
        what="the home page to show the confirmed signature",
        details=celery_worker.log,
    )
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    assert smtp_server.message_ids() == [OutboundEmail.objects.get().message_id]


def test_people_sign_while_redis_is_down_and_get_their_email_once_it_is_back(
    live_server, celery_worker, redis_server, smtp_server, settings
):
    from campaign import tasks

    settings.SITE_URL = live_server.url
    install_launch_content()
    redis_server.stop()

    for n in range(3):
        status, landed, _page = Visitor(live_server.url).post_form(
            "/en/sign/",
            {
                "full_name": f"Artist Number{n}",
                "email": f"artist{n}@example.org",
                "field_of_work": "writer",
                "country": "FR",
                "name_display": "full",
                "agree": "on",
            },
        )
        assert (status, landed.endswith("/en/sign/check-your-email/")) == (200, True)
    assert Signature.objects.filter(status=Signature.Status.PENDING).count() == 3
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).count() == 3
    assert smtp_server.messages == []

    redis_server.start()

    def sweep_until_delivered() -> bool:
        with contextlib.suppress(OperationalError):  # this client may still be reconnecting
            tasks.sweep_outbox.delay()  # what beat does every minute
        return len(smtp_server.messages) >= 3

    wait_until(
        sweep_until_delivered,
        timeout=40,
        interval=1,
        what="the sweeper to deliver the confirmations",
        details=celery_worker.log,
    )
    wait_until(
        lambda: OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 3,
        timeout=15,
        what="every confirmation marked sent",
    )
    assert sorted(smtp_server.message_ids()) == sorted(
        OutboundEmail.objects.values_list("message_id", flat=True)
    )
    assert sorted(m["To"] for m in smtp_server.messages) == [
        f"artist{n}@example.org" for n in range(3)
    ]
