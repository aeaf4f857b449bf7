"""Django settings, read from the environment (see zhujian.config and docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import dj_database_url

from zhujian import config

BASE_DIR = Path(__file__).resolve().parent
MODE = config.mode()
DEMO_MODE = MODE == config.DEMO
DATA_DIR = config.data_dir()

_secrets = config.demo_secrets(DATA_DIR) if DEMO_MODE else config.production_secrets()
SECRET_KEY: str = str(_secrets["secret_key"])
# SM4 field-encryption keys by id; the current one encrypts, all of them decrypt (rotation).
FIELD_ENCRYPTION_KEYS: dict[str, str] = dict(cast(dict[str, str], _secrets["field_keys"]))
FIELD_ENCRYPTION_CURRENT_KEY: str = str(_secrets["field_key_current"])
BLIND_INDEX_KEY: str = str(_secrets["index_key"])

DEBUG = config.env_bool("ZHUJIAN_DEBUG", False)
ALLOWED_HOSTS = config.env_list(
    "ZHUJIAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEMO_MODE else []
)
CSRF_TRUSTED_ORIGINS = config.env_list("ZHUJIAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "ninja",  # only for its bundled Swagger UI files: the API docs page needs no CDN
    "zhujian.core",
    "zhujian.audit",
    "zhujian.reference",
    "zhujian.accounts",
    "zhujian.notify",
    "zhujian.registry",
    "zhujian.demo",
]

MIDDLEWARE = [
    # 413 before anything reads an oversized body (declared or streamed).
    "zhujian.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Idle and absolute time-outs before authentication: an expired session is anonymous.
    "zhujian.accounts.sessions.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Confinements, in order: owe a second factor → MFA pages only; expired password → change page only.
    "zhujian.accounts.mfa.MfaMiddleware",
    "zhujian.accounts.middleware.PasswordExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhujian.core.middleware.RequestContextMiddleware",
    "zhujian.audit.middleware.AuditFlushMiddleware",
    "zhujian.core.web.DomainErrorMiddleware",
]

ROOT_URLCONF = "zhujian.urls"
WSGI_APPLICATION = "zhujian.wsgi.application"

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
                "zhujian.context.platform",
            ],
        },
    },
]


def _database(url: str) -> dict[str, object]:
    db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL + IMMEDIATE transactions + a busy timeout let web, worker and ingest share the file;
        # IMMEDIATE also serialises audit appends (DESIGN.md, Audit).
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
            ),
        }
    else:
        db["CONN_MAX_AGE"] = config.env_int("ZHUJIAN_DB_CONN_MAX_AGE", 60)
        db["CONN_HEALTH_CHECKS"] = True
    return db


DATABASE_URL = config.env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'zhujian.sqlite3'}"
DATABASES = {"default": _database(DATABASE_URL)}
# --- audit retention and the owner connection (issue 3) ---
# Production on PostgreSQL: DATABASE_URL is the application role (does not own the tables);
# ZHUJIAN_OWNER_DATABASE_URL the owner, used for `zhujian migrate --database owner` and the audit
# purge (docs/deployment.md). Unset: the default connection is the owner (demo, tests).
_OWNER_DATABASE_URL = config.env_str("ZHUJIAN_OWNER_DATABASE_URL")
if _OWNER_DATABASE_URL:
    DATABASES["owner"] = {**_database(_OWNER_DATABASE_URL), "TEST": {"MIRROR": "default"}}
# 网络安全法 Art. 23: logs kept at least six months; start-up refuses less (audit.retention).
from zhujian.audit.retention import validated_days as _audit_retention_days  # noqa: E402

ZHUJIAN_AUDIT_RETENTION_DAYS = _audit_retention_days(config.env_int("ZHUJIAN_AUDIT_RETENTION_DAYS", 365))
# --- end audit retention ---
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zhujian.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shell:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# --- passwords and login (issue 3) ---
# argon2 first; PBKDF2 stays so older hashes still verify and are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# Policy profile: "dengbao" (等保, default) or "asvs" (OWASP ASVS); decision 0010.
ZHUJIAN_PASSWORD_POLICY = config.env_str("ZHUJIAN_PASSWORD_POLICY", "dengbao").lower()
if ZHUJIAN_PASSWORD_POLICY not in {"dengbao", "asvs"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"ZHUJIAN_PASSWORD_POLICY must be 'dengbao' or 'asvs', got {ZHUJIAN_PASSWORD_POLICY!r}"
    )
ZHUJIAN_PASSWORD_MAX_AGE_DAYS = config.env_int("ZHUJIAN_PASSWORD_MAX_AGE_DAYS", 90)  # dengbao only
ZHUJIAN_PASSWORD_HISTORY = config.env_int("ZHUJIAN_PASSWORD_HISTORY", 5)
AUTH_PASSWORD_VALIDATORS = [{"NAME": "zhujian.accounts.passwords.PolicyValidator"}]
# Lockout: per username (existing or not) and per client address, within one window.
ZHUJIAN_LOCKOUT_FAILURES = config.env_int("ZHUJIAN_LOCKOUT_FAILURES", 5)
ZHUJIAN_LOCKOUT_ADDRESS_FAILURES = config.env_int("ZHUJIAN_LOCKOUT_ADDRESS_FAILURES", 20)
ZHUJIAN_LOCKOUT_MINUTES = config.env_int("ZHUJIAN_LOCKOUT_MINUTES", 30)
# Proxies whose X-Forwarded-For is believed (IPs or CIDRs); empty: REMOTE_ADDR only.
ZHUJIAN_TRUSTED_PROXIES = config.env_list("ZHUJIAN_TRUSTED_PROXIES", [])
# --- two factors and sessions (issue 3; accounts.mfa, accounts.sessions) ---
# Sessions live in the database so that logout and disabling a user delete them server-side.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
ZHUJIAN_SESSION_IDLE_MINUTES = config.env_int("ZHUJIAN_SESSION_IDLE_MINUTES", 15)
ZHUJIAN_SESSION_MAX_HOURS = config.env_int("ZHUJIAN_SESSION_MAX_HOURS", 8)
# --- end two factors and sessions ---
# --- end passwords and login (issue 3) ---

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEMO_MODE
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root

# Bodies above this are answered 413 before anything reads them (core.middleware).
MAX_REQUEST_BODY_BYTES = config.env_int("ZHUJIAN_MAX_BODY_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = ZHUJIAN_SESSION_MAX_HOURS * 60 * 60
SESSION_COOKIE_SECURE = not DEMO_MODE
CSRF_COOKIE_SECURE = not DEMO_MODE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.env_str("ZHUJIAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- headers and transport (issue 3) ---
# CSP via django-csp 4 (dict format). No inline script or style anywhere: htmx is configured without
# eval and without injected indicator styles (templates/base.html), our JS is a file (static/zhujian).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_HSTS_SECONDS = 0 if DEMO_MODE else config.env_int("ZHUJIAN_HSTS_SECONDS", 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = not DEMO_MODE and config.env_bool("ZHUJIAN_HSTS_PRELOAD", True)
# On in production (a benchmark over plain HTTP turns it off), off in demo.
SECURE_SSL_REDIRECT = config.env_bool("ZHUJIAN_SSL_REDIRECT", not DEMO_MODE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes over plain HTTP
if config.env_bool("ZHUJIAN_TLS_PROXY", False):  # TLS ends at nginx, which sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- uploads (issue 3) ---
# Multipart bodies (file uploads) may be larger than other bodies; both are capped by counting
# bytes in core.middleware.BodySizeLimitMiddleware, declared or not.
MAX_UPLOAD_BODY_BYTES = config.env_int("ZHUJIAN_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
