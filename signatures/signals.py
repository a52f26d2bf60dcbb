"""What signing tells the apps above it, without knowing them.

Signatures sit below the abuse controls: rather than calling them, signing sends these signals
inside its transaction, and the abuse app (``abuse.screening``) listens and queues its screening
once the transaction commits. A receiver must not raise: signing has already been decided.
"""

from django.dispatch import Signal

# A new or renewed signature was written: ``signature_id``, ``origin`` (a
# ``campaign.clientip.RequestOrigin``, or None when no request is known) and ``email`` (the
# signer's address, so that a receiver need not read it back).
signature_submitted = Signal()

# A signature was confirmed by its link: ``signature_id``. It may now duplicate another one.
signature_confirmed = Signal()

# An organisers' import wrote or confirmed signatures (one chunk of a file): ``signature_ids``,
# ``reference`` (the import, such as "import:42") and ``organiser_id`` (who ran it, or None).
# Sent inside the chunk's transaction, once per chunk.
signatures_imported = Signal()
