"""Tværs settings, driven by environment variables (see the configuration table in README.md).

Every variable may also be given as ``NAME_FILE`` pointing at a file holding the value
(Docker/Kubernetes secrets). Development defaults exist only for DEBUG mode: with DEBUG off,
start-up stops with one line naming the first missing or unsafe setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django_stubs_ext
import environ

from config import keys

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.FileAwareEnv()

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

# Ed25519 seed that signs audit chain checkpoints (audit.services.checkpoint_record).
AUDIT_SIGNING_KEY: bytes = _parsed(
    "AUDIT_SIGNING_KEY", keys.decode_key, _secret("AUDIT_SIGNING_KEY", keys.DEV_AUDIT_SIGNING_KEY)
)

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
    "core",
    "accounts",
    "forums",
    "persons",
    "coordination",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "core.request_context.RequestContextMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# --- Accounts and security ------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors see nothing
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Shared office PCs: a session ends with the browser and after a working day at most.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
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
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
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

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

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
        "core.authentication.SessionAuthentication",
    ],
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
    # Several models have a "kind" or "status": name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "AgencyKindEnum": "accounts.models.Agency.Kind",
        "ForumKindEnum": "forums.models.ForumKind",
        "AgendaItemKindEnum": "coordination.models.AgendaItem.Kind",
        "PersonStatusEnum": "persons.models.FocusPerson.Status",
        "SessionStatusEnum": "coordination.models.ForumSession.Status",
        "ActionStatusEnum": "coordination.models.PlanAction.Status",
    },
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
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
# How long an invited guest keeps access to their agenda item after the session day.
GUEST_ACCESS_DAYS = env.int("GUEST_ACCESS_DAYS", default=7)
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
