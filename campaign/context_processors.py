"""Values every page's layout needs: the site's absolute URL, this page in each language."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation

OG_LOCALES = {"en": "en_GB", "fr": "fr_FR"}


def _page_in(language: str, request: HttpRequest) -> str:
    """This page's path in ``language``; the home page there when the path has no equivalent."""
    current = translation.get_language()
    if language == current:
        return request.path
    translated = _translated(request, language)
    if translated == request.path:
        with translation.override(language):
            return reverse("campaign:home")
    return translated


def _translated(request: HttpRequest, language: str) -> str:
    """``translate_url`` from the route this request already resolved (resolving the path
    again for each language cost a tenth of a rendered page)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name is None:
        return translate_url(request.path, language)
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    with translation.override(language):
        try:
            return reverse(name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return request.path


def site(request: HttpRequest) -> dict:
    current = translation.get_language() or settings.LANGUAGE_CODE
    alternates = [
        {
            "code": code,
            "name": translation.get_language_info(code)["name_local"],
            "path": _page_in(code, request),
            "is_current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    return {
        "SITE_URL": settings.SITE_URL,
        "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
        "canonical_url": settings.SITE_URL + request.path,
        "language_alternates": alternates,
        "og_locale": OG_LOCALES.get(current, current),
        "og_alternate_locales": [OG_LOCALES[c] for c, _n in settings.LANGUAGES if c != current],
    }
