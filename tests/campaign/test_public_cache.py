"""Public pages are cacheable by CDNs and by the page cache; nothing personal ever is. The sign
form carries no CSRF token (so its pages can be shared), and refuses posts from other sites."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve

from campaign.middleware import is_public_response
from signatures.models import Signature
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db

PUBLIC = "public, max-age=5, stale-while-revalidate=30, stale-if-error=86400"

SIGNATURE = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "field_of_work": "writer",
    "country": "GB",
    "name_display": "full",
    "agree": "on",
}


@pytest.fixture(autouse=True)
def _public_cache_settings(settings):
    settings.PUBLIC_PAGE_MAX_AGE_SECONDS = 5
    settings.PUBLIC_PAGE_STALE_WHILE_REVALIDATE_SECONDS = 30
    settings.PUBLIC_PAGE_STALE_IF_ERROR_SECONDS = 86_400
    settings.PUBLIC_PAGE_CACHE = False


@pytest.fixture
def signed(launched_campaign):
    return SignatureFactory(campaign=launched_campaign, confirmed=True)


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_public_pages_let_a_cdn_keep_them_and_serve_them_stale(client, signed):
    pages = [
        "/en/",
        "/fr/",
        "/en/sign/",
        "/en/sign/check-your-email/",
        "/en/supporters/",
        "/en/supporters/?field=writer",
        f"/en/supporters/{signed.supporter.slug}/",
        "/en/about/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert cache_control(response) == set(PUBLIC.split(", ")), path
        assert not response.cookies, path


def test_pages_with_the_sign_form_carry_no_csrf_token_and_set_no_cookie(client, launched_campaign):
    for path in ("/en/", "/en/sign/"):
        response = client.get(path)
        html = response.content.decode()
        assert 'action="/en/sign/"' in html
        assert "csrfmiddlewaretoken" not in html
        assert "csrftoken" not in response.cookies


def test_nothing_personal_is_public(client, signed, django_user_model):
    user = django_user_model.objects.create_user(username="organiser", email="o@example.org")
    signed.supporter.user = user
    signed.supporter.save()

    anonymous_private = [
        client.get("/en/account/"),  # a redirect to log in
        client.get("/admin/login/"),  # sets the CSRF cookie
        client.get("/en/accounts/login/code/"),
        client.post("/en/sign/", {**SIGNATURE, "agree": ""}),  # a form with errors
        client.get("/en/sign/confirm/not-a-token/"),
    ]
    for response in anonymous_private:
        assert "public" not in cache_control(response), response

    client.force_login(user)
    for path in ("/en/", "/en/supporters/", "/en/account/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "public" not in cache_control(response), path


def test_a_public_view_whose_response_sets_a_cookie_is_not_public(rf: RequestFactory):
    request = rf.get("/en/supporters/")
    request.resolver_match = resolve("/en/supporters/")
    plain = HttpResponse("page")
    assert is_public_response(request, plain)

    with_cookie = HttpResponse("page")
    with_cookie.set_cookie("django_language", "fr")
    assert not is_public_response(request, with_cookie)

    own_choice = HttpResponse("page", headers={"Cache-Control": "no-store"})
    assert not is_public_response(request, own_choice)

    request.COOKIES["sessionid"] = "anything"
    assert not is_public_response(request, plain)


def test_views_not_listed_are_not_public(rf: RequestFactory, settings):
    settings.PUBLIC_PAGE_VIEWS = ["signatures:directory"]
    request = rf.get("/en/")
    request.resolver_match = resolve("/en/")
    assert not is_public_response(request, HttpResponse("page"))
    settings.PUBLIC_PAGE_VIEWS = ["campaign:*"]
    assert is_public_response(request, HttpResponse("page"))


# --- The page cache ---------------------------------------------------------------------------


@pytest.fixture
def page_cache(settings):
    settings.PUBLIC_PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def test_the_page_cache_renders_a_public_page_once_per_interval(
    client, signed, page_cache, django_assert_num_queries
):
    first = client.get("/en/supporters/")
    with django_assert_num_queries(0):
        second = client.get("/en/supporters/")
    assert second.content == first.content
    assert "Age" in second
    assert cache_control(second) == cache_control(first)


def test_the_page_cache_keys_on_the_whole_address(client, signed, page_cache):
    english = client.get("/en/supporters/").content.decode()
    filtered = client.get("/en/supporters/?field=actor").content.decode()
    french = client.get("/fr/supporters/").content.decode()
    assert signed.supporter.full_name in english
    assert signed.supporter.full_name not in filtered
    assert 'lang="fr"' in french


@pytest.mark.parametrize(
    "extra", ["?utm_source=newsletter", "?_=8d1f2a", "?fbclid=abc&utm_medium=social"]
)
def test_parameters_no_view_reads_do_not_bust_the_page_cache(
    client, signed, page_cache, extra, django_assert_num_queries
):
    first = client.get("/en/supporters/")
    with django_assert_num_queries(0):
        again = client.get(f"/en/supporters/{extra}")
    assert again.content == first.content


def test_the_page_cache_keys_on_the_parameters_views_read_in_any_order(
    client, signed, page_cache, django_assert_num_queries
):
    actors_in_france = client.get("/en/supporters/?field=actor&country=FR").content
    with django_assert_num_queries(0):
        reordered = client.get("/en/supporters/?country=FR&utm_source=x&field=actor").content
    assert reordered == actors_in_france
    assert client.get("/en/supporters/?field=writer").content != actors_in_france


def test_the_next_page_keeps_the_filters_and_drops_other_parameters(client, launched_campaign):
    for _ in range(31):
        SignatureFactory(campaign=launched_campaign, confirmed=True)
    html = client.get("/en/supporters/?verified=&utm_source=newsletter&q=").content.decode()
    next_link = re.search(r'href="\?([^"]*after=[^"]*)"', html)
    assert next_link, html
    assert "utm_source" not in next_link.group(1)


def test_the_page_cache_never_serves_or_stores_a_logged_in_page(
    client, signed, page_cache, django_user_model, django_assert_max_num_queries
):
    client.get("/en/supporters/")  # stored for anonymous visitors
    user = django_user_model.objects.create_user(username="reader", email="r@example.org")
    client.force_login(user)
    with django_assert_max_num_queries(20) as captured:
        client.get("/en/supporters/")
        client.get("/en/supporters/")
    # Rendered both times: neither answered from the cache.
    assert sum("campaign_campaign" in q["sql"] for q in captured.captured_queries) == 2


def test_a_page_cache_that_is_down_is_a_miss_not_an_error(client, signed, page_cache, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/en/supporters/")
    assert response.status_code == 200
    assert signed.supporter.full_name in response.content.decode()


def test_the_page_cache_is_off_unless_asked(client, signed, django_assert_max_num_queries):
    client.get("/en/supporters/")
    with django_assert_max_num_queries(10) as captured:
        client.get("/en/supporters/")
    assert captured.captured_queries  # rendered again


# --- The sign form without a CSRF token -----------------------------------------------------------


@pytest.fixture
def strict_client() -> Client:
    """A client that enforces CSRF checks, as browsers' requests are."""
    return Client(enforce_csrf_checks=True)


def test_signing_needs_no_csrf_token(strict_client, launched_campaign):
    response = strict_client.post("/en/sign/", SIGNATURE, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert Signature.objects.filter(supporter__email="ada@example.org").exists()


def test_a_post_without_origin_is_accepted(strict_client, launched_campaign):
    """Old browsers and scripts send no Origin: they could post the form directly anyway."""
    assert strict_client.post("/en/sign/", SIGNATURE).status_code == 302


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://elsewhere.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
    ],
)
def test_signing_from_another_site_is_refused(strict_client, launched_campaign, headers):
    response = strict_client.post("/en/sign/", SIGNATURE, **headers)
    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_a_trusted_partner_may_post_the_form(strict_client, launched_campaign, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://partner.example"]
    response = strict_client.post("/en/sign/", SIGNATURE, HTTP_ORIGIN="https://partner.example")
    assert response.status_code == 302


def test_asking_for_a_new_link_needs_no_token_but_refuses_other_sites(
    strict_client, launched_campaign
):
    same = strict_client.post("/en/sign/new-link/", {"email": "ada@example.org"})
    assert same.status_code == 302
    other = strict_client.post(
        "/en/sign/new-link/", {"email": "ada@example.org"}, HTTP_ORIGIN="https://evil.example"
    )
    assert other.status_code == 403


def test_forms_that_act_for_a_logged_in_person_still_need_the_token(
    strict_client, launched_campaign
):
    user = get_user_model().objects.create_user(username="artist", email="a@example.org")
    strict_client.force_login(user)
    response = strict_client.post("/en/account/withdraw/")
    assert response.status_code == 403


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in cache_control(response)


def test_healthz_answers_plain_http_when_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/en/").status_code == 301


def test_sign_form_markup_is_unchanged_apart_from_the_token(client, launched_campaign):
    html = client.get("/en/sign/").content.decode()
    form = re.search(r'<form class="sign-form".*?</form>', html, re.S).group(0)
    assert 'method="post"' in form
    assert 'name="email"' in form


# --- The country select, kept as a fragment ------------------------------------------------


def country_select(html: str) -> str:
    return re.search(r'<select name="country".*?</select>', html, re.S).group(0)


def test_the_cached_country_select_is_in_the_page_language(client, launched_campaign):
    for _ in range(2):  # rendered, then from the cache
        english = country_select(client.get("/en/sign/").content.decode())
        french = country_select(client.get("/fr/sign/").content.decode())
        assert ">Choose…<" in english and ">Choisissez…<" in french


def test_a_form_with_a_mistake_is_not_shown_the_cached_select(client, launched_campaign):
    client.get("/en/sign/")  # caches the select of an untouched form
    response = client.post("/en/sign/", {**SIGNATURE, "country": ""})
    select = country_select(response.content.decode())
    assert 'aria-invalid="true"' in select
    kept = client.post("/en/sign/", {**SIGNATURE, "country": "DE", "agree": ""})
    assert 'value="DE" selected' in country_select(kept.content.decode())
