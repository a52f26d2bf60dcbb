"""``requirements.lock`` pins every dependency ``pyproject.toml`` declares (with the dev extra),
each with its hashes, at a version the declaration allows: ``make install`` installs from it
with ``--require-hashes``, so CI and production run exactly what was locked."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")
STALE = "requirements.lock is out of date with pyproject.toml: run `make lock` and commit it."


def locked() -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} from the lock file."""
    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, tuple[str, int]] = {}
    # One entry per requirement: its line and the continuation lines that follow it.
    for entry in re.split(r"\n(?=\S)", text):
        if entry.startswith("#") or not entry.strip():
            continue
        match = PIN.match(entry)
        assert match, f"not pinned with ==: {entry.splitlines()[0]}"
        pins[canonicalize_name(match["name"])] = (match["version"], len(HASH.findall(entry)))
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(line) for line in lines]


def test_every_locked_package_has_its_hashes():
    pins = locked()
    assert pins, "requirements.lock pins nothing"
    assert [name for name, (_version, hashes) in pins.items() if not hashes] == []


@pytest.mark.parametrize("requirement", declared(), ids=str)
def test_every_declared_dependency_is_locked_at_an_allowed_version(requirement):
    pins = locked()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement.name} is not in the lock. {STALE}"
    version, _hashes = pins[name]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"{requirement.name} is locked at {version}, outside {requirement.specifier}. {STALE}"
    )


def test_the_extras_that_are_declared_are_locked_too():
    """``psycopg[binary]`` needs psycopg-binary, ``celery[redis]`` the redis client."""
    pins = locked()
    assert {"psycopg-binary", "qrcode", "redis"} <= set(pins)


def test_install_uses_the_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--no-deps -e ." in makefile
