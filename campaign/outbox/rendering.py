"""Messages as they are written and as they leave: ``render_email`` renders a kind of message
in the recipient's language (at enqueue time), ``build_message`` makes the Django message that
is sent for a stored row."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, TemplateDoesNotExist, loader
from django.utils import translation

from ..models import OutboundEmail


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


def render_email(*, kind: str, language: str, context: dict) -> RenderedEmail:
    """Render message ``kind`` in ``language`` from ``email/<kind>_subject.txt``,
    ``email/<kind>.txt`` and, if it exists, ``email/<kind>.html``.

    The context gains ``SITE_URL`` and ``LANGUAGE_CODE``. The subject is folded onto one line.
    The subject and plain-text body are rendered without HTML autoescaping (they are not HTML:
    "O'Brien" must not arrive as "O&#x27;Brien"); the HTML body is escaped as usual.
    Raises ``TemplateDoesNotExist`` when a required template is missing.
    """
    context = {**context, "SITE_URL": settings.SITE_URL, "LANGUAGE_CODE": language}
    with translation.override(language):
        subject = " ".join(_render_plain(f"email/{kind}_subject.txt", context).split())
        text_body = _render_plain(f"email/{kind}.txt", context).strip() + "\n"
        try:
            html_template = loader.get_template(f"email/{kind}.html")
        except TemplateDoesNotExist:
            html_body = ""
        else:
            html_body = html_template.render(context)
    return RenderedEmail(subject=subject, text_body=text_body, html_body=html_body)


def _render_plain(template_name: str, context: dict) -> str:
    # The backend's wrapper always autoescapes; render its underlying template directly.
    return loader.get_template(template_name).template.render(Context(context, autoescape=False))


def build_message(email: OutboundEmail, *, connection=None) -> EmailMultiAlternatives:
    """The message as it leaves for ``email``'s row: its own Message-ID and headers, the
    plain-text body, and the HTML body as an alternative when there is one."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient],
        headers={**email.headers, "Message-ID": email.message_id},
        connection=connection,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    return message
