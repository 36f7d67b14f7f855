"""PerfHub settings: one module, everything that differs between machines comes from the
environment (see README, "Settings"). With no DATABASE_URL the app runs on an SQLite file;
with no REDIS_URL background jobs run in-process."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from perfhub.redis_cache import PausingConnection

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and env.bool("PERFHUB_REQUIRE_SECRET", default=False):
        raise environ.ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 40  # noqa: S105 — dev/test only
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
# Fernet keys for secrets stored in the database (perfhub/secrets.py); the first encrypts.
PERFHUB_ENCRYPTION_KEYS = env.list("PERFHUB_ENCRYPTION_KEYS", default=[])

INSTALLED_APPS = [
    "perfhub.apps.PerfhubAdminConfig",  # django.contrib.admin, site seeing every tenant
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    # Single sign-on (accounts.sso): allauth's OAuth2/OpenID Connect flows only; its own
    # sign-up and account pages are not routed (perfhub.urls).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "perfhub",
    "departments",
    "metrics",
    "orgchart",
    "scorecards",
    "grades",
    "reviews",
    "discussions",
    "briefings",
    "messaging",
    "feeds",
    "devtools",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files go out without these two (they answer before).
    "perfhub.headers.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Inside authentication: it asks whether the request is signed in (DRF's token
    # authentication sets request.user by the time the answer comes back).
    "perfhub.headers.PrivateCacheControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A control character (NUL, …) in a page's query parameter: 400 naming it.
    "perfhub.query_strings.RefuseControlCharacters",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Required by allauth (single sign-on, accounts.sso).
    "allauth.account.middleware.AccountMiddleware",
    "perfhub.history.HistoryMiddleware",
    # Last: turns a sign-in refused for lockout into the page or JSON of perfhub.auth.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "perfhub.urls"
WSGI_APPLICATION = "perfhub.wsgi.application"

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
                "departments.context_processors.tenancy",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# DATABASE_URL is the role this process works as. On PostgreSQL that is the application role
# (neither superuser nor BYPASSRLS), subject to row-level security; migrations run with the
# owner's URL instead (`DATABASE_URL=$DATABASE_OWNER_URL manage.py migrate`), which then
# grants DATABASE_APP_ROLE its privileges (perfhub.rls). See docs/security.md, "Database roles".
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# One transaction per request: the organization resolved by departments.access is set for
# that transaction only (SET LOCAL), so it lives exactly as long as the request.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="perfhub_app")
# SQLite (the demo) has no NULLS NOT DISTINCT: the marks' one-row-per-grain constraint is
# PostgreSQL's, and metrics.services.recalc upserts them by hand there.
SILENCED_SYSTEM_CHECKS = [] if IS_POSTGRES else ["models.W047"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: its hook ends the user's API tokens and other sessions whenever a
    # password changes, by any path (accounts.passwords).
    {"NAME": "accounts.passwords.SignOutOnPasswordChange"},
]
# Database sessions that keep the user's id beside them: "sign out everywhere" is one query.
SESSION_ENGINE = "accounts.sessions"
# Password pages (accounts.views): requests per hour, counted in the cache.
PERFHUB_PASSWORD_RESET_RATE_ADDRESS = env.str("PERFHUB_PASSWORD_RESET_RATE_ADDRESS", "10/h")
PERFHUB_PASSWORD_RESET_RATE_EMAIL = env.str("PERFHUB_PASSWORD_RESET_RATE_EMAIL", "3/h")
PERFHUB_PASSWORD_CHANGE_RATE = env.str("PERFHUB_PASSWORD_CHANGE_RATE", "10/h")
# A reset link works once, for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=2 * 3600)
# Axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend refusing passwords where an organization switched them off.
    "accounts.backends.PasswordPolicyBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Chinese (Simplified)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates written "6 Dec 2026" (perfhub/formats/en/formats.py).
FORMAT_MODULE_PATH = ["perfhub.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# Uploads: a spreadsheet of 50,000 rows is ~2 MB; refuse anything far above that early.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# Larger uploaded files are streamed to a temporary file instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# The entry grid of a large organization posts three fields per KPI; the size limit above
# bounds the request anyway.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000
PERFHUB_MAX_UPLOAD_BYTES = env.int("PERFHUB_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# An upload with more data rows than this is imported by a background job (metrics.tasks).
PERFHUB_UPLOAD_INLINE_ROWS = env.int("PERFHUB_UPLOAD_INLINE_ROWS", default=2000)
# A background upload running (or still queued) this long lost its worker (or its publish):
# the sweeper fails it (or publishes it again).
PERFHUB_UPLOAD_STALE_SECONDS = env.int("PERFHUB_UPLOAD_STALE_SECONDS", default=900)
FILE_UPLOAD_HANDLERS = [
    "perfhub.uploads.RefuseOversizedUpload",  # an oversized file is never stored
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Sign-in lockout (django-axes; the browser form and POST /api/v1/auth/token/) ------
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Comma-separated; "username+ip_address" (the default) counts failures of one account from
# one address only: a stranger's guesses cannot lock a user out from their own address, nor
# lock out everyone behind the same office NAT. "username,ip_address" counts per account and
# per address, each locked on its own.
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part
    for part in env.list("AXES_LOCKOUT_PARAMETERS", default=["username+ip_address"])
]
# A second, higher limit per address, whatever the usernames tried (perfhub.auth.
# SignInAttempts): someone guessing across many accounts from one address is refused too.
# Whole offices sign in from one address, hence well above AXES_FAILURE_LIMIT; 0 turns it off.
PERFHUB_ADDRESS_FAILURE_LIMIT = env.int("PERFHUB_ADDRESS_FAILURE_LIMIT", default=50)
AXES_HANDLER = "perfhub.auth.SignInAttempts"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "perfhub.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "perfhub.auth.client_ip"
AXES_USERNAME_CALLABLE = "perfhub.auth.client_username"
# Proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR). Must be
# exact: too few and every client shares the proxy's address (one lockout for all), too many
# and a client can forge its address. docker-compose.yml sets 1 (its Caddy proxy).
PERFHUB_PROXY_COUNT = env.int("PERFHUB_PROXY_COUNT", default=0)
AXES_VERBOSE = False

# --- Single sign-on (accounts.sso; docs/sso.md) ------------------------------------------
# django-allauth runs the OAuth2 / OpenID Connect flows; each organization's client ids and
# secrets are rows of accounts.SignOnConfig, not allauth's per-site SocialApp.
SOCIALACCOUNT_ADAPTER = "accounts.sso.adapter.SignOnAdapter"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the start is a POST with the CSRF token
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("PERFHUB_SSO_TIMEOUT_SECONDS", default=10)
# The platforms' addresses; only tests (a local fake) or a private deployment change them.
PERFHUB_SSO_DINGTALK_LOGIN_URL = env.str(
    "PERFHUB_SSO_DINGTALK_LOGIN_URL", default="https://login.dingtalk.com"
)
PERFHUB_SSO_DINGTALK_API_URL = env.str(
    "PERFHUB_SSO_DINGTALK_API_URL", default="https://api.dingtalk.com"
)
PERFHUB_SSO_DINGTALK_OAPI_URL = env.str(
    "PERFHUB_SSO_DINGTALK_OAPI_URL", default="https://oapi.dingtalk.com"
)
PERFHUB_SSO_FEISHU_URL = env.str("PERFHUB_SSO_FEISHU_URL", default="https://open.feishu.cn")
PERFHUB_SSO_WECOM_LOGIN_URL = env.str(
    "PERFHUB_SSO_WECOM_LOGIN_URL", default="https://login.work.weixin.qq.com"
)
PERFHUB_SSO_WECOM_API_URL = env.str(
    "PERFHUB_SSO_WECOM_API_URL", default="https://qyapi.weixin.qq.com"
)
# Anonymous requests per client address to the sign-on pages (/sso/...), counted in the
# cache: they answer the same for a missing organization and one without sign-on.
PERFHUB_SSO_RATE_ADDRESS = env.str("PERFHUB_SSO_RATE_ADDRESS", default="100/h")

# --- Email -----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PerfHub <noreply@perfhub.local>")

# --- Message channels (messaging/: DingTalk, WeCom, Feishu robots) -----------------------
# The hosts a channel's webhook may point at, per platform (https only). Extra hosts
# (host or host:port, for every platform) are for a loopback test receiver or a proxy of
# your own; plain http is allowed only for those of them that are loopback addresses.
PERFHUB_CHANNEL_HOSTS = {
    "dingtalk": ["oapi.dingtalk.com"],
    "wecom": ["qyapi.weixin.qq.com"],
    "feishu": ["open.feishu.cn", "open.larksuite.com"],
}
PERFHUB_CHANNEL_EXTRA_HOSTS = env.list("PERFHUB_CHANNEL_EXTRA_HOSTS", default=[])
# One send waits at most this long (connect, read) for the platform.
PERFHUB_CHANNEL_TIMEOUT_SECONDS = env.float("PERFHUB_CHANNEL_TIMEOUT_SECONDS", default=10.0)
# Network errors and rate-limit answers are retried: base * 2^(attempt-1) seconds apart.
PERFHUB_CHANNEL_RETRY_BASE_SECONDS = env.float("PERFHUB_CHANNEL_RETRY_BASE_SECONDS", default=60.0)
PERFHUB_CHANNEL_MAX_ATTEMPTS = env.int("PERFHUB_CHANNEL_MAX_ATTEMPTS", default=5)

# Data feeds (feeds/, docs/feeds.md): connect and read timeouts (also the SQL statement
# timeout), the most rows and bytes a source may return, the retries of a source that is
# down (base * 2^(attempt-1) seconds apart), how long a run may stay "running" before the
# sweeper fails it, and how many changes a run lists.
PERFHUB_FEED_TIMEOUT_SECONDS = env.float("PERFHUB_FEED_TIMEOUT_SECONDS", default=30.0)
PERFHUB_FEED_MAX_ROWS = env.int("PERFHUB_FEED_MAX_ROWS", default=50_000)
PERFHUB_FEED_MAX_BYTES = env.int("PERFHUB_FEED_MAX_BYTES", default=20 * 1024 * 1024)
PERFHUB_FEED_RETRY_BASE_SECONDS = env.float("PERFHUB_FEED_RETRY_BASE_SECONDS", default=60.0)
PERFHUB_FEED_MAX_ATTEMPTS = env.int("PERFHUB_FEED_MAX_ATTEMPTS", default=4)
PERFHUB_FEED_STALE_SECONDS = env.int("PERFHUB_FEED_STALE_SECONDS", default=1800)
PERFHUB_FEED_CHANGES_SHOWN = env.int("PERFHUB_FEED_CHANGES_SHOWN", default=200)

# --- Redis and Celery ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Redis redelivers an unacknowledged task after this many seconds; above the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Scan for tasks of dead workers every 10 s (kombu's default scans every ~100 s).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A recalculation of many periods runs in this many parts at once, each on a database
# connection of its own (scorecards.rollup): 1 runs every recalculation in one transaction.
ROLLUP_WORKERS = env.int("PERFHUB_ROLLUP_WORKERS", default=2)
# A web request must never wait long for a broker that is down: publishing gives up fast
# and the periodic reconciliation job picks up whatever was marked in the database.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Whatever a down broker or a killed worker missed: marked periods are recalculated.
    "reconcile-pending": {
        "task": "reviews.reconcile_pending",
        "schedule": env.float("PERFHUB_RECONCILE_SECONDS", default=60.0),
    },
    # Uploads whose worker died or whose job was never published (metrics.tasks).
    "sweep-uploads": {
        "task": "metrics.sweep_uploads",
        "schedule": env.float("PERFHUB_UPLOAD_SWEEP_SECONDS", default=60.0),
    },
    # Reconciliation of every open period of every organization.
    "recalculate-open-periods": {
        "task": "reviews.recalculate_open_periods",
        "schedule": crontab(hour=2, minute=30),
    },
    # Entry reminders, overdue notices, HR's summary, weekly list of reviews waiting.
    "daily-notifications": {
        "task": "reviews.daily_notifications",
        "schedule": crontab(hour=8, minute=0),
    },
    # Channel messages whose publish was lost (broker down): sent again (messaging.tasks).
    "channels-resend-pending": {
        "task": "messaging.resend_pending",
        "schedule": env.float("PERFHUB_CHANNEL_SWEEP_SECONDS", default=300.0),
    },
    # Feed runs whose worker died or whose job was never published (feeds.tasks).
    "feeds-sweep-runs": {
        "task": "feeds.sweep_runs",
        "schedule": env.float("PERFHUB_FEED_SWEEP_SECONDS", default=60.0),
    },
    # The monthly briefing books of the organizations that asked for them (briefings.tasks).
    "briefings-send-scheduled": {
        "task": "briefings.send_scheduled",
        "schedule": crontab(hour=7, minute=30),
    },
}

# The company dashboard's rendered body, per organization data version (0: off).
PERFHUB_DASHBOARD_CACHE_SECONDS = env.int("PERFHUB_DASHBOARD_CACHE_SECONDS", default=600)

# The cache only saves work: with Redis down or hung, a read misses and a write is dropped
# (django-redis IGNORE_EXCEPTIONS, each failure logged on the "perfhub.cache" logger), so
# pages are computed instead of failing, and short timeouts keep a page from waiting long.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "perfhub.cache"


def redis_cache(url: str) -> dict:
    """The cache on Redis at `url`: errors ignored and logged, short timeouts, and a pause
    after a failed connection (perfhub.redis_cache)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CACHE_CONNECT_TIMEOUT", default=0.25),
            "SOCKET_TIMEOUT": env.float("REDIS_CACHE_TIMEOUT", default=0.25),
            "CONNECTION_POOL_KWARGS": {"connection_class": PausingConnection},
        },
    }


CACHES = {
    "default": (
        redis_cache(REDIS_URL)
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Invitations and rate limits --------------------------------------------------------
# An invitation link works this many days (departments.invitations).
PERFHUB_INVITATION_DAYS = env.int("PERFHUB_INVITATION_DAYS", default=7)
# Per signed-in user, counted in Django's cache by django-ratelimit (perfhub.ratelimits):
# "<count>/<s|m|h|d>". Pages and API share each count.
PERFHUB_RATE_LIMITS = {
    "organization_create": env.str("PERFHUB_RATE_ORGANIZATION_CREATE", default="10/h"),
    "invitation_create": env.str("PERFHUB_RATE_INVITATION_CREATE", default="50/h"),
}
RATELIMIT_USE_CACHE = "default"
# With the cache unreachable, these actions are allowed rather than refused (the limits
# guard against abuse; an outage of Redis must not stop an organization from working).
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)

# --- REST API ---------------------------------------------------------------------------
# API tokens (django-rest-knox with accounts.ApiToken): days valid when the client does not
# say, and the most it may ask for.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations create its default token table even when the model is swapped for
# ours: an unused table that would only hold a foreign key to users.
MIGRATION_MODULES = {"knox": None}
PERFHUB_TOKEN_DAYS = env.int("PERFHUB_TOKEN_DAYS", default=90)
PERFHUB_TOKEN_MAX_DAYS = env.int("PERFHUB_TOKEN_MAX_DAYS", default=365)
REST_KNOX = {"TOKEN_TTL": timedelta(days=PERFHUB_TOKEN_DAYS), "AUTO_REFRESH": False}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Token <key>`; keys stored as digests, with an expiry (accounts).
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "perfhub.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only: DRF's browsable HTML API renders forms from unscoped querysets (the
    # interactive documentation is /api/v1/docs/).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "perfhub.parsers.JSONParser",  # refuses deeply nested bodies with 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "perfhub.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PerfHub API",
    "DESCRIPTION": "Department KPIs, actuals, scorecards and reviews (SPEC §6).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "perfhub.api.error_responses_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "departments.models.Language",
        "PeriodKindEnum": "metrics.models.PeriodKind",
        "DepartmentKindEnum": "departments.models.DepartmentKind",
        "PeriodStatusEnum": "metrics.models.PeriodStatus",
        "ScoreStatusEnum": "scorecards.models.Status",
        "RunStateEnum": "scorecards.models.RecalculationRun.State",
        "ReviewStatusEnum": "reviews.models.ReviewStatus",
        "CalibrationStateEnum": "grades.models.CalibrationState",
        "AppealStateEnum": "grades.models.AppealState",
        "MemberRoleEnum": "departments.models.Role",
        "StepRoleEnum": "reviews.models.StepRole",
        "SignOffStatusEnum": "metrics.models.SignOff",
        "ActionStatusEnum": "scorecards.models.ActionStatus",
        "DirectionEnum": "metrics.models.Direction",
        "FeedbackDirectionEnum": "reviews.models.FeedbackDirection",
        "IdentityProviderEnum": "departments.models.IdentityProvider",
        "ChannelKindEnum": "messaging.models.ChannelKind",
        "NotificationKindEnum": "departments.models.NotificationKind",
        "DeliveryStatusEnum": "messaging.models.DeliveryStatus",
        "FeedKindEnum": "feeds.models.FeedKind",
        "FeedFileFormatEnum": "feeds.models.FileFormat",
        "FeedRunStateEnum": "feeds.models.FeedRun.State",
        "FeedRunTriggerEnum": "feeds.models.FeedRun.Trigger",
    },
}

# --- Security (production values; check --deploy passes with DEBUG off) ----------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp; perfhub.headers draws a nonce for every request).
# Scripts: our own files and tags carrying the request's nonce; no inline handlers, no eval.
# Styles: stylesheets from our own files (or a <style> with the nonce); style="" attributes
# are allowed because ECharts' SVG renderer writes each label's font as one, and an
# attribute cannot run script, read the page or reach another host (img-src, connect-src).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        # Bootstrap draws its select arrows and toggler icons as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every sign-in at INFO; lockouts and failures are WARNING.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
