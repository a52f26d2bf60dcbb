"""The load generator: its own process, an asyncio loop of ``concurrency`` HTTP clients (httpx)
on loopback, each sending its next request as soon as the previous one is answered (a closed
loop), for ``seconds`` or until ``limit`` requests have been sent, whichever comes first.

    python -m bench.load spec.json result.json

The spec (a JSON file) names a scenario:

- ``{"kind": "get", "paths": [...]}``: GET the paths in turn (a rendered row sends them to a
  web server started with the page cache off: ``base_url``; bench/prepare.py);
- ``{"kind": "sign", "language": "en", "email_prefix": "...", "fields": [...], "countries":
  [...]}``: POST the sign form, each time as a new person with a unique address;
- ``{"kind": "visit", "urls": [...]}``: GET each URL once (the emailed confirmation links).

and the common ``base_url``, ``concurrency``, ``seconds``, ``warmup_seconds``, ``limit``,
``headers``. The result (a JSON file): the latency of every answered request, errors by
kind, status codes, the measured duration and, for signing, the addresses that were accepted.
An answer counts as an error when its status is not the one expected (200 for a page, a 302
to "check your email" for a signature).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field

import httpx

FIRST_NAMES = ["Amina", "Bruno", "Chloé", "Dario", "Élodie", "Farid", "Greta", "Hugo", "Inès"]
LAST_NAMES = ["Moreau", "Okafor", "Lindqvist", "Nakamura", "Ferreira", "Dubois", "Kowalski"]


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0


class Scenario(ABC):
    """What each request is and whether its answer is right."""

    expected_status = 200

    def __init__(self, spec: dict) -> None:
        self.spec = spec

    @abstractmethod
    def next_request(self, number: int) -> tuple[str, str, dict | None]:
        """The method, path and form data of request ``number``."""

    def accept(self, number: int, response: httpx.Response, outcome: Outcome) -> bool:
        return response.status_code == self.expected_status

    def exhausted(self, number: int) -> bool:
        return False


class GetPages(Scenario):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self.paths = spec["paths"]

    def next_request(self, number: int):
        return "GET", self.paths[number % len(self.paths)], None


class VisitOnce(Scenario):
    def next_request(self, number: int):
        return "GET", self.spec["urls"][number], None

    def exhausted(self, number: int) -> bool:
        return number >= len(self.spec["urls"])


class Sign(Scenario):
    expected_status = 302

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self.language = spec.get("language", "en")
        self.prefix = spec["email_prefix"]
        self.emails: dict[int, str] = {}

    def next_request(self, number: int):
        rng = random.Random(number)
        # Thousands of different people, as a surge brings them: spread over many mail domains
        # and client addresses (the load balancer's X-Forwarded-For; TRUSTED_PROXY_COUNT=1), so
        # the rate limits and spike alerts see what they would see in production.
        email = f"{self.prefix}{number}@mail{number % 997}.example.org"
        client_ip = ".".join(str(rng.randrange(1, 255)) for _ in range(3))
        self.emails[number] = email
        data = {
            "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}-{number}",
            "email": email,
            "field_of_work": rng.choice(self.spec["fields"]),
            "country": rng.choice(self.spec["countries"]),
            "known_for": rng.choice(["", "", "Session musician", "Author of three novels"]),
            "link": rng.choice(["", "", f"https://portfolio.example/{number}"]),
            "comment": rng.choice(["", "", "", "Consent first."]),
            "name_display": rng.choice(["full", "full", "full", "initial", "hidden"]),
            "agree": "on",
        }
        if rng.random() < 0.4:
            data["wants_updates"] = "on"
        return "POST", f"/{self.language}/sign/", data, {"X-Forwarded-For": f"10.{client_ip}"}

    def accept(self, number: int, response: httpx.Response, outcome: Outcome) -> bool:
        location = response.headers.get("location", "")
        if response.status_code == 302 and location.endswith("/sign/check-your-email/"):
            outcome.accepted.append(self.emails.pop(number))
            return True
        self.emails.pop(number, None)
        return False


SCENARIOS = {"get": GetPages, "visit": VisitOnce, "sign": Sign}


async def client_loop(
    client: httpx.AsyncClient,
    scenario: Scenario,
    numbers: itertools.count,
    outcome: Outcome,
    *,
    deadline: float,
    limit: int | None,
    record: bool,
) -> None:
    while time.perf_counter() < deadline:
        number = next(numbers)
        if (limit is not None and number >= limit) or scenario.exhausted(number):
            return
        method, path, data, *extra = scenario.next_request(number)
        headers = extra[0] if extra else None
        started = time.perf_counter()
        try:
            response = await client.request(method, path, data=data, headers=headers)
        except httpx.HTTPError as error:
            if record:
                outcome.errors[type(error).__name__] += 1
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        if not record:
            continue
        outcome.statuses[response.status_code] += 1
        if scenario.accept(number, response, outcome):
            outcome.latencies_ms.append(elapsed_ms)
        else:
            outcome.errors[f"HTTP {response.status_code}"] += 1


async def run(spec: dict) -> Outcome:
    scenario = SCENARIOS[spec["kind"]](spec)
    concurrency = spec.get("concurrency", 8)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    outcome = Outcome()
    async with httpx.AsyncClient(
        base_url=spec["base_url"],
        headers=spec.get("headers", {}),
        limits=limits,
        timeout=httpx.Timeout(spec.get("timeout", 30.0)),
        follow_redirects=False,
    ) as client:
        warmup = spec.get("warmup_seconds", 0)
        if warmup and spec["kind"] == "get":
            numbers = itertools.count(10**9)
            deadline = time.perf_counter() + warmup
            await asyncio.gather(
                *(
                    client_loop(
                        client,
                        scenario,
                        numbers,
                        outcome,
                        deadline=deadline,
                        limit=None,
                        record=False,
                    )
                    for _ in range(concurrency)
                )
            )
        numbers = itertools.count()
        outcome.started = time.perf_counter()
        deadline = outcome.started + spec.get("seconds", 10)
        await asyncio.gather(
            *(
                client_loop(
                    client,
                    scenario,
                    numbers,
                    outcome,
                    deadline=deadline,
                    limit=spec.get("limit"),
                    record=True,
                )
                for _ in range(concurrency)
            )
        )
        outcome.finished = time.perf_counter()
    return outcome


def main() -> None:
    spec_path, result_path = sys.argv[1:3]
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    outcome = asyncio.run(run(spec))
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(
            {
                "latencies_ms": outcome.latencies_ms,
                "errors": dict(outcome.errors),
                "statuses": {str(k): v for k, v in outcome.statuses.items()},
                "accepted": outcome.accepted,
                "cpu_seconds": time.process_time(),
                "seconds": outcome.finished - outcome.started,
            },
            out,
        )


if __name__ == "__main__":
    main()
