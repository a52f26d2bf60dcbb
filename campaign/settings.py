"""One settings module for both modes, driven by environment variables.

Embedded default (nothing set): SQLite under ``var/``, Celery tasks run eagerly in-process,
local-memory cache, mail written under ``var/mail/`` and echoed to the console.
Production: ``DEBUG=0`` with ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``SITE_URL``, ``DATABASE_URL``
(PostgreSQL), ``REDIS_URL`` (Celery broker and cache) and ``EMAIL_URL`` (SMTP).
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    # modeltranslation must come before the admin so its admin classes take over.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "corsheaders",
    "campaign",
    "signatures",
    "api",
    "optouts",
    "organise",
    "abuse",
    "consent",
    "updates",
    "pages",
    "ledger",
    "tracker",
]

MIDDLEWARE = [
    # Public pages: Django's page cache, first and last (see campaign/middleware.py).
    "campaign.middleware.UpdatePublicPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer, the refusals below included.
    "csp.middleware.CSPMiddleware",
    "campaign.security.PermissionsPolicyMiddleware",
    # Refuses NUL bytes, oversized bodies and absurd URLs before anything reads them.
    "campaign.security.RequestHygieneMiddleware",
    # The database unreachable: a plain 503 page (with handler500 for middleware failures).
    "campaign.security.DatabaseUnavailableMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above every middleware that may set a cookie: it must see them all.
    "campaign.middleware.PublicPageCacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # /organise/ and /admin/: a role and a second factor (organise/middleware.py).
    "organise.middleware.SecondFactorMiddleware",
    # Read-only mode for public writes, and the login-code rate limit (abuse/middleware.py).
    "abuse.middleware.SafeguardsMiddleware",
    "campaign.middleware.FetchPublicPageFromCacheMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "campaign.urls"
WSGI_APPLICATION = "campaign.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.site",
                "organise.context_processors.backoffice",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the site read while a write is in progress; the timeout rides out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # The directory index's covering column (INCLUDE, signatures/models.py) is a PostgreSQL
    # speed-up; SQLite builds the index without it, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The directory's name search accepts a typo or two: trigram word similarity above 0.5
    # (pg_trgm's default, 0.6, misses one wrong letter in a nine-letter surname).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c pg_trgm.word_similarity_threshold=0.5"
    )
    # A psycopg connection pool in each process instead of one persistent connection
    # (CONN_MAX_AGE), for threaded servers; needs the psycopg-pool package. Measured against
    # persistent connections by `make bench` (docs/performance.md): not the default.
    if env.int("DATABASE_POOL_SIZE", default=0) > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's rule with a pool
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": env.int("DATABASE_POOL_SIZE"),
            "timeout": 10,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, taken now

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, keeping its client objects (see campaign/cache.py).
            "BACKEND": "campaign.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sii"),
            "TIMEOUT": 300,
            # A Redis that drops packets instead of refusing must not hang requests: every
            # cache use fails open (campaign/cache.py, campaign/ratelimit.py) after this long.
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "sii-embedded",
        }
    }
# Each process's own copies of template fragments that change only with the code, the
# language or the row they show (the blank sign form, the directory's filters, supporter cards):
# no round trip, and a deployment starts with none ({% cache … using="fragments" %}).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "sii-fragments",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died is redelivered after this long; the outbox sweeper is the backstop.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
# Celery's Django fixup closes the database connection around every task unless this is set, so
# each email opened a new PostgreSQL connection (costlier than sending it). Set, a worker keeps
# its connection as Django's CONN_MAX_AGE says (campaign/celery.py); the fixup still renews it
# after this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "sweep-outbox": {"task": "campaign.tasks.sweep_outbox", "schedule": 60.0},
    # An update whose fan-out task was lost starts again (updates/services.py).
    "resume-stalled-updates": {"task": "updates.tasks.resume_stalled_updates", "schedule": 300.0},
    "refresh-signature-counts": {
        "task": "signatures.tasks.refresh_signature_counts",
        "schedule": float(env.int("COUNT_REFRESH_SECONDS", default=5)),
        "options": {"expires": 10},
    },
    # The exact nightly recount: corrects and logs any drift of the public count.
    "recount-signatures-nightly": {
        "task": "signatures.tasks.recount_signatures",
        "schedule": crontab(hour=3, minute=17),
    },
    # Abuse controls (abuse/tasks.py): bursts held for review, signatures the queue missed
    # screened, the kill switches and rate limits copied into the cache.
    "detect-abuse-spikes": {"task": "abuse.tasks.detect_spikes", "schedule": 120.0},
    "screen-signature-stragglers": {"task": "abuse.tasks.screen_stragglers", "schedule": 300.0},
    "publish-safeguards": {"task": "abuse.tasks.publish_safeguards", "schedule": 60.0},
    # Retention (UNCONFIRMED_RETENTION_DAYS, OUTBOX_BODY_RETENTION_DAYS): nightly.
    "delete-unconfirmed-signatures": {
        "task": "signatures.tasks.delete_unconfirmed_signatures",
        "schedule": crontab(hour=3, minute=41),
    },
    # The public ledger (ledger/): the count job sequences it every few seconds (in one snapshot
    # with the count); this is the backstop should that job stop. A head is signed hourly.
    "sequence-ledger": {
        "task": "ledger.tasks.sequence_ledger",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "publish-ledger-tree-heads": {
        "task": "ledger.tasks.publish_tree_heads",
        "schedule": crontab(minute=0),
    },
    "blank-old-outbox-bodies": {
        "task": "signatures.tasks.blank_old_outbox_bodies",
        "schedule": crontab(hour=4, minute=7),
    },
    # Retention (WITHDRAWN_RETENTION_DAYS, IMPORT_*_RETENTION_DAYS,
    # SPIKE_EVIDENCE_RETENTION_DAYS): nightly, each task idempotent.
    "delete-withdrawn-signatures": {
        "task": "signatures.tasks.delete_withdrawn_signatures",
        "schedule": crontab(hour=3, minute=51),
    },
    "forget-old-import-files": {
        "task": "organise.tasks.forget_old_import_files",
        "schedule": crontab(hour=4, minute=17),
    },
    "delete-old-spike-evidence": {
        "task": "abuse.tasks.delete_old_spike_evidence",
        "schedule": crontab(hour=4, minute=27),
    },
}

# --- Email --------------------------------------------------------------------------------

EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "campaign.mail_backends.FileAndConsoleBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Stealing Isn't Innovation <appeal@localhost>"
)
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# The email outbox (campaign.models.OutboundEmail): every message the site sends is a row first.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
# Retry n waits about OUTBOX_RETRY_BASE_SECONDS * 2**(n-1), with jitter, capped at an hour.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
# A row queued or sending for longer than this is handed to the queue again by the sweeper.
# It must exceed EMAIL_TIMEOUT by a wide margin so that a slow send is not sent twice.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# At most this many messages leave per minute, across all workers (0: no cap).
OUTBOX_RATE_PER_MINUTE = env.int("OUTBOX_RATE_PER_MINUTE", default=600)
# Of that cap, this many are kept each minute for mail someone is waiting for (confirmation
# links, login codes): a mailing never takes them (it keeps at least half the cap).
OUTBOX_RESERVED_PER_MINUTE = env.int("OUTBOX_RESERVED_PER_MINUTE", default=60)
# A delivery run claims up to this many due messages at a time and sends them over one SMTP
# connection. A worker killed mid-batch leaves up to this many rows to its lease: they may
# or may not have left, and are sent again once the lease expires.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
# A delivery run handed over after a commit starts this long after it, so that the messages
# committed meanwhile leave in the same run: in a surge one run (one task, one SMTP connection)
# per half second rather than one per signature, which cost the worker more CPU than the
# signature itself (docs/performance.md). 0: at once.
OUTBOX_GATHER_SECONDS = env.float("OUTBOX_GATHER_SECONDS", default=0.5)

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"

MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------------

SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_SAMESITE = "Lax"
# No inline script or style anywhere: scripts are files under static/js (django-csp 4).
# Only the embeddable counter (pages.views.embed) may be framed, by any site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page of the site uses (campaign.security.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
}
# Request bodies larger than this are refused before they are read (413), except the back
# office's CSV import under /organise/imports/, which may send up to IMPORT_MAX_BYTES.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=2_621_440)  # 2.5 MiB
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_PATH_PREFIX = "/organise/imports/"
# A URL (path and query) longer than this is refused (414).
MAX_URL_LENGTH = 4096
# The JSON API refuses a NUL byte in its own parameters, with a documented JSON error.
API_PATH_PREFIX = "/api/"
# Form data outside file uploads; Django refuses more with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# What the 503 page asks browsers and crawlers to wait while the database is unreachable.
SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 30

# --- Accounts (django-allauth): artists log in by a code sent to their email -------------------

ACCOUNT_ADAPTER = "signatures.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_REQUIRED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
LOGIN_URL = "account_request_login_code"
# Organisers and the admin: a second factor (TOTP, with recovery codes) on top of the emailed code.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Stealing Isn't Innovation")
# Paths that need a back-office role and a second factor.
BACKOFFICE_PATH_PREFIXES = ("/organise/", "/admin/")
LOGIN_REDIRECT_URL = "signatures:account"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- The campaign -------------------------------------------------------------------------

# The campaign the home page presents.
CAMPAIGN_SLUG = env.str("CAMPAIGN_SLUG", default="stealing-isnt-innovation")
# Seconds a public page may show an old signature count (the counter job's interval).
COUNT_REFRESH_SECONDS = env.int("COUNT_REFRESH_SECONDS", default=5)
# Each process keeps its copy of the campaign and its lists, and asks the cache at most this
# often whether they changed (campaign/selectors.py); 0 reads the database every time (tests).
CAMPAIGN_CACHE_SECONDS = env.float("CAMPAIGN_CACHE_SECONDS", default=1.0)
# A confirmation link works for this many days.
SIGNATURE_CONFIRM_DAYS = env.int("SIGNATURE_CONFIRM_DAYS", default=7)
# Signing again sends a fresh email at most this often, and a signature never gets more emails
# about signing than SIGNATURE_MAX_EMAILS.
SIGNATURE_EMAIL_INTERVAL_SECONDS = env.int("SIGNATURE_EMAIL_INTERVAL_SECONDS", default=300)
SIGNATURE_MAX_EMAILS = env.int("SIGNATURE_MAX_EMAILS", default=5)
# The version of the consent wording shown on the sign form; change it when the wording changes.
CONSENT_VERSION = "2026-11-28"
# Retention, applied nightly by beat and stated on the privacy page: a signature still
# unconfirmed after this many days is deleted with its signer's details, and a sent, failed
# or cancelled email loses its address, subject and body after this many.
UNCONFIRMED_RETENTION_DAYS = env.int("UNCONFIRMED_RETENTION_DAYS", default=30)
OUTBOX_BODY_RETENTION_DAYS = env.int("OUTBOX_BODY_RETENTION_DAYS", default=90)
# A withdrawn signature is deleted this many days after it was withdrawn (with its signer's
# details and account when nothing else is kept: no other signature, no opt-out declaration).
WITHDRAWN_RETENTION_DAYS = env.int("WITHDRAWN_RETENTION_DAYS", default=30)
# An import's file is deleted once the import is done; one that never finished loses it this
# many days after it was uploaded, and a dry run's file (kept so that it can be run for real)
# this many days after the dry run. The report of an import (addresses and reasons, row by
# row) is deleted this many days after the upload; the import's counts stay.
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=14)
IMPORT_DRY_RUN_RETENTION_DAYS = env.int("IMPORT_DRY_RUN_RETENTION_DAYS", default=7)
IMPORT_REPORT_RETENTION_DAYS = env.int("IMPORT_REPORT_RETENTION_DAYS", default=90)
# A spike alert (the burst's address range or domain and sample names) is deleted this many
# days after the burst's last signature; the held signatures keep their reason.
SPIKE_EVIDENCE_RETENTION_DAYS = env.int("SPIKE_EVIDENCE_RETENTION_DAYS", default=90)
# Where people write about their data (the privacy page); the sender's address if unset.
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="")
# The public ledger's Ed25519 key: the base64 of a 32-byte seed (`manage.py ledger_key` makes
# one). Without it, DEBUG signs with a key derived from SECRET_KEY and `check --deploy` fails.
LEDGER_SIGNING_KEY = env.str("LEDGER_SIGNING_KEY", default="")
# Seconds a recorded entry may wait for its place in the tree (the maximum merge delay the
# ledger page promises; the count job sequences every COUNT_REFRESH_SECONDS, a backstop every 60).
LEDGER_MAX_MERGE_DELAY_SECONDS = env.int("LEDGER_MAX_MERGE_DELAY_SECONDS", default=60)
# Tests that need PostgreSQL, Redis or Chromium fail instead of skipping when this is set (CI).
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)

# --- The public JSON API (api/) and the opt-out registry (optouts/) ------------------------

# Anyone may read the API from a browser on another site: GET only, no credentials.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "OPTIONS"]
# Requests per minute from one client address (REMOTE_ADDR) to /api/; 0 turns the limit off
# (benchmarks). Counted in the cache, so shared by every process when REDIS_URL is set.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
# API answers may be cached for COUNT_REFRESH_SECONDS, then served stale as public pages are
# (PUBLIC_PAGE_STALE_WHILE_REVALIDATE_SECONDS, PUBLIC_PAGE_STALE_IF_ERROR_SECONDS, below).
# The most places one opt-out declaration may list.
OPTOUT_MAX_LOCATIONS = 20

# --- Holding a surge: cacheable public pages (campaign/middleware.py, docs/performance.md) ---

# The views whose anonymous GETs CDNs and the page cache may share ("namespace:*" for all).
PUBLIC_PAGE_VIEWS = [
    "campaign:*",
    "signatures:sign",
    "signatures:check_email",
    "signatures:directory",
    "signatures:profile",
    "updates:news",
    "updates:news_detail",
    "ledger:page",
    "tracker:*",
]
# A CDN may keep a public page this long (the public count is no fresher anyway), then serve it
# stale while it fetches a fresh copy, or while the site is failing.
PUBLIC_PAGE_MAX_AGE_SECONDS = env.int("PUBLIC_PAGE_MAX_AGE_SECONDS", default=COUNT_REFRESH_SECONDS)
PUBLIC_PAGE_STALE_WHILE_REVALIDATE_SECONDS = env.int(
    "PUBLIC_PAGE_STALE_WHILE_REVALIDATE_SECONDS", default=30
)
PUBLIC_PAGE_STALE_IF_ERROR_SECONDS = env.int("PUBLIC_PAGE_STALE_IF_ERROR_SECONDS", default=86_400)
# Keep rendered public pages in the cache (Redis) for their max-age, shared by every web
# process. On by default in production; off in development, where a page should show each edit.
PUBLIC_PAGE_CACHE = env.bool("PUBLIC_PAGE_CACHE", default=bool(REDIS_URL) and not DEBUG)
CACHE_MIDDLEWARE_KEY_PREFIX = "page"
# The query parameters public views read (the directory's filters and cursor, the news
# cursor, the tables' sort). The page cache keys a page on these alone, in a fixed order, so
# that an address with any other parameter (utm_source, fbclid, ?x=<random>) is answered from
# the page already kept, not rendered and stored once more (campaign/middleware.py).
PUBLIC_PAGE_QUERY_PARAMS = ("after", "country", "field", "q", "sort", "verified")
# Load balancers ask /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Abuse controls (abuse/) ---------------------------------------------------------------

# How many proxies of ours (load balancer, CDN) stand in front of the site: the client's
# address is then the n-th X-Forwarded-For entry from the right (0: REMOTE_ADDR). The entries
# further left are written by the client and never read (campaign/clientip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Rate limits per client address and per email address, counted in this cache. Organisers
# change them in the back office; these are the defaults: {what: {per: (requests, seconds)}}.
# The per-address limits are generous on purpose: a festival's Wi-Fi or a mobile carrier puts
# many real signers behind one address, and bursts are caught by the spike alerts instead.
RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)
RATE_LIMIT_CACHE = "default"
RATE_LIMIT_DEFAULTS = {
    "sign": {"ip": (300, 600), "email": (10, 3600)},
    "resend": {"ip": (60, 600), "email": (5, 3600)},
    "login_code": {"ip": (30, 600), "email": (5, 900)},
    "verification": {"ip": (20, 3600), "email": (10, 3600)},
}
# With the cache unreachable, requests go through for this long, then are refused with a 503
# (RATE_LIMIT_FAIL_CLOSED) or still let through (off); the cache is retried this often.
RATE_LIMIT_FAIL_OPEN_SECONDS = env.int("RATE_LIMIT_FAIL_OPEN_SECONDS", default=60)
RATE_LIMIT_FAIL_CLOSED = env.bool("RATE_LIMIT_FAIL_CLOSED", default=True)
RATE_LIMIT_PROBE_SECONDS = 5
# Ours governs login codes (abuse.middleware), per address and per email; allauth's own
# limiter would refuse with a form error before our 429 page.
ACCOUNT_RATE_LIMITS = {"request_login_code": None}
# Signatures from a disposable address (the disposable-email-domains package) are rejected
# quietly unless the allow list says otherwise.
ABUSE_BLOCK_DISPOSABLE_DOMAINS = env.bool("ABUSE_BLOCK_DISPOSABLE_DOMAINS", default=True)
# A burst: at least this many signatures from one /24 (or /64), or one email domain, within
# the window. Bursts are held for review with a spike alert.
ABUSE_SPIKE_WINDOW_SECONDS = env.int("ABUSE_SPIKE_WINDOW_SECONDS", default=600)
ABUSE_SPIKE_IP_RANGE_THRESHOLD = env.int("ABUSE_SPIKE_IP_RANGE_THRESHOLD", default=25)
ABUSE_SPIKE_DOMAIN_THRESHOLD = env.int("ABUSE_SPIKE_DOMAIN_THRESHOLD", default=40)
# Mail providers too large for a burst of their addresses to mean anything.
ABUSE_SPIKE_IGNORED_DOMAINS = frozenset(
    env.list(
        "ABUSE_SPIKE_IGNORED_DOMAINS",
        default=[
            "gmail.com",
            "googlemail.com",
            "outlook.com",
            "hotmail.com",
            "hotmail.fr",
            "live.com",
            "live.fr",
            "msn.com",
            "yahoo.com",
            "yahoo.fr",
            "icloud.com",
            "me.com",
            "orange.fr",
            "wanadoo.fr",
            "free.fr",
            "sfr.fr",
            "laposte.net",
            "gmx.de",
            "gmx.fr",
            "web.de",
            "proton.me",
            "protonmail.com",
            "aol.com",
            "yandex.ru",
            "mail.ru",
        ],
    )
)
# A bulk invalidation changes this many signatures per transaction.
ABUSE_INVALIDATION_CHUNK = env.int("ABUSE_INVALIDATION_CHUNK", default=500)
