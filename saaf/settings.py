"""Settings for the SAAF portal, read from environment variables.

With nothing set the portal runs on an embedded default: SQLite, Celery tasks
eager in-process, a local-memory cache and e-mail printed to the console.
`DATABASE_URL` switches to PostgreSQL and `REDIS_URL` to a real Celery broker
and a shared cache. `DJANGO_DEBUG=0` is production mode, which refuses to start
without a real secret key and allowed hosts.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Mode and secrets --------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)
# Only the embedded default may fall back to this key; production refuses it.
_DEVELOPMENT_SECRET_KEY = "development-only-not-secret-saaf-portal-key-0123456789abcdef"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    if SECRET_KEY == _DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "Production mode (DJANGO_DEBUG off) needs DJANGO_SECRET_KEY: a random value of at "
            "least 50 characters, not the development key."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production mode (DJANGO_DEBUG off) needs DJANGO_ALLOWED_HOSTS, e.g. "
            "'saaf.example.nhs.uk'."
        )

# --- Applications ------------------------------------------------------------

INSTALLED_APPS = [
    # First, so its management commands replace Django's (createsuperuser
    # refuses and points at create_user; the first app listed wins).
    "organisations",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "assurance",
    "reviews",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # (production inserts WhiteNoise here: see "Static files")
    # One log line per request (user id, status, time): outermost of our own.
    "saaf.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy with a per-request nonce (see "Security headers").
    "csp.middleware.CSPMiddleware",
    # Permissions-Policy; Cache-Control: no-store for everything signed in.
    "saaf.middleware.SecurityHeadersMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "organisations.middleware.RequireMultiFactorMiddleware",
    # Puts the client address and browser aside for the audit events of the request.
    "organisations.audit.AuditContextMiddleware",
]

ROOT_URLCONF = "saaf.urls"
WSGI_APPLICATION = "saaf.wsgi.application"

# Portal pages are Jinja2, built from NHS England's nhsuk-frontend-jinja macros
# (templates/jinja2/ and each app's jinja2/). allauth's pages and the Django
# admin stay on Django templates (templates/).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "saaf.jinja2.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the register's and heatmaps' national aggregates
    # are costed above PostgreSQL's JIT threshold at ten times England, and
    # compiling took ~20 ms of a ~120 ms query, every time (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery -----------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "saaf",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded default has no broker: tasks run in-process, at once.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
# A crashed worker's task is redelivered, so every task must be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Below Redis's one-hour visibility timeout, so a slow task is not delivered twice.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# The schedule lives here, in Celery's own beat_schedule, rather than in
# django-celery-beat's tables: it is code, reviewed and tested with the tasks
# it runs (tests/organisations/test_tasks.py), with no database rows that an
# admin page could change outside the audited services. docker-compose.yml
# runs exactly one `celery -A saaf beat`; later issues add their entries here.
CELERY_BEAT_SCHEDULE = {
    "purge-expired-sessions": {
        "task": "organisations.sessions_purge",
        "schedule": crontab(hour=3, minute=15),  # daily, Europe/London
    },
    # Deadline reminders for quarterly returns (assurance.reminders): every
    # morning at 07:00 London time, GMT or BST.
    "return-deadline-reminders": {
        "task": "assurance.return_reminders_send",
        "schedule": crontab(hour=7, minute=0),
    },
}

# --- Users and sign-in -------------------------------------------------------

AUTH_USER_MODEL = "organisations.User"
# allauth's backend only (it extends ModelBackend for permissions): every
# password goes through allauth's forms, their rate limits and the MFA stage.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Where the portal is reached, for links in emails.
SAAF_BASE_URL = os.environ.get("SAAF_BASE_URL", "http://localhost:8000")
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: email and password, no public sign-up (users are created by
# the national admin or by command), TOTP with recovery codes.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "organisations.adapters.AccountAdapter"
# Refuses to remove MFA from a role that needs it; audits ending other sessions.
MFA_ADAPTER = "organisations.adapters.MFAAdapter"
USERSESSIONS_ADAPTER = "organisations.adapters.UserSessionsAdapter"
# No "Remember me": every session ends after the idle time below, and when the
# browser closes.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins per user and per address (cache-backed: needs a real cache).
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SAAF portal"
MFA_RECOVERY_CODE_COUNT = 10
USERSESSIONS_TRACK_ACTIVITY = True

# --- MFA secrets at rest -----------------------------------------------------

# TOTP secrets and recovery-code seeds are encrypted in the database
# (organisations/mfa_secrets.py) with Fernet keys from SAAF_MFA_ENCRYPTION_KEY:
# comma-separated, the first encrypts, all decrypt (for rotation). Make one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
# (The adapter is MFA_ADAPTER above: organisations.adapters.MFAAdapter.)
# Only the embedded default may fall back to this key; production refuses it.
_DEVELOPMENT_MFA_KEY = "-VocJlTn3e6Jv0XER4cJxE3_CAEQf7ZTXHzWBqZIvEE="
SAAF_MFA_ENCRYPTION_KEYS = env_list(
    "SAAF_MFA_ENCRYPTION_KEY", _DEVELOPMENT_MFA_KEY if DEBUG else ""
)
if not DEBUG and (not SAAF_MFA_ENCRYPTION_KEYS or _DEVELOPMENT_MFA_KEY in SAAF_MFA_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "Production mode (DJANGO_DEBUG off) needs SAAF_MFA_ENCRYPTION_KEY: a Fernet key, not "
        'the development key. Make one with: python -c "from cryptography.fernet import '
        'Fernet; print(Fernet.generate_key().decode())"'
    )
for _key in SAAF_MFA_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "SAAF_MFA_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe "
            "base64-encoded bytes)."
        ) from None

# Sessions end after 30 minutes without activity, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SAAF_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# --- Behind the TLS proxy ------------------------------------------------------

# How many proxies in front of the portal append to X-Forwarded-For (1 for the
# TLS proxy in front of gunicorn). allauth's rate limits and the audit trail's
# client address take the address that many entries from the right, which the
# client cannot forge; 0 (the default) uses the connection's own address.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT", "0"))
# Only if the proxy rewrites Host and passes the original in X-Forwarded-Host.
USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", False)

# --- Security headers ------------------------------------------------------------

# Content-Security-Policy (django-csp 4): our own scripts, styles, fonts and
# images only; inline scripts only with the request's nonce (the NHS.UK
# templates' `cspNonce`, `request.csp_nonce` in allauth's). `data:` images for
# allauth's TOTP QR code; the one style attribute allauth's image element
# carries is allowed by its hash, no other.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-5C3FvuMrm8vu7H3irhmsnB9lZ/l9yiLrVnornkhCb2U='",  # max-width: 250px;
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Safeguarding rules ---------------------------------------------------------

# Designated and named professionals must have had documented supervision
# within this many months (SAAF; the national team may change it).
SAAF_SUPERVISION_INTERVAL_MONTHS = int(os.environ.get("SAAF_SUPERVISION_INTERVAL_MONTHS", "3"))

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files and e-mail -------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Production serves static files itself (WhiteNoise, in the middleware) from
# `collectstatic`'s output: compressed, with hashed names cached for a year.
# Development and tests use the plain storage (no manifest to build), served
# by runserver and the test server.
if not DEBUG:
    # Right after SecurityMiddleware: before anything that reads the session.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
# Source maps (the API docs' bundles carry 6 MB of them) are served as they
# are: compressing them doubled collectstatic's time for files nobody needs fast.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Evidence files: stored under random names and never served from a public URL
# (no MEDIA_URL route): a download view checks the reader's scope first.
MEDIA_ROOT = Path(os.environ.get("SAAF_MEDIA_ROOT") or BASE_DIR / "media")

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "saaf-portal@localhost")
# The file backend writes each message to a file in this folder, so the mail a
# worker sends can be read without a mail server (the real-worker tests do).
EMAIL_FILE_PATH = os.environ.get("SAAF_EMAIL_FILE_PATH", "")
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend" and not EMAIL_FILE_PATH:
    raise ImproperlyConfigured(
        "The file e-mail backend needs SAAF_EMAIL_FILE_PATH: the folder it writes messages to."
    )

# --- API ---------------------------------------------------------------------

# The REST API under /api/v1/ (saaf/api_urls.py): a machine token
# (django-rest-knox, hashed, expiring) or the browser's session with CSRF;
# errors as problem details (saaf/api_errors.py); throttled per token on the
# cache.
API_RATE_PER_MINUTE = int(os.environ.get("SAAF_API_RATE", "600"))  # per token or user
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its "Bearer" challenge is what a 401 offers.
        "organisations.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "saaf.api.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["saaf.api.ApiClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": f"{API_RATE_PER_MINUTE}/min"},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # No OPTIONS self-description: the OpenAPI schema is the description.
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "saaf.api_errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_PREFIX": "saaf_",
    "AUTO_REFRESH": False,
}
KNOX_TOKEN_MODEL = "organisations.ApiToken"  # noqa: S105 (a model name)
# knox's own migrations create its AuthToken table even though ApiToken
# replaces it; an unused table pointing at users would only block flushes.
MIGRATION_MODULES = {"knox": None}
SPECTACULAR_SETTINGS = {
    "TITLE": "SAAF portal API",
    "DESCRIPTION": (
        "The safeguarding assurance portal's data under the same rules as its pages: "
        "what you cannot see on a page is not found here (404), what your role may not "
        "do is refused (403) with the page's reason. Errors are RFC 9457 problem details "
        "(application/problem+json). Authenticate with an API token from your account "
        "page as `Authorization: Bearer <token>`; signed in to the portal, this page also calls "
        "the API with your session (writes carry the CSRF token)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Only the token is offered under "Authorize": the browser's session
    # (with its CSRF token) needs nothing typed, and is described above.
    "AUTHENTICATION_WHITELIST": ["organisations.api.authentication.ApiTokenAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "saaf.api.problem_media_type_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReturnStatusEnum": "assurance.models.ReturnStatus",
        "ActionStatusEnum": "assurance.models.ActionStatus",
        "ReviewKindEnum": "reviews.models.choices.ReviewKind",
        "OrganisationKindEnum": "organisations.choices.OrganisationKind",
        "HeatmapRowStateEnum": "assurance.heatmap.CellState",
        "ReturnStateEnum": "assurance.return_lists.ReturnState",
        "IcbRecordStateEnum": "assurance.api.heatmaps.RECORD_STATES",
        "ReportRunStateEnum": "reporting.models.RunState",
        "PublishStateEnum": "reporting.models.PublishState",
        "ReviewStageEnum": "reviews.models.choices.Stage",
        "ReviewActionStatusEnum": "reviews.models.choices.ActionStatus",
        "ReviewActionProgressEnum": "reviews.api.writes.OPEN_ACTION_STATUSES",
        "RegisterFindingKindEnum": "assurance.findings.FindingKind.LABELS",
    },
}

# --- Logging -----------------------------------------------------------------

# One line per request from saaf.middleware.RequestLogMiddleware ("saaf.request":
# method, URL pattern, status, time, user id). Refused and missing pages (4xx)
# are in that line; django.request logs only server errors (5xx, with their
# traceback), not a traceback for every 403.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "saaf.request": {"level": "INFO"},
    },
}
