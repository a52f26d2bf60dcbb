"""The message a signatory may send a company from its page: a ``mailto:`` link with a subject
and a body written in both languages (the page's language first). The site sends nothing."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from .models import Company


def _in(language: str, company: Company, page_url: str) -> tuple[str, str]:
    with translation.override(language):
        subject = gettext("Stealing Isn't Innovation: where does %(company)s stand?") % {
            "company": company.name
        }
        body = gettext(
            "Hello,\n\n"
            'I am an artist and I signed the appeal "Stealing Isn\'t Innovation". '
            "I ask %(company)s to do three things:\n"
            "- license creative work through transparent licensing deals;\n"
            "- honour artists who refuse to have their work used for training, with a total "
            "and legally binding opt-out;\n"
            "- build tools that serve human creativity, within common industry standards.\n\n"
            "Your public commitments, and whether they are kept, are tracked here: %(url)s\n\n"
            "Thank you for your answer."
        ) % {"company": company.name, "url": page_url}
    return subject, body


def mailto_url(company: Company, language: str) -> str:
    """``mailto:`` the company's contact address with the pre-written message; empty when
    the company has no contact address."""
    if not company.contact_email:
        return ""
    with translation.override(language):
        path = reverse("tracker:company", kwargs={"slug": company.slug})
    page_url = settings.SITE_URL + path
    languages = [language] + [code for code, _name in settings.LANGUAGES if code != language]
    parts = [_in(code, company, page_url) for code in languages]
    subject = " / ".join(subject for subject, _body in parts)
    body = "\n\n— — —\n\n".join(body for _subject, body in parts)
    return "mailto:{}?subject={}&body={}".format(
        quote(company.contact_email, safe="@"), quote(subject, safe=""), quote(body, safe="")
    )
