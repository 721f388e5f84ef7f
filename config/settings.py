"""Tværs settings, driven by environment variables (see the configuration table in README.md).

Every variable may also be given as ``NAME_FILE`` pointing at a file holding the value
(Docker/Kubernetes secrets). Development defaults exist only for DEBUG mode: with DEBUG off,
start-up stops with one line naming the first missing or unsafe setting.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ

from config import keys

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


class _SecretFiles(environ.FileAwareMapping):
    """``NAME_FILE`` read as an operator writes it: ``echo value > file`` ends the file with a
    newline, which is not part of the value (a database URL or host name would break on it)."""

    def __getitem__(self, key: str) -> str:
        value: str = super().__getitem__(key)
        if self.env.get(f"{key}_FILE"):
            return value.removesuffix("\n").removesuffix("\r")
        return value


env = environ.FileAwareEnv()
env.ENVIRON = _SecretFiles()

DEBUG: bool = env.bool("DEBUG", default=False)


def _refuse(message: str) -> None:
    # SystemExit prints one line and no traceback: an operator sees what to set, nothing else.
    raise SystemExit(f"Tværs will not start: {message}")


def _secret(name: str, dev_default: str) -> str:
    value: str = env.str(name, default="")
    if not DEBUG and not value:
        _refuse(f"{name} is not set (required when DEBUG is off).")
    if not DEBUG and value == dev_default:
        _refuse(f"{name} is the development default; generate one with `python -m config.keys`.")
    return value or dev_default


def _parsed(name: str, parse: Any, value: str) -> Any:
    try:
        return parse(value, name=name)
    except keys.KeyFormatError as exc:
        _refuse(str(exc))


SECRET_KEY = _secret("SECRET_KEY", keys.DEV_SECRET_KEY)
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    _refuse(
        "SECRET_KEY is too short or marked insecure; generate one with `python -m config.keys`."
    )

# Master keyring for envelope encryption (core.crypto): "id:base64,id:base64", newest first.
FIELD_ENCRYPTION_KEYS: list[tuple[str, bytes]] = _parsed(
    "FIELD_ENCRYPTION_KEYS",
    keys.parse_keyring,
    _secret("FIELD_ENCRYPTION_KEYS", keys.DEV_FIELD_ENCRYPTION_KEYS),
)
if not DEBUG and any(
    key in dict(keys.parse_keyring(keys.DEV_FIELD_ENCRYPTION_KEYS)).values()
    for _, key in FIELD_ENCRYPTION_KEYS
):
    _refuse("FIELD_ENCRYPTION_KEYS contains the development key.")
# HMAC key for the CPR blind index; separate from the keyring so rotation never touches it.
BLIND_INDEX_KEY: bytes = _parsed(
    "BLIND_INDEX_KEY", keys.decode_key, _secret("BLIND_INDEX_KEY", keys.DEV_BLIND_INDEX_KEY)
)

# Audit checkpoints (docs/decisions/0014). Only the signer (beat, AUDIT_SIGNER=1) holds the
# Ed25519 seed AUDIT_SIGNING_KEY; any other production process holding it is refused. Every
# process verifies with AUDIT_PUBLIC_KEY (comma-separated after a rotation), configured apart
# from the database: a checkpoint row's own key is never trusted.
AUDIT_SIGNER: bool = env.bool("AUDIT_SIGNER", default=False)
AUDIT_SIGNING_KEY: bytes | None = None
if DEBUG or AUDIT_SIGNER:
    AUDIT_SIGNING_KEY = _parsed(
        "AUDIT_SIGNING_KEY",
        keys.decode_key,
        _secret("AUDIT_SIGNING_KEY", keys.DEV_AUDIT_SIGNING_KEY),
    )
elif env.str("AUDIT_SIGNING_KEY", default=""):
    _refuse(
        "AUDIT_SIGNING_KEY is set in a process that does not sign; only beat holds it "
        "(with AUDIT_SIGNER=1)."
    )


def _audit_public_keys(name: str) -> list[str]:
    import base64

    from core.crypto import public_key_of  # the one place Tværs touches `cryptography`

    raw = [part.strip() for part in env.str(name, default="").split(",") if part.strip()]
    signer = public_key_of(AUDIT_SIGNING_KEY) if AUDIT_SIGNING_KEY is not None else None
    if not raw:
        if not DEBUG or signer is None:
            _refuse(
                f"{name} is not set (required when DEBUG is off); it is the public half of "
                "AUDIT_SIGNING_KEY (`python scripts/audit_public_key.py`)."
            )
        return [signer] if signer else []
    parsed = [
        base64.urlsafe_b64encode(_parsed(name, keys.decode_key, value)).decode("ascii")
        for value in raw
    ]
    dev = public_key_of(keys.decode_key(keys.DEV_AUDIT_SIGNING_KEY, name=name))
    if not DEBUG and dev in parsed:
        _refuse(f"{name} holds the development key's public half.")
    if signer is not None and signer not in parsed:
        _refuse(f"{name} does not hold the public half of AUDIT_SIGNING_KEY.")
    return parsed


AUDIT_PUBLIC_KEYS: list[str] = _audit_public_keys("AUDIT_PUBLIC_KEY")

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        _refuse("ALLOWED_HOSTS is not set (required when DEBUG is off).")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "auditlog",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "core",
    "accounts",
    "forums",
    "persons",
    "coordination",
    "councils",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.logs.RequestLogMiddleware",  # one log line per request (not for static files)
    "core.headers.NoStoreMiddleware",  # Cache-Control: no-store on every page and API answer
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor
    "core.otp.OTPRequiredMiddleware",  # ...without which a session reaches no page or API
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.sessions.SessionTimeoutMiddleware",  # idle timeout and absolute session lifetime
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "core.request_context.RequestContextMiddleware",
    # Writes the request's reads to the audit trail before the answer leaves (503 if it can't).
    "audit.middleware.AuditMiddleware",
    # Last (django-axes): turns a lockout flagged during the view into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------

if not DEBUG and "DATABASE_URL" not in env and "DATABASE_URL_FILE" not in env:
    _refuse("DATABASE_URL is not set (required when DEBUG is off).")
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tvaers.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Tværs asks short, index-driven questions. PostgreSQL's JIT compiler spends more on
    # compiling them than they take to run (a paginator's COUNT: 321 ms compiled, 77 ms not).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The API's rate-limit counters must be shared by every web process: Redis in production;
# `make run` (one process) and the tests keep them in the process's memory.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://" if DEBUG else REDIS_URL)}

# --- Accounts and security ------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked account or address
    # Django's model backend, loading the request's user with agency, roles and forums at once.
    "forums.backends.RequestUserBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors see nothing
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "coordination:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Second factor (django-otp, accounts.mfa; enforced by core.otp): the name authenticator apps
# show, and no device secrets in Django admin (its device pages are unregistered as well).
OTP_TOTP_ISSUER = "Tværs"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Brute force (django-axes, accounts.lockout): after LOGIN_FAILURE_LIMIT failed logins (password,
# second factor or API token request) within LOGIN_LOCKOUT_HOURS, the account is locked, and so
# is the client address, each counted on its own, until the hours pass or an administrator
# lifts it (`manage.py unlock EMAIL`, or the admin's action on access attempts).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=3)
LOGIN_LOCKOUT_HOURS = env.int("LOGIN_LOCKOUT_HOURS", default=24)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(hours=LOGIN_LOCKOUT_HOURS)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not combined
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_email"
AXES_CLIENT_IP_CALLABLE = "core.request_context.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = False  # a success between guesses must not reset the count
# Never written in clear to the attempt rows (email and address have their own columns).
AXES_SENSITIVE_PARAMETERS = ["username", "email", "ip_address", "otp", "code", "token"]
# API tokens (accounts.tokens): issued with password and second factor, valid this long.
API_TOKEN_HOURS = env.int("API_TOKEN_HOURS", default=8)

# Shared office PCs: a session ends with the browser, after SESSION_IDLE_MINUTES without a
# request and SESSION_MAX_HOURS after login at most, enforced on the server (core.sessions),
# whatever the browser keeps. The session row itself expires after the absolute lifetime.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=10)
if SESSION_IDLE_MINUTES < 1 or SESSION_MAX_HOURS < 1:
    _refuse("SESSION_IDLE_MINUTES and SESSION_MAX_HOURS must be 1 or more.")
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # a cookie without expiry: gone when the browser closes
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # container health checks speak plain HTTP inside
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
# In production, switching off HTTPS-only cookies, the HTTPS redirect or HSTS takes a second,
# explicit switch (e.g. a closed test network without TLS): a typo must not do it.
if not DEBUG and not env.bool("ALLOW_INSECURE_TRANSPORT", default=False):
    for _name, _on in [
        ("SECURE_COOKIES", SESSION_COOKIE_SECURE),
        ("SECURE_SSL_REDIRECT", SECURE_SSL_REDIRECT),
        ("SECURE_HSTS_SECONDS", SECURE_HSTS_SECONDS > 0),
    ]:
        if not _on:
            _refuse(
                f"{_name} is off; HTTPS protection may be dropped only with ALLOW_INSECURE_TRANSPORT=1."
            )
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Reverse proxies in front of Tværs that append to X-Forwarded-For: the client address is the
# Nth entry from the right (core.request_context.client_ip); 0 trusts no header (REMOTE_ADDR).
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    _refuse("TRUSTED_PROXY_COUNT must be 0 or more.")
if env.bool("BEHIND_TLS_PROXY", default=False):
    # Only behind a proxy that overwrites this header; otherwise clients could spoof HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation -------------------------------------------------------------------

# Danish unless the user picks English (the switch in the header: Django's set_language, kept in
# a cookie) or an API client asks for it with Accept-Language. locale/en holds the English of the
# Danish source strings; locale/da only Danish for third-party messages their catalogues lack.
LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "tvaers_language"
LANGUAGE_COOKIE_HTTPONLY = True  # no script reads it
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
# Date display follows the language (always localised in Django 5): config/formats/<lang> is
# read before Django's own locale formats; it adds dd-mm-yyyy to the accepted input (ISO
# yyyy-mm-dd, which <input type="date"> sends, is always accepted). The two below are the
# fallback for a language without a format module.
FORMAT_MODULE_PATH = ["config.formats"]
DATE_FORMAT = "j. F Y"
DATETIME_FORMAT = "j. F Y H:i"

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATICFILES_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tværs <tvaers@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API -------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "core.authentication.SessionAuthentication",
    ],
    # Per user, per client address (anonymous requests), and stricter for the token endpoint.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.UserRateThrottle",
        "core.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="600/min"),
        "anon": env.str("API_RATE_ANON", default="60/min"),
        "token": env.str("API_RATE_TOKEN", default="10/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (api.md), bounded in size (DATA_UPLOAD_MAX_MEMORY_SIZE) and depth, no NUL.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tværs API",
    "DESCRIPTION": "Case coordination for the cross-agency forums under retsplejelovens § 115.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # schema: logged in
    # Several models have a "kind" or "status": name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "AgencyKindEnum": "accounts.models.Agency.Kind",
        "ForumKindEnum": "forums.models.ForumKind",
        "AgendaItemKindEnum": "coordination.models.AgendaItem.Kind",
        "PersonStatusEnum": "persons.models.FocusPerson.Status",
        "SessionStatusEnum": "coordination.models.ForumSession.Status",
        "ActionStatusEnum": "coordination.models.PlanAction.Status",
    },
    # The error responses of api.md on every operation (core/schema.py), after the enum hook.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.document_errors",
    ],
}

# --- Background work (config/celery.py holds the fixed task policy) ------------------------

CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default=REDIS_URL)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # `make run`: kombu's server-less transport, one folder shared by web and worker.
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Must exceed the longest task (incl. its ETA): Redis redelivers unacked messages after it.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }

# --- Logging: no request bodies, no personal data ---------------------------------------------

# One line per request (core.logs: route, status, duration, user id, request id; never the
# path's query string), the request id on every line. JSON for log collectors in production.
LOG_FORMAT: str = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    _refuse("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # runserver's own access line repeats the request line with the full path and query.
        "django.server": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}

# --- Domain ---------------------------------------------------------------------------------

# How long a revealed identity stays visible to the user who revealed it.
IDENTITY_REVEAL_MINUTES = env.int("IDENTITY_REVEAL_MINUTES", default=30)
# A per-person grant (read access for one user outside the forum) lasts at most this long.
PERSON_GRANT_MAX_DAYS = env.int("PERSON_GRANT_MAX_DAYS", default=90)
# Reminders of plan actions (coordination.reminders): days before the due date, days overdue
# before the chair is told, and the daily sweep's time (Europe/Copenhagen).
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=3)
REMINDER_ESCALATE_AFTER_DAYS = env.int("REMINDER_ESCALATE_AFTER_DAYS", default=3)
# Cron fields, so "*" (every hour/minute) is possible for demos and tests.
REMINDER_SWEEP_HOUR: str = env.str("REMINDER_SWEEP_HOUR", default="7")
REMINDER_SWEEP_MINUTE: str = env.str("REMINDER_SWEEP_MINUTE", default="0")
# Council statistics (councils.statistics): counts from 1 to STATISTICS_MIN_COUNT - 1 are
# hidden ("<5"); periods are released from STATISTICS_FIRST_YEAR (default: three years back).
STATISTICS_MIN_COUNT = env.int("STATISTICS_MIN_COUNT", default=5)
STATISTICS_FIRST_YEAR: int | None = env.int("STATISTICS_FIRST_YEAR", default=None)
# How long an invited guest keeps access to their agenda item after the session day.
GUEST_ACCESS_DAYS = env.int("GUEST_ACCESS_DAYS", default=7)
# Retention (persons.retention, README "Retention and deletion"). A case file is due for
# deletion RETENTION_CLOSED_GRACE_DAYS after it was closed, or after RETENTION_INACTIVITY_DAYS
# without activity and with no open plan action; per forum kind in RETENTION_BY_KIND
# ("kind=inactivity_days/closed_grace_days,...", e.g. "ksp=540/30"). Coordinators see what is
# due RETENTION_NOTICE_DAYS ahead and may extend a case file once by RETENTION_EXTENSION_DAYS.
RETENTION_INACTIVITY_DAYS = env.int("RETENTION_INACTIVITY_DAYS", default=365)
RETENTION_CLOSED_GRACE_DAYS = env.int("RETENTION_CLOSED_GRACE_DAYS", default=30)
RETENTION_BY_KIND: str = env.str("RETENTION_BY_KIND", default="")
RETENTION_NOTICE_DAYS = env.int("RETENTION_NOTICE_DAYS", default=30)
RETENTION_EXTENSION_DAYS = env.int("RETENTION_EXTENSION_DAYS", default=183)
# Access events are kept this long (domain.md: 6 months); disclosures as long as the data they
# describe plus this period.
AUDIT_ACCESS_RETENTION_DAYS = env.int("AUDIT_ACCESS_RETENTION_DAYS", default=183)
# Reads are chained this often (beat); an access event older than AUDIT_PENDING_ALARM_SECONDS
# still waiting for its place makes audit_verify and the DPO's verification page say so.
AUDIT_SEQUENCE_SECONDS = env.float("AUDIT_SEQUENCE_SECONDS", default=2.0)
AUDIT_PENDING_ALARM_SECONDS = env.int("AUDIT_PENDING_ALARM_SECONDS", default=300)
# Absolute address of the site, for links in emails (which carry a pseudonym and a link only).
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")


def _dpo_municipalities(name: str) -> dict[str, frozenset[str]]:
    """``email=code,code;email=*`` -> {email: codes}; "*" means every municipality."""
    try:
        raw: dict[str, list[str]] = env.dict(name, cast={"value": list}, default={})
    except (IndexError, ValueError):
        _refuse(f"{name} must read email=code,code;email=* (e.g. dpo@ssp.dk=101,147).")
    parsed: dict[str, frozenset[str]] = {}
    for email, codes in raw.items():
        cleaned = frozenset(code.strip() for code in codes if code.strip())
        if "@" not in email or not cleaned or not all(c == "*" or c.isdigit() for c in cleaned):
            _refuse(f"{name}: {email.strip()!r} needs an email and municipality codes or *.")
        parsed[email.strip().lower()] = cleaned
    return parsed


# A DPO sees the audit records of their own agency's municipality (audit.selectors.Scope).
# A DPO shared by several municipalities is named here with the extra municipality codes,
# or "*" for all of them: "dpo@ssp-fælles.dk=101,147;revisor@kl.dk=*".
AUDIT_DPO_MUNICIPALITIES = _dpo_municipalities("AUDIT_DPO_MUNICIPALITIES")
