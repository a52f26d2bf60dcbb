"""The embedded default's mail backend: every message is saved under ``var/mail/`` and its
plain-text part echoed to the console, so a newcomer without an SMTP server can read and follow
the links they are sent."""

from __future__ import annotations

import sys

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class FileAndConsoleBackend(FileBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages:
            rule = "-" * 72
            sys.stdout.write(
                f"{rule}\nMail to {', '.join(message.recipients())}: {message.subject}\n"
                f"(saved under {self.file_path})\n\n{message.body}\n{rule}\n"
            )
        sys.stdout.flush()
        return sent
