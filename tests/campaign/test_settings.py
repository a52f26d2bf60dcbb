"""The settings module reads every variable it documents, in a fresh interpreter each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7$Vq!pZ3m@Lw9#Rt2^Yk8&Hc5*Nb1(Jd4)Fg6_Se0+Ua-Oi=Pl;Mz:Xv<Cr>Bn?Qw",
    "ALLOWED_HOSTS": "appeal.example,www.appeal.example",
    "SITE_URL": "https://appeal.example/",
    "DATABASE_URL": "postgres://campaign:secret@db.internal:5432/campaign",
    "REDIS_URL": "redis://cache.internal:6379/1",
    "EMAIL_URL": "smtp+tls://mailer:pa55@smtp.example:587",
    "LEDGER_SIGNING_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
}
VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
}
PROBE = """
import json
from django.conf import settings
import django
django.setup()
from campaign.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SITE_URL": settings.SITE_URL,
    "db_engine": db["ENGINE"], "db_name": str(db["NAME"]), "db_host": db.get("HOST", ""),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "eager": app.conf.task_always_eager, "broker": app.conf.broker_url,
    "serializer": app.conf.task_serializer, "acks_late": app.conf.task_acks_late,
    "email_backend": settings.EMAIL_BACKEND, "email_host": getattr(settings, "EMAIL_HOST", ""),
    "email_port": getattr(settings, "EMAIL_PORT", None),
    "email_user": getattr(settings, "EMAIL_HOST_USER", ""),
    "email_tls": getattr(settings, "EMAIL_USE_TLS", False),
    "email_path": getattr(settings, "EMAIL_FILE_PATH", ""),
    "static_storage": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    clean["DJANGO_SETTINGS_MODULE"] = "campaign.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def read_settings(env: dict[str, str]) -> dict:
    result = run_with(env, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_variable():
    values = read_settings({})

    assert values["DEBUG"] is True
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(ROOT / "var" / "db.sqlite3")
    assert values["cache"].endswith("LocMemCache")
    assert values["eager"] is True
    assert values["email_backend"] == "campaign.mail_backends.FileAndConsoleBackend"
    assert values["email_path"] == str(ROOT / "var" / "mail")
    assert values["SITE_URL"] == "http://127.0.0.1:8000"


def test_production_variables_are_all_read():
    values = read_settings(PRODUCTION)

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == PRODUCTION["SECRET_KEY"]
    assert values["ALLOWED_HOSTS"] == ["appeal.example", "www.appeal.example"]
    assert values["SITE_URL"] == "https://appeal.example"
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert (values["db_name"], values["db_host"]) == ("campaign", "db.internal")
    assert values["cache"] == "campaign.cache.RedisCache"  # Django's, keeping its clients
    assert values["cache_location"] == "redis://cache.internal:6379/1"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/1"
    assert (values["serializer"], values["acks_late"]) == ("json", True)
    assert values["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["email_host"], values["email_port"]) == ("smtp.example", 587)
    assert (values["email_user"], values["email_tls"]) == ("mailer", True)
    assert values["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_debug_off_without_a_secret_key_refuses_to_start():
    env = PRODUCTION | {"SECRET_KEY": ""}
    result = run_with(env, "-c", PROBE)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["0", "false", "off"])
def test_debug_accepts_the_usual_spellings_of_off(debug):
    assert read_settings(PRODUCTION | {"DEBUG": debug})["DEBUG"] is False


def test_check_deploy_is_clean_with_production_variables():
    result = run_with(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_complains_in_debug():
    result = run_with(PRODUCTION | {"DEBUG": "1"}, "manage.py", "check", "--deploy")
    assert "security.W018" in result.stdout + result.stderr


def test_redis_cache_calls_time_out_instead_of_hanging():
    """A Redis that drops packets must not hang requests: connect and socket timeouts."""
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.CACHES['default']['OPTIONS']))"
    )
    result = run_with(PRODUCTION, "-c", probe)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0 < options["socket_connect_timeout"] <= 1
    assert 0 < options["socket_timeout"] <= 2
