"""What a failed attempt means: whether sending again can help, whether the SMTP conversation
survives it, how long to wait before the next attempt, and how it reads for organisers."""

from __future__ import annotations

import random
import re
import smtplib

from django.conf import settings

# Longest wait between two attempts, whatever the backoff says.
MAX_RETRY_DELAY_SECONDS = 3600
MAX_ERROR_LENGTH = 2000
EMAIL_ADDRESS_SHAPE = re.compile(r"[^\s<>@;:,\"']+@[^\s<>@;:,\"']+")


def leaves_connection_usable(exc: Exception) -> bool:
    """Whether the SMTP conversation may go on after ``exc``: smtplib resets it after the
    server refuses a sender, the recipients or the data (unless the server is closing: 421),
    and a malformed message never reached the wire. After anything else (a timeout, a dropped
    connection, an error we do not know) there is no telling where it stands."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return exc.smtp_code != 421
    return isinstance(exc, ValueError)


def retry_delay(*, attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts: ``OUTBOX_RETRY_BASE_SECONDS``
    doubled for each failure after the first, plus up to a quarter more at random (so that
    messages refused together do not come back together), never more than an hour."""
    delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(MAX_RETRY_DELAY_SECONDS, delay * random.uniform(1.0, 1.25))


def is_permanent_error(exc: Exception) -> bool:
    """Whether sending again cannot help: SMTP 5xx refusals and malformed messages.

    Everything else (SMTP 4xx, refused or dropped connections, timeouts, socket errors and
    errors we do not know) is treated as temporary, within ``OUTBOX_MAX_ATTEMPTS``. An SMTP
    authentication failure is our configuration, not the message: temporary too, so messages
    leave once the credentials are fixed.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, ValueError)  # bad header, unencodable address: it would fail again


def describe_error(exc: Exception) -> str:
    """One line an organiser can read in the admin, e.g. "SMTP 451: Try again later".

    It is logged and kept on the row, so it never names an address (the row has its recipient):
    anything shaped like one, in a server's reply or an exception, reads ``<address>``.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"SMTP {code}: {_reply_text(reply)}" for code, reply in exc.recipients.values()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}: {_reply_text(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return EMAIL_ADDRESS_SHAPE.sub("<address>", text)[:MAX_ERROR_LENGTH]


def _reply_text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
