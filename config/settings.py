"""Settings for the evidence curation service, read from environment variables.

Development defaults need nothing: SQLite and a filesystem Celery broker under ``var/``.
``DJANGO_ENV=production`` switches to a strict mode that refuses to start without a real
secret key and passes ``manage.py check --deploy``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development").lower() == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105


def weak_secret_key_reason(key: str) -> str | None:
    """Why ``key`` is not fit for production, or None. Length alone is not enough: a key of one
    repeated letter, or one that ``startproject`` generated for development, is guessable."""
    if key == _DEV_SECRET_KEY:
        return "is the development key"
    if key.startswith("django-insecure-"):
        return "starts with 'django-insecure-' (a key generated for development)"
    if len(key) < 50:
        return "is shorter than 50 characters"
    if len(set(key)) < 5:  # the threshold of Django's own check (security.W009)
        return "has fewer than 5 distinct characters"
    return None


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if PRODUCTION and (reason := weak_secret_key_reason(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY {reason if SECRET_KEY else 'is not set'}: DJANGO_ENV=production needs "
        "a random value of at least 50 characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ENV=production needs DJANGO_ALLOWED_HOSTS.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "evidence",
    "curation",
    "publishing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout noted during the login into its answer.
    "axes.middleware.AxesMiddleware",
]
# No "Revert" in the history admin: rows change only through curation.services (the admin's
# history pages also refuse POST themselves, see curation.admin.guards.ReadOnlyHistoryAdmin).
SIMPLE_HISTORY_REVERT_DISABLED = True
# History rows are read by record id (its own index), never by date across records: no
# history_date index for every approval and workflow step to write.
SIMPLE_HISTORY_DATE_INDEX = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides of the admin's templates (admin/base_site.html): they must be
        # found before django.contrib.admin's own, which comes first in INSTALLED_APPS.
        "DIRS": [BASE_DIR / "config" / "templates"],
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

# --- Database -------------------------------------------------------------------------------
# SQLite (default): WAL so the web server and the worker read while one writes, a busy
# timeout instead of "database is locked", and IMMEDIATE transactions so that every
# transaction that may write takes the write lock up front; that is also what serialises
# event appends on SQLite (see curation.eventstore).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging in ------------------------------------------------------------------------------
# django-axes first: it refuses a locked-out client before any password is checked. Then the
# project's backend: Django's own, plus the rule that production refuses demo accounts
# (curation.accounts; the same rule guards API tokens and `check --deploy`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "curation.accounts.AccountBackend",
]

# Failed-login lockout (django-axes), for the admin login and POST /api/v1/auth/token/ alike.
# Keyed by username and IP together: an attacker elsewhere cannot lock a user out, and one
# address cannot try many passwords on one account.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True  # a successful login forgets the earlier failures
# The lockout answer: the API's error shape under /api/, a page in the admin's look elsewhere.
AXES_LOCKOUT_CALLABLE = "curation.accounts.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

# API tokens (django-rest-knox): only a hash is stored, each login gets its own token, and it
# expires API_TOKEN_TTL_HOURS after it was issued; a password change revokes all of a user's
# tokens (curation.accounts). The header stays `Authorization: Token <token>`.
API_TOKEN_TTL_HOURS = float(os.environ.get("API_TOKEN_TTL_HOURS", "10"))
if API_TOKEN_TTL_HOURS <= 0:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be a positive number of hours.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,  # a token lives for the TTL from its login, however much it is used
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root

# Where published snapshots live (publishing app). One directory per snapshot sequence number.
SNAPSHOT_ROOT = Path(os.environ.get("SNAPSHOT_ROOT", VAR_DIR / "snapshots"))
# Or, for several machines: the alias in STORAGES (e.g. django-storages' S3Storage, added by a
# settings module of the deployment) that snapshots are published to, content-addressed; empty
# keeps SNAPSHOT_ROOT. See publishing/storage.py.
SNAPSHOT_STORAGE = os.environ.get("SNAPSHOT_STORAGE", "")
# The canonical base of the FHIR resources in snapshots: their ``url`` is
# <base>/<ResourceType>/<id>, and our identifiers' systems are under it. Changing it changes
# every FHIR file of the next snapshot.
FHIR_CANONICAL_BASE = os.environ.get("FHIR_CANONICAL_BASE", "http://127.0.0.1:8000/fhir/R5")

# --- Celery ---------------------------------------------------------------------------------
# Default broker: the filesystem transport in var/, so one machine needs no Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
        # Otherwise kombu creates a control/ folder in the current directory.
        "control_folder": str(_BROKER_DIR / "control"),
        # The worker looks for new messages this often (kombu's default, 1 s, would add up
        # to a second between an approval and its publication).
        "polling_interval": 0.1,
    }
else:
    # Short connect timeouts so that sending a task while the broker is down fails fast
    # instead of holding up the request that sent it (publishing's sweep catches up).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat writes its schedule file after every task it sends (the sweep, every few seconds):
# the file's age is how the beat healthcheck knows beat is alive (config.healthcheck).
CELERY_BEAT_SYNC_EVERY = 1
PUBLISH_SWEEP_SECONDS = float(os.environ.get("PUBLISH_SWEEP_SECONDS", "10"))
# Import batches (curation/imports/batches.py): a batch whose worker has not finished an item
# for IMPORT_BATCH_STALE_SECONDS is started again by the beat (its worker died, or the broker
# lost the task); items already done are skipped.
IMPORT_BATCH_RESUME_SECONDS = float(os.environ.get("IMPORT_BATCH_RESUME_SECONDS", "30"))
IMPORT_BATCH_STALE_SECONDS = float(os.environ.get("IMPORT_BATCH_STALE_SECONDS", "120"))
# A large batch is split into this many tasks (by record), for as many worker processes to
# import at once; a part holds at least 20 records.
IMPORT_BATCH_PARTS = max(1, int(os.environ.get("IMPORT_BATCH_PARTS", "4")))
# A part imports its records this many at a time, each chunk one transaction with a few
# statements for all of it (curation/imports/batch_chunks.py); a killed worker loses at most
# one chunk's work, which a rerun does again. 10 studies: as fast as 20 on the benchmark,
# with a quarter less memory per worker (a study's JSON is 0.2 to 0.5 MB).
IMPORT_BATCH_CHUNK = max(1, int(os.environ.get("IMPORT_BATCH_CHUNK", "10")))
CELERY_BEAT_SCHEDULE = {
    "publishing-sweep": {"task": "publishing.sweep", "schedule": PUBLISH_SWEEP_SECONDS},
    "import-batches-resume": {
        "task": "curation.resume_import_batches",
        "schedule": IMPORT_BATCH_RESUME_SECONDS,
    },
}
# Publishing (see publishing/services.py): build time limits and the SQLite lock lease.
PUBLISH_SOFT_TIME_LIMIT = int(os.environ.get("PUBLISH_SOFT_TIME_LIMIT", "600"))
PUBLISH_TIME_LIMIT = int(os.environ.get("PUBLISH_TIME_LIMIT", "660"))
PUBLISH_LEASE_SECONDS = float(os.environ.get("PUBLISH_LEASE_SECONDS", "120"))
# With a Redis broker, an approval sends a publish request only when none is pending (a flag
# in Redis, deleted by the worker as it starts): how long the flag lasts if no worker ever
# takes the request (publishing/pending.py).
PUBLISH_PENDING_SECONDS = int(os.environ.get("PUBLISH_PENDING_SECONDS", "60"))
PUBLISH_LATEST_MAX_AGE = int(os.environ.get("PUBLISH_LATEST_MAX_AGE", "10"))
# Large builds render pages in forked processes (0: one per CPU); small ones in-process.
PUBLISH_BUILD_PROCESSES = int(os.environ.get("PUBLISH_BUILD_PROCESSES", "0"))
PUBLISH_PARALLEL_THRESHOLD = int(os.environ.get("PUBLISH_PARALLEL_THRESHOLD", "400"))
PUBLISH_RENDER_GROUP_SIZE = int(os.environ.get("PUBLISH_RENDER_GROUP_SIZE", "250"))

# --- The reviewer's desk: notifications and due dates (curation.notifications) -------------
# Mail: in development written as files under var/mail/ (one per message, readable as they
# are); with EMAIL_HOST set, or in production, sent through SMTP.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Evidence curation <curation@localhost>")
# Where people reach this service: the links in the mail (to a request's admin page).
SITE_URL = os.environ.get(
    "SITE_URL",
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}",  # make run's server
).rstrip("/")
# A submitted request is due this many days after it was (last) submitted; overdue ones are
# flagged in the queue and listed in a daily digest to reviewers at OVERDUE_DIGEST_HOUR (UTC).
REVIEW_WINDOW_DAYS = float(os.environ.get("REVIEW_WINDOW_DAYS", "7"))
OVERDUE_DIGEST_HOUR = int(os.environ.get("OVERDUE_DIGEST_HOUR", "7"))
# The outbox: the beat sends what is pending this often; a mail that fails is tried again,
# backing off, NOTIFY_MAX_ATTEMPTS times in all.
NOTIFY_RETRY_SECONDS = float(os.environ.get("NOTIFY_RETRY_SECONDS", "30"))
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "10"))
CELERY_BEAT_SCHEDULE["notifications-send"] = {
    "task": "curation.send_notifications",
    "schedule": NOTIFY_RETRY_SECONDS,
}
CELERY_BEAT_SCHEDULE["notifications-overdue-digest"] = {
    "task": "curation.send_overdue_digest",
    "schedule": crontab(minute=0, hour=OVERDUE_DIGEST_HOUR),
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, as in the curation views: its WWW-Authenticate header makes a bad or
    # expired token a 401 everywhere (with the session first it was a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "curation.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # DRF's AnonRateThrottle and UserRateThrottle, checked in one Redis round trip.
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "600/min"),
        "user": os.environ.get("API_USER_RATE", "6000/min"),
    },
    # Every API error in one shape: {"error": {"code", "message", "errors", "fields"}}.
    "EXCEPTION_HANDLER": "curation.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Evidence curation API",
    "DESCRIPTION": "Reviewed clinical-trial evidence: records, change requests, events, snapshots.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # 3.1 is JSON Schema 2020-12, the dialect of the pydantic document schemas it embeds.
    "OAS_VERSION": "3.1.0",
    # Enum names first (drf-spectacular's own hook), then titles and 3.0's "nullable" out.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.clean_for_generators",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Change requests and snapshots both have a "status"; give each enum its own name.
    "ENUM_NAME_OVERRIDES": {
        "ChangeRequestStatusEnum": "curation.models.ChangeRequest.Status",
        "SnapshotStatusEnum": "publishing.models.Snapshot.Status",
        "ImportBatchKindEnum": "curation.models.ImportBatch.Kind",
        "ImportBatchStatusEnum": "curation.models.ImportBatch.Status",
    },
}
# Largest request body accepted (bytes). A trial document is a few kB, but its admin form
# posts every field of every result cell (value, raw text, spread, bounds, source...): a
# trial at the document's limits (20 arms, 200 outcomes) posts about 1.8 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", str(4 * 1024 * 1024)))
# That form's field count: a real trial of 8 arms and 40 outcomes sends some 8,600, one at the
# document's limits about 79,000, past Django's default of 1,000. The body size above bounds
# the work a request can cause, and the forms refuse more rows than a document may hold before
# building any (curation.admin.forms.limits).
DATA_UPLOAD_MAX_NUMBER_FIELDS = int(os.environ.get("MAX_REQUEST_FIELDS", "100000"))

# --- Imports from registries (curation.imports) ---------------------------------------------
# ClinicalTrials.gov's API v2: a study is GET {CTGOV_API_BASE}/studies/{NCT id}.
CTGOV_API_BASE = os.environ.get("CTGOV_API_BASE", "https://clinicaltrials.gov/api/v2").rstrip("/")
# PubMed's E-utilities efetch (references by PMID) and the DOI resolver (CSL-JSON by DOI).
PUBMED_EFETCH_URL = os.environ.get(
    "PUBMED_EFETCH_URL", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
)
DOI_RESOLVER_BASE = os.environ.get("DOI_RESOLVER_BASE", "https://doi.org").rstrip("/")
# Seconds to connect and to wait for each read; attempts in all (backoff doubles from 0.5 s).
IMPORT_FETCH_TIMEOUT = float(os.environ.get("IMPORT_FETCH_TIMEOUT", "10"))
IMPORT_FETCH_ATTEMPTS = int(os.environ.get("IMPORT_FETCH_ATTEMPTS", "3"))
IMPORT_FETCH_BACKOFF = float(os.environ.get("IMPORT_FETCH_BACKOFF", "0.5"))
# Largest source document read (a fetched study or an uploaded file); the API's body limit
# (MAX_REQUEST_BYTES) also bounds a study posted as JSON.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
# A batch file (a JSON array or zip of studies, a file of references); each record in it is
# still held to IMPORT_MAX_BYTES.
IMPORT_BATCH_MAX_BYTES = int(os.environ.get("IMPORT_BATCH_MAX_BYTES", str(512 * 1024 * 1024)))

# --- Caches: Redis when configured, so throttling and locks hold across processes ----------
# CACHE_KEY_PREFIX keeps servers that share one Redis apart (the reads benchmark's server must
# not fill the rate-limit windows of the developer's own server or tests).
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# API read pages (lists, the changes feed) are cached by the event-log position they reflect
# (evidence.api.caching): how long an entry is kept; 0 turns the cache off.
READ_CACHE_SECONDS = int(os.environ.get("READ_CACHE_SECONDS", "300"))

# --- Security: strict in production --------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp) on everything the application renders: the admin, the
# API and its docs. Scripts only from this origin (no inline script: the docs use
# drf-spectacular's split view, whose settings script is a separate file). Inline styles are
# allowed because the admin's templates (Django's and ours) and Swagger UI's page carry
# <style> blocks; styles cannot run code. Published snapshots set their own, stricter policy,
# and JSON files there none, so /published/ is left alone.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/published/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; failures and lockouts (WARNING) are what matter.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Demo accounts are a development convenience and are never created in production.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "curation-demo")
