"""Settings for safepassage, read from environment variables only.

Every variable is documented in docs/configuration.md and .env.example.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.utils.translation import gettext_lazy as _

from safepassage.lib import browserpolicy, hosting
from safepassage.lib.browserpolicy import content_security_policy
from safepassage.lib.env import ConfigurationError, env_bool, env_int, env_list, env_str
from safepassage.lib.mailprovider import provider_settings

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SAFEPASSAGE_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("SAFEPASSAGE_DEBUG", False)
# Demo mode shows the mail the application sent to staff (there is no mail
# server on a newcomer's machine). `check --deploy` refuses it.
DEMO_MODE = env_bool("SAFEPASSAGE_DEMO", False)

SECRET_KEY = env_str("SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ConfigurationError("SECRET_KEY must be set to a random string of at least 32 characters")

# Key of the HMAC that turns a canonical e-mail into the one-signature-per-person
# hash. It never goes into the database; changing it breaks duplicate detection.
SIGNER_HASH_KEY = env_str("SIGNER_HASH_KEY").encode()
if len(SIGNER_HASH_KEY) < 32:
    raise ConfigurationError("SIGNER_HASH_KEY must be set to a random string of at least 32 bytes")

# Key of the HMAC of a client's address (throttling, moderation by network); never
# SECRET_KEY. Unset: derived from SIGNER_HASH_KEY for this one purpose. Setting it
# lets it be rotated alone (docs/privacy.md).
IP_HASH_KEY = (
    env_str("IP_HASH_KEY").encode()
    or hmac.new(SIGNER_HASH_KEY, b"safepassage ip hash key", hashlib.sha256).digest()
)
if len(IP_HASH_KEY) < 32:
    raise ConfigurationError("IP_HASH_KEY, when set, must be a random string of at least 32 bytes")

# Fernet keys for stored e-mail addresses, newest first (see docs/privacy.md).
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS")
if not ENCRYPTION_KEYS:
    raise ConfigurationError("ENCRYPTION_KEYS must hold at least one Fernet key")
for _key in ENCRYPTION_KEYS:
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ConfigurationError(
            "ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes)"
        ) from None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
HTTPS = env_bool("SAFEPASSAGE_HTTPS", SITE_URL.startswith("https://"))
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "csp",
    "safepassage.core",
    "safepassage.campaigns",
    "safepassage.signatures",
    "safepassage.outbox",
    "safepassage.directory",
    "safepassage.accounts",
    "safepassage.events",
    "safepassage.deliveries",
    "safepassage.reports",
    "safepassage.api",
    "safepassage.exports",
    "safepassage.letters",
    "safepassage.packets",
    "safepassage.team",
    "safepassage.updates",
    "safepassage.webhooks",
    # Second factor (django-otp: app codes, recovery codes; passkeys) and login lockout.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Answers the live counter's polls without sessions, locale or CSRF (the hottest URL).
    "safepassage.signatures.middleware.CounterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control of the public pages a shared cache may keep (PUBLIC_CACHE_PAGES), private
    # for the rest of a logged-in person's; above CSP, so it sees the final headers.
    "safepassage.lib.sharedcache.SharedCacheMiddleware",
    # Content-Security-Policy with a per-request nonce (request.csp_nonce), then the
    # Permissions-Policy: on every response below, error pages included.
    "safepassage.core.middleware.ContentSecurityPolicyMiddleware",
    "safepassage.core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware, made honest: only languages with a catalogue of ours, ?lang=
    # in the URL first (safepassage/core/language.py).
    "safepassage.core.language.LanguageMiddleware",
    # Refuses (400) query strings and form or JSON text that is not valid UTF-8 or holds
    # control characters, before anything reads the form; after locale, so the page is translated.
    "safepassage.core.middleware.ValidTextMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed its second factor?
    "django_otp.middleware.OTPMiddleware",
    # Staff session limits (idle, absolute) and the second factor for every page.
    "safepassage.accounts.middleware.StaffSessionMiddleware",
    # Records who made each change to audited models (the mission directory): django-simple-
    # history's middleware, for requests that carry a session cookie.
    "safepassage.accounts.middleware.HistoryUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a login refused by the lockout into the "locked" page (last, as django-axes asks).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safepassage.urls"
WSGI_APPLICATION = "safepassage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safepassage.core.context_processors.site",
                # CSP_NONCE for templates (request.csp_nonce works as well).
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {"default": hosting.database(DATA_DIR, DEBUG)}
# LISTEN needs a session of its own: the worker's listener (lib/wakeup.py) connects
# here, straight to PostgreSQL, when DATABASE_URL points at a transaction pooler.
DATABASE_DIRECT_URL = env_str("DATABASE_DIRECT_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "safepassage"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background tasks in our own database ("database") or in Redis through RQ ("rq", for
# several hosts; docs/deployment.md, "Several hosts"): lib/hosting.py.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
TASKS, RQ_QUEUES, RQ, _queue_apps = hosting.task_queue(TASKS_BACKEND, REDIS_URL)
INSTALLED_APPS += _queue_apps

# Every PDF (packets, letters, reports, reading scripts) must give the same
# bytes for the same data. Where WeasyPrint subsets fonts with fontTools
# (no HarfBuzz-Subset on the host), fontTools stamps each font with the time
# unless this reproducible-builds variable fixes it; a deployment's value wins.
os.environ.setdefault("SOURCE_DATE_EPOCH", "946684800")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The coalition's ten languages: petition texts may be written in any of them. The interface
# is offered in those with a catalogue in locale/ (safepassage.lib.languages); a request for
# another is answered in English, marked as such, with a visible note (docs/public-site.md).
LANGUAGES = [
    ("en", _("English")),
    ("ko", _("Korean")),
    ("ja", _("Japanese")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("de", _("German")),
    ("fr", _("French")),
    ("nl", _("Dutch")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Files only the application itself serves, after its permission checks:
# delivery packets (signer lists), their ZIPs, letterheads, scanned signatures.
# Never let a web server serve this directory.
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", str(DATA_DIR / "private")))
# Backups and the erasure log (docs/operations.md). The log lives outside the
# database so that an erasure made after the last backup survives restoring it.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(DATA_DIR / "backups")))
ERASURE_LOG_PATH = Path(env_str("ERASURE_LOG_PATH", str(DATA_DIR / "erasures.jsonl")))
# Files the application saves are its own user's only (docs/security.md, "Data at
# rest"); the process's umask (set in safepassage/__init__.py) covers the rest.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": "/private-files-are-not-served/"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Several hosts: uploads and private files in an S3-compatible object store every host
# reaches (FILE_STORAGE=s3), never public (lib/hosting.py, lib/s3storage.py).
FILE_STORAGE = env_str("FILE_STORAGE", "filesystem")
STORAGES.update(hosting.object_storages(FILE_STORAGE))

# Mail: every message is an outbox row first; a task sends it over SMTP.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
EMAIL_FILE_PATH = DATA_DIR / "demo-mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "safepassage <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
# A sender's claim on a message runs out after this long unless the sender renews
# it; then another sender takes the message over (a crashed sender's mail waits no longer).
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 60, minimum=1)
# Above this many queued messages a second (a surge of signatures), the worker sends
# mail with a tenth of a core and leaves the rest to the signers (0: always full speed).
MAIL_SURGE_RATE = env_int("MAIL_SURGE_RATE", 100, minimum=0)
# Updates to supporters leave the outbox at most this fast (messages a minute; 0: at once).
UPDATE_MAIL_PER_MINUTE = env_int("UPDATE_MAIL_PER_MINUTE", 600, minimum=0)
# Optional: send through a provider with django-anymail instead of SMTP (docs/mail.md).
MAIL_PROVIDER = env_str("MAIL_PROVIDER")
EMAIL_BACKEND, ANYMAIL = provider_settings(MAIL_PROVIDER, EMAIL_BACKEND)

# Webhooks to organisers' endpoints (docs/webhooks.md): each attempt waits at
# most WEBHOOK_TIMEOUT_SECONDS; a failed delivery is tried again after
# WEBHOOK_BACKOFF_SECONDS, doubling each time, WEBHOOK_MAX_ATTEMPTS times in all.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
WEBHOOK_BACKOFF_SECONDS = env_int("WEBHOOK_BACKOFF_SECONDS", 30, minimum=1)
# Endpoints at http://127.0.0.1 or http://localhost (and loopback addresses)
# only with DEBUG or this setting (the test suite sets it); never in production.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", False)
# Finished webhook deliveries (their payloads and attempts) are kept this many days.
WEBHOOK_LOG_DAYS = env_int("WEBHOOK_LOG_DAYS", 30, minimum=1)

# Signing.
SIGNATURE_CONFIRM_DAYS = env_int("SIGNATURE_CONFIRM_DAYS", 7, minimum=1)
# How much lower the worker's CPU priority is than the web server's (0: the same).
WORKER_NICE = env_int("WORKER_NICE", 10, minimum=0)
# Under a steady stream of signatures, the writer waits this long before each commit
# to take in more submissions per transaction (0: commit what has arrived at once).
SIGNING_WRITER_LINGER_MS = env_int("SIGNING_WRITER_LINGER_MS", 5, minimum=0)
# Every commit of signatures lasts at least this long, so that a new signer and one who
# had signed already are answered at the same moment (no timing oracle; docs/privacy.md).
SIGNING_COMMIT_FLOOR_MS = env_int("SIGNING_COMMIT_FLOOR_MS", 5, minimum=0)
# Set by safepassage.gunicorn_conf for its workers: where the signing writer listens.
SIGNING_WRITER_SOCKET = env_str("SIGNING_WRITER_SOCKET")
THROTTLE_PER_IP = env_int("THROTTLE_PER_IP", 20, minimum=1)
THROTTLE_PER_PETITION = env_int("THROTTLE_PER_PETITION", 100_000, minimum=1)
THROTTLE_WINDOW_SECONDS = env_int("THROTTLE_WINDOW_SECONDS", 3600, minimum=1)
# Signing limits per network (/24 or /48) and per e-mail domain in each window (0: none);
# above any limit a submission and its mail are held for review (docs/security.md).
THROTTLE_PER_NETWORK = env_int("THROTTLE_PER_NETWORK", 200, minimum=0)
THROTTLE_PER_DOMAIN = env_int("THROTTLE_PER_DOMAIN", 2000, minimum=0)
# Where the signing limits are counted: "cache" (Redis, shared by every server) or
# "database" (the signing writer's transaction; the default without Redis).
THROTTLE_STORE = env_str("THROTTLE_STORE", "cache" if REDIS_URL else "database")
if THROTTLE_STORE not in ("cache", "database"):
    raise ConfigurationError("THROTTLE_STORE must be 'cache' or 'database'")
REPEAT_MAIL_MINUTES = env_int("REPEAT_MAIL_MINUTES", 10, minimum=0)
# The directory's freshness (docs/directory.md): a mission's address older than this many
# months needs checking; its coordinator is reminded at most once per this many days.
DIRECTORY_ADDRESS_MAX_AGE_MONTHS = env_int("DIRECTORY_ADDRESS_MAX_AGE_MONTHS", 12, minimum=1)
DIRECTORY_REMINDER_DAYS = env_int("DIRECTORY_REMINDER_DAYS", 30, minimum=1)
# Bot resistance (signatures.botcheck): the proof of work's largest number (the browser
# tries half of them on average), how long a challenge stays valid, and the signing rate
# per petition (submissions per minute) above which "automatic" petitions require it.
BOT_CHALLENGE_MAX_NUMBER = env_int("BOT_CHALLENGE_MAX_NUMBER", 50_000, minimum=1)
BOT_CHALLENGE_SECONDS = env_int("BOT_CHALLENGE_SECONDS", 1800, minimum=60)
BOT_CHALLENGE_SURGE_PER_MINUTE = env_int("BOT_CHALLENGE_SURGE_PER_MINUTE", 120, minimum=1)
COUNT_CACHE_SECONDS = env_int("COUNT_CACHE_SECONDS", 5, minimum=0)
# How long a shared cache (deploy/nginx/) and browsers may keep a public page, and serve it
# stale while fetching a fresh one (lib/sharedcache.py); the counter's max-age is the above.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 10, minimum=0)
PUBLIC_CACHE_STALE_SECONDS = env_int("PUBLIC_CACHE_STALE_SECONDS", 30, minimum=0)
# The pages that are the same for every visitor without cookies (URL names).
PUBLIC_CACHE_PAGES = (
    "core:home",
    "signatures:sign",
    "signatures:share_image",
    "reports:campaign",
    "reports:report",
    "events:list",
    "events:event",
    "directory:missions",
)
# Housekeeping sets a signature's IP hash to null this many days after it was made.
IP_HASH_RETENTION_DAYS = env_int("IP_HASH_RETENTION_DAYS", 30, minimum=1)
# Public per-mission and per-country counts below this are shown as "fewer than N"
# (pages, PDFs, the API, the map); organisers' pages keep exact figures.
PUBLIC_COUNT_THRESHOLD = env_int("PUBLIC_COUNT_THRESHOLD", 5, minimum=1)

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Submitting a domain to the browsers' HSTS preload list binds every
# subdomain for years: the owner of the domain opts in, the software does not.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Browsers accept a cookie named __Host-... only when it is Secure, has Path=/ and no
# Domain: nobody on a sibling subdomain or on plain http can set or overwrite it. On
# http (the demo) browsers would refuse such a cookie, so the plain names stay there.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
LANGUAGE_COOKIE_NAME = "__Host-language" if HTTPS else "django_language"
LANGUAGE_COOKIE_SECURE = HTTPS
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy and Permissions-Policy on every response (lib/browserpolicy.py).
CONTENT_SECURITY_POLICY = content_security_policy(HTTPS)
PERMISSIONS_POLICY = browserpolicy.PERMISSIONS_POLICY
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("http") else []

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "team:index"

# Accounts and sign-in (docs/security.md, "Accounts and sign-in").
# The lockout (django-axes) looks at every login first; then Django's password check.
AUTHENTICATION_BACKENDS = [
    "safepassage.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After this many failed passwords or second-factor codes, the account and the
# address are each locked for LOGIN_LOCKOUT_MINUTES (unlock: manage.py axes_reset_username).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Axes stores a keyed hash shaped as an IPv6 address, never the client's address.
AXES_CLIENT_IP_CALLABLE = "safepassage.accounts.security.lockout_address"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # successes are in our own audit table (accounts.AuthEvent)
AXES_VERBOSE = False  # our own log lines name no username and no address
AXES_SENSITIVE_PARAMETERS = ["password", "code"]
# Sessions of staff and role holders end after this long without a request, and
# this long after the password was typed, whatever happens in between.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 3600, minimum=60)
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_SECONDS
# Password and second factor again before exports of signer data, signer-list
# downloads, bulk moderation and API tokens, unless done within this many seconds.
REAUTH_SECONDS = env_int("REAUTH_SECONDS", 10 * 60, minimum=30)
OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "safepassage")
# Passkeys as a second factor only: a passkey never replaces the password.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
# Passkeys belong to the site's host name (SITE_URL's, unless set); changing it voids them.
_SITE_ORIGIN = "/".join(SITE_URL.split("/", 3)[:3])
OTP_WEBAUTHN_RP_ID = env_str("OTP_WEBAUTHN_RP_ID", _SITE_ORIGIN.split("//")[-1].split(":")[0])
OTP_WEBAUTHN_ALLOWED_ORIGINS = [_SITE_ORIGIN]
if not HTTPS:
    # Browsers allow passkeys on http://localhost (a demo with SITE_URL=http://localhost:8000;
    # never on an IP address such as 127.0.0.1, see safepassage.W060); the library's
    # check wants https everywhere, which check --deploy (HTTPS) still enforces.
    SILENCED_SYSTEM_CHECKS.append("otp_webauthn.E031")

# JSON API rate limits, per minute: per client address (public) and per token (team).
API_ANON_PER_MINUTE = env_int("API_ANON_PER_MINUTE", 120, minimum=1)
API_TOKEN_PER_MINUTE = env_int("API_TOKEN_PER_MINUTE", 600, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies never reach a log line: errors name the path only.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pikepdf (lib/pdf.py) announces itself at INFO; qpdf's warnings about damaged files stay.
        "pikepdf": {"level": "WARNING"},
        # django-axes names usernames in its lines; ours (safepassage.accounts.auth) do not.
        "axes": {"level": "ERROR"},
    },
}
