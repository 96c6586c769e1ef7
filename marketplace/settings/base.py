"""Settings shared by every environment; the only module that reads the environment."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env(
    "SECRET_KEY", default="insecure-development-key-change-me-in-production-0123456789"
)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "marketplace.apps.MarketplaceConfig",
    "workforce.apps.WorkforceConfig",
    "jobs.apps.JobsConfig",
    "payments.apps.PaymentsConfig",
    "notifications.apps.NotificationsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/groundwork"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Immediate transactions take the write lock at BEGIN, so concurrent writers queue
    # instead of failing with "database is locked" halfway through a service.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "marketplace.User"
AUTHENTICATION_BACKENDS = [
    "marketplace.backends.ModelBackend",
    "marketplace.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Storage: the local filesystem by default; S3-compatible storage when STORAGE_BACKEND=s3.
STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
        },
    }

# Storage prefixes any organization's manifest may reference (besides its own jobs/<id>/
# folders); empty in production, "demo/" for the demo data.
TASK_DATA_SHARED_PREFIXES = env.list("TASK_DATA_SHARED_PREFIXES", default=[])

# Email: EMAIL_URL such as smtp+tls://user:password@host:587 or consolemail://.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Groundwork <noreply@groundwork.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Cache: Redis (throttling counters and a copy of each session live here).
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {"default": env.cache("CACHE_URL", default=REDIS_URL)}
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="groundwork")
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "marketplace.cache.SharedClientRedisCache"
# Sessions are stored in the database and read through the cache: a request reads its
# session from Redis, not with a query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Celery on Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Periodic work; later issues add payouts, webhook retries, ... Each entry expires before
# its next run, so a backlog never piles up copies of the same sweep.
CELERY_BEAT_SCHEDULE: dict = {
    "jobs-expire-assignment-leases": {
        "task": "jobs.assignments_expire_leases",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "jobs-auto-approve-assignments": {
        "task": "jobs.assignments_auto_approve",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "jobs-expire-hits": {
        "task": "jobs.hits_expire",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "jobs-finish-expired-jobs": {
        "task": "jobs.jobs_finish_expired",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "jobs-settle-waiting-objects": {
        "task": "jobs.waiting_objects_settle",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "workforce-refresh-system-qualifications": {
        "task": "workforce.system_qualifications_refresh",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "workforce-refresh-top-workers": {
        "task": "workforce.top_workers_refresh",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "notifications-retry-webhook-deliveries": {
        "task": "notifications.webhook_deliveries_retry_due",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "payments-reconcile-ledger": {
        "task": "payments.ledger_reconcile",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "payments-release-earnings": {
        "task": "payments.earnings_release_due",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    "payments-settle-ended-job-holds": {
        "task": "payments.job_holds_settle",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    "payments-process-stripe-events": {
        "task": "payments.stripe_events_process_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "payments-prune-stripe-events": {
        "task": "payments.stripe_events_prune",
        "schedule": 86400.0,
        "options": {"expires": 86000},
    },
}

# Consolidation (docs/consolidation.md): a job-wide refit every this many labeled objects
# (0: only when the job ends), writing labels back in chunks of this many objects.
REFIT_EVERY_OBJECTS = env.int("REFIT_EVERY_OBJECTS", default=200)
REFIT_SHARE = env.float("REFIT_SHARE", default=0.05)
REFIT_CHUNK_OBJECTS = env.int("REFIT_CHUNK_OBJECTS", default=2_000)
REFIT_SOFT_TIME_LIMIT = env.int("REFIT_SOFT_TIME_LIMIT", default=1_800)

# Webhooks are never delivered to loopback, private, link-local, multicast or reserved
# addresses, except to the hosts or IP addresses listed here (comma-separated). Leave it
# empty in production; tests list 127.0.0.1 to reach a receiver of their own.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])

# Stripe (docs/payments.md): keys from the environment, never from code. Without a secret
# key, top-ups and payouts use the manual provider (staff records them).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # e.g. a localstripe URL in tests
# Where the checkout page loads Stripe.js from (localstripe serves a stand-in).
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Stripe redelivers an event for up to three days, so its id is kept at least that long.
STRIPE_EVENT_RETENTION_DAYS = max(3, env.int("STRIPE_EVENT_RETENTION_DAYS", default=30))


def _decimal(name: str, *, default: str):
    from decimal import Decimal

    return Decimal(env.str(name, default=default))


# Pricing and fees (docs/payments.md), Mechanical Turk's schedule by default: a percentage
# of each reward and bonus, more for HITs with many assignments, a minimum per assignment
# or bonus, rounded half up to the cent. Vendors keep their listing price less a commission.
PAYMENTS_FEE_PERCENT = _decimal("PAYMENTS_FEE_PERCENT", default="20")
PAYMENTS_LARGE_HIT_FEE_PERCENT = _decimal("PAYMENTS_LARGE_HIT_FEE_PERCENT", default="20")
PAYMENTS_LARGE_HIT_ASSIGNMENTS = env.int("PAYMENTS_LARGE_HIT_ASSIGNMENTS", default=10)
PAYMENTS_MIN_FEE = _decimal("PAYMENTS_MIN_FEE", default="0.01")
PAYMENTS_VENDOR_FEE_PERCENT = _decimal("PAYMENTS_VENDOR_FEE_PERCENT", default="20")
# Earnings wait this long in the worker's pending balance before they can be paid out.
PAYMENTS_EARNINGS_HOLD_SECONDS = env.int("PAYMENTS_EARNINGS_HOLD_SECONDS", default=3 * 24 * 3600)
PAYMENTS_MIN_PAYOUT = _decimal("PAYMENTS_MIN_PAYOUT", default="1.00")
# Each platform account (fee revenue, clearing, ...) is this many rows (payments.shards).
PAYMENTS_PLATFORM_ACCOUNT_SHARDS = env.int("PAYMENTS_PLATFORM_ACCOUNT_SHARDS", default=16)
PAYMENTS_MIN_TOP_UP = _decimal("PAYMENTS_MIN_TOP_UP", default="1.00")
PAYMENTS_MAX_TOP_UP = _decimal("PAYMENTS_MAX_TOP_UP", default="100000.00")

# django-allauth: the email is the login; verification is mandatory.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Groundwork] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_ADAPTER = "marketplace.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Groundwork"

# Django REST framework.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["marketplace.api.throttling.UserAndAddressThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("THROTTLE_USER_RATE", default="1200/min"),
        "ip": env("THROTTLE_IP_RATE", default="600/min"),
    },
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    # Proxies in front of the app; the client IP for throttling is read past this many.
    # 0 means X-Forwarded-For is ignored (a client could forge it).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groundwork API",
    "DESCRIPTION": "Self-hosted crowdsourcing marketplace for data labeling.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.api.serializers.refuse_unknown_request_fields",
    ],
}

# Groundwork's own knobs.
INVITATION_LIFETIME = timedelta(days=env.int("INVITATION_LIFETIME_DAYS", default=7))
API_MAX_PAGE_SIZE = 200

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Top-ups and refunds (docs/payments.md): the currencies an organization may prepay in;
# PAYMENTS_MIN_TOP_UP and PAYMENTS_MAX_TOP_UP apply in each. Refunds that Stripe could
# not be reached for are sent again by this beat entry.
PAYMENTS_CURRENCIES = env.list("PAYMENTS_CURRENCIES", default=["USD"])
CELERY_BEAT_SCHEDULE["payments-submit-pending-refunds"] = {
    "task": "payments.refunds_submit_due",
    "schedule": 300.0,
    "options": {"expires": 290},
}

# Earnings release (docs/payments.md): the beat sweep looks this many days back past the
# hold for unreleased rewards and bonuses (earnings_release_due(full_scan=True) catches up
# after a longer outage).
PAYMENTS_EARNINGS_RELEASE_LOOKBACK_DAYS = env.int(
    "PAYMENTS_EARNINGS_RELEASE_LOOKBACK_DAYS", default=30
)
# Stripe payouts whose transfer task was lost (broker down at enqueue) are sent again by the
# beat sweep payments.payout_transfers_due once they are this old.
PAYMENTS_PAYOUT_TRANSFER_RETRY_SECONDS = env.int(
    "PAYMENTS_PAYOUT_TRANSFER_RETRY_SECONDS", default=15 * 60
)
CELERY_BEAT_SCHEDULE["payments-send-due-payout-transfers"] = {
    "task": "payments.payout_transfers_due",
    "schedule": 900.0,
    "options": {"expires": 890},
}
