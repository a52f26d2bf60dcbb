"""The consent wording the sign form shows, one sentence per purpose.

The same message ids as the form's labels (``signatures.forms``), so that a record keeps the
very sentence the person read, in their language; a test fails if the two drift apart. When
the wording changes, change ``settings.CONSENT_VERSION`` too.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SIGNING = _("I have read the appeal and add my name to it.")
LISTING = _("How your name is shown")
UPDATES = _(
    "Email me news of the campaign, a few times a year at most. I can stop them at any time."
)
