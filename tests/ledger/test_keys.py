"""The signing key: from the settings, a development stand-in only in DEBUG, and a deploy
check that production has a real one."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import checks, keys


def test_the_configured_key_signs(settings):
    seed = bytes(range(32))
    settings.LEDGER_SIGNING_KEY = base64.b64encode(seed).decode()
    signature = keys.sign(b"hello")
    Ed25519PublicKey.from_public_bytes(keys.public_key_bytes()).verify(signature, b"hello")
    assert keys.key_id(keys.public_key_bytes()) == keys.key_id(keys.public_key_bytes())
    assert not checks.production_has_a_key(None)
    assert not checks.key_is_well_formed(None)


def test_debug_falls_back_to_a_development_key_and_the_deploy_check_says_so(settings):
    settings.LEDGER_SIGNING_KEY = ""
    settings.DEBUG = True
    assert keys.uses_development_key()
    keys.sign(b"works in development")
    (error,) = checks.production_has_a_key(None)
    assert error.id == "ledger.E002"


def test_production_refuses_to_sign_without_a_key(settings):
    settings.LEDGER_SIGNING_KEY = ""
    settings.DEBUG = False
    with pytest.raises(keys.SigningKeyError):
        keys.sign(b"never with a guessable key")


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"too short").decode()])
def test_a_malformed_key_fails_the_checks(settings, value):
    settings.LEDGER_SIGNING_KEY = value
    (error,) = checks.key_is_well_formed(None)
    assert error.id == "ledger.E001"
    with pytest.raises(keys.SigningKeyError):
        keys.sign(b"x")
