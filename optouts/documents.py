"""The machine-readable documents of an opt-out declaration.

For the artist to host on their own sites: a W3C TDMRep ``/.well-known/tdmrep.json`` and the
matching ``robots.txt`` lines for AI crawlers. Served by this site: the declaration's TDM policy,
an ODRL offer in JSON-LD, as the TDMRep specification (Final Community Group Report,
10 May 2024, "Expressing a TDM Policy") defines it:

- ``@context`` is ``http://www.w3.org/ns/odrl.jsonld``, plus the ``tdm`` alias
  ``http://www.w3.org/ns/tdmrep#`` because the policy uses ``tdm:mine``;
- ``@type`` is ``Offer``, ``profile`` is ``http://www.w3.org/ns/tdmrep``, ``uid`` a URI;
- exactly one ``assigner``, described by vCard properties only (``vcard:fn``,
  ``vcard:hasURL``...);
- one ``permission`` array whose actions are ``tdm:mine``; the duty ``obtainConsent`` says
  that the miner must ask the artist first.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from signatures.services import profile_permalink

from .models import OptOutDeclaration, OptOutLocation

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
TDMREP_NAMESPACE = "http://www.w3.org/ns/tdmrep#"
TDMREP_PROFILE = "http://www.w3.org/ns/tdmrep"
POLICY_MEDIA_TYPE = "application/ld+json"

# User agents of crawlers that collect training data for AI models, and their operators. The
# robots.txt lines name each: a crawler obeys only the group that names it (or "*").
AI_CRAWLERS: tuple[tuple[str, str], ...] = (
    ("GPTBot", "OpenAI"),
    ("ClaudeBot", "Anthropic"),
    ("anthropic-ai", "Anthropic"),
    ("Google-Extended", "Google (Gemini training)"),
    ("CCBot", "Common Crawl"),
    ("PerplexityBot", "Perplexity"),
    ("Bytespider", "ByteDance"),
    ("Applebot-Extended", "Apple (AI training)"),
    ("Meta-ExternalAgent", "Meta"),
    ("FacebookBot", "Meta"),
    ("Amazonbot", "Amazon"),
    ("cohere-ai", "Cohere"),
    ("cohere-training-data-crawler", "Cohere"),
    ("Diffbot", "Diffbot"),
    ("AI2Bot", "Allen Institute for AI"),
    ("Omgilibot", "Webz.io"),
    ("Timpibot", "Timpi"),
    ("ImagesiftBot", "ImageSift"),
)


def policy_url(declaration: OptOutDeclaration) -> str:
    """The policy's permanent address on this site (also its ``uid``)."""
    return settings.SITE_URL + reverse("api:optout_policy", kwargs={"uid": declaration.uid})


def tdm_policy(declaration: OptOutDeclaration) -> dict:
    """The declaration's TDM policy: mining the artist's works needs their consent first."""
    supporter = declaration.supporter
    profile = profile_permalink(supporter)
    return {
        "@context": [ODRL_CONTEXT, {"tdm": TDMREP_NAMESPACE}],
        "@type": "Offer",
        "profile": TDMREP_PROFILE,
        "uid": policy_url(declaration),
        "assigner": {
            "uid": profile,
            "vcard:fn": supporter.public_name,
            "vcard:hasURL": declaration.licensing_url or profile,
        },
        "permission": [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}],
    }


def origins(declaration: OptOutDeclaration) -> list[str]:
    """The sites (scheme, host and port) the declaration's places are on, in order."""
    seen: list[str] = []
    for location in _locations(declaration):
        if location.origin not in seen:
            seen.append(location.origin)
    return seen


def tdmrep_rules(declaration: OptOutDeclaration, *, origin: str) -> list[dict]:
    """The rules of ``/.well-known/tdmrep.json`` for the site at ``origin``: one per place,
    the most specific (longest) path first, as the specification asks of the sequence."""
    paths = sorted(
        {location.path for location in _locations(declaration) if location.origin == origin},
        key=lambda path: (-len(path), path),
    )
    policy = policy_url(declaration)
    return [{"location": path, "tdm-reservation": 1, "tdm-policy": policy} for path in paths]


def tdmrep_json(declaration: OptOutDeclaration, *, origin: str) -> str:
    return json.dumps(tdmrep_rules(declaration, origin=origin), indent=2) + "\n"


def robots_txt(declaration: OptOutDeclaration, *, origin: str) -> str:
    """Lines for the site's ``robots.txt``: one group naming every known AI crawler, which
    disallows each place on that site. Comments explain them to whoever reads the file."""
    paths = sorted(
        {location.path for location in _locations(declaration) if location.origin == origin}
    )
    lines = [
        "# "
        + _("AI training opt-out of %(name)s, declared on %(date)s.")
        % {
            "name": declaration.supporter.public_name or declaration.supporter.full_name,
            "date": declaration.declared_at.date().isoformat(),
        },
        "# "
        + _("Add these lines to %(url)s and keep your other rules.")
        % {"url": f"{origin}/robots.txt"},
        "# " + _("They ask these AI crawlers not to collect the works at these addresses."),
        *(f"User-agent: {agent}" for agent, _operator in AI_CRAWLERS),
        *(f"Disallow: {path}" for path in paths),
    ]
    return "\n".join(lines) + "\n"


def _locations(declaration: OptOutDeclaration) -> list[OptOutLocation]:
    return list(declaration.locations.all())
