"""An SMTP server for the benchmark (aiosmtpd), in its own process: it accepts every message and
appends one JSON line per message to a file: arrival time, recipients, Message-ID, and the
confirmation link if the message carries one.

    python -m bench.smtp_sink --port 2525 --out var/bench/mail.jsonl

It parses as little as it can (a regular expression over the raw message), so that it is never
the slowest part of what it measures.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
CONFIRM_LINK = re.compile(rb"https?://[^\s\"<>]+/sign/confirm/[^\s\"<>/]+/")


def confirm_link(content: bytes) -> str | None:
    """The confirmation link in a raw message, decoding the body only when it is encoded."""
    match = CONFIRM_LINK.search(content)
    if match:
        return match.group(0).decode()
    message = message_from_bytes(content, policy=default_policy)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return None
    match = CONFIRM_LINK.search(body.get_content().encode())
    return match.group(0).decode() if match else None


def record(content: bytes, recipients: list[str], arrived: float) -> dict:
    message_id = MESSAGE_ID.search(content)
    return {
        "t": arrived,
        "to": recipients,
        "message_id": message_id.group(1).decode() if message_id else None,
        "confirm": confirm_link(content),
        "bytes": len(content),
    }


class RecordingHandler:
    def __init__(self, out) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        line = json.dumps(record(envelope.content, list(envelope.rcpt_tos), time.time()))
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()
        return "250 2.0.0 Accepted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with args.out.open("a", encoding="utf-8") as out:
        controller = Controller(RecordingHandler(out), hostname="127.0.0.1", port=args.port)
        controller.start()
        print(f"SMTP sink listening on 127.0.0.1:{args.port}", flush=True)
        try:
            stop.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
