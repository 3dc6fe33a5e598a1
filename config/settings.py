"""Settings for every environment, read from the environment (django-environ).

The defaults run the whole shop on one machine with nothing else installed:
SQLite, local media, console email, eager Celery, the dummy payment provider and a
local-memory cache. Setting DATABASE_URL, REDIS_URL, STRIPE_*, AWS_* or
SENDGRID_API_KEY switches each part to its real service. `.env.example` lists every
variable.
"""

import hashlib
import hmac
import ipaddress
import math
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import email_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present; real environment variables win.
# DJANGO_ENV_FILE names another file, or none when empty.
ENV_FILE = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production). "
            "For local development run `make run`, which turns DEBUG on."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [],
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.ShopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "axes",
    "django_countries",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "core",  # the kernel's commands: backup, restore
    "core.security.apps.SecurityConfig",
    "accounts",
    "notifications",
    "recommendations",
    "taxes",
    "shops",
    "shipping",
    "catalog",
    "promotions",
    "cart",
    "orders",
    "invoices",
    "payments",
    "returns",
]

MIDDLEWARE = [
    # Every request counted and timed, with its queries (core.metrics).
    "core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.logging.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "core.security.middleware.RequestBodyLimitMiddleware",
    "core.security.middleware.CSPMiddleware",  # django-csp's, policy built once
    "core.security.middleware.StripeCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Which database a request reads from (core.replicas); before anything reads.
    "core.replicas.ReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.i18n.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Turns a sign-in refused by the guard (accounts.signin) into its 429 answer.
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
                "cart.context_processors.cart",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quickstart's database serves concurrent writers: WAL lets readers go on while
    # one writes, IMMEDIATE takes the write lock when a transaction starts (no deadly
    # upgrade from a read lock), and a writer waits for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters sent apart from the statement (psycopg's server-side binding), and a
    # statement run five times on a connection prepared there (psycopg's prepared
    # statements, which Django leaves off): no quoting of every value into the SQL text,
    # no parsing and planning again. In the benchmark: 6 to 9% less CPU per checkout for
    # the binding, and a fifth less of PostgreSQL's for the preparing. Behind a
    # transaction-pooling PgBouncer older than 1.21 (or without max_prepared_statements),
    # turn it off.
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas (core.replicas): streaming replicas of the primary, comma-separated.
# Reads of the catalog and the reports go to a healthy one; writes, reads after a write
# (in the same request or task, and from the same browser or person for
# REPLICA_STICKY_SECONDS) and everything else go to the primary. A replica that cannot
# be reached or replays more than REPLICA_MAX_LAG_S behind is skipped.
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _alias = f"replica{_number}"
    _replica = env.db_url_config(_url)
    DATABASES[_alias] = {
        **_replica,
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        # A replica that went away is skipped after two seconds, not the OS's minutes
        # (the address's own options, sslmode say, kept).
        "OPTIONS": {
            **_replica.get("OPTIONS", {}),
            "connect_timeout": 2,
            **{
                name: value
                for name, value in DATABASES["default"].get("OPTIONS", {}).items()
                if name in ("server_side_binding", "prepare_threshold")
            },
        },
        # The tests read "replicas" from the primary's test database.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
REPLICA_MAX_LAG_S = env.float("REPLICA_MAX_LAG_S", default=5.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=5.0)
# A replica in use is at most MAX_LAG + CHECK seconds behind: a writer reads from the
# primary at least that long after (and a second more).
_REPLICA_BEHIND_AT_MOST = REPLICA_MAX_LAG_S + REPLICA_CHECK_SECONDS + 1
REPLICA_STICKY_SECONDS = env.int(
    "REPLICA_STICKY_SECONDS", default=math.ceil(_REPLICA_BEHIND_AT_MOST)
)
if REPLICA_STICKY_SECONDS < _REPLICA_BEHIND_AT_MOST:
    raise ImproperlyConfigured(
        f"REPLICA_STICKY_SECONDS ({REPLICA_STICKY_SECONDS}) must be at least "
        "REPLICA_MAX_LAG_S + REPLICA_CHECK_SECONDS + 1 "
        f"({_REPLICA_BEHIND_AT_MOST:g}): a person who just wrote could read a replica "
        "that has not replayed it."
    )

# --- Cache and Celery: Redis when REDIS_URL is set, in-process otherwise -----------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend with one Redis client per process (core.cache).
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="shop"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Metrics (core.metrics): /metrics for an internal address or with the token ------
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_INTERNAL_NETWORKS = [
    ipaddress.ip_network(network.strip(), strict=False)
    for network in env.list("METRICS_INTERNAL_NETWORKS", default=["127.0.0.1/32", "::1/128"])
    if network.strip()
]

# --- Live notifications (Channels): the layer between the processes that tell and the
# socket server (config.asgi). Redis when REDIS_URL (or CHANNEL_LAYER_URL) is set; the
# quickstart's one process uses Channels' in-memory layer.
ASGI_APPLICATION = "config.asgi.application"
CHANNEL_LAYER_URL = env.str("CHANNEL_LAYER_URL", default=REDIS_URL)
if CHANNEL_LAYER_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A short connect timeout: a push waits for the layer after a change
                # committed (reads block on purpose: no read timeout).
                "hosts": [{"address": CHANNEL_LAYER_URL, "socket_connect_timeout": 2}],
                "prefix": "shop:ws",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Recommendations (recommendations.services, .selectors): a pair of products is "bought
# together" once this many paid orders held both; the counting task leaves orders paid in
# the last seconds for its next run (their transactions may still be open).
RECOMMENDATIONS_MIN_SUPPORT = env.int("RECOMMENDATIONS_MIN_SUPPORT", default=2)
RECOMMENDATIONS_SETTLE_SECONDS = env.int("RECOMMENDATIONS_SETTLE_SECONDS", default=60)
# Seconds a socket without a session may take to send its token (notifications.consumers).
REALTIME_AUTH_TIMEOUT = env.float("REALTIME_AUTH_TIMEOUT", default=10.0)
# Seconds between a socket's checks that its session or token still stands (a sign-out
# also makes it check at once: notifications.receivers); each check renews its group.
REALTIME_RECHECK_SECONDS = env.float("REALTIME_RECHECK_SECONDS", default=300.0)
# Where pages open their socket: empty for this site's /ws/notifications/ (a proxy sends
# /ws/ to the realtime service), or a whole ws(s):// address of a socket server elsewhere.
REALTIME_URL = env.str("REALTIME_URL", default="")

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that dies without acknowledging it goes back to its queue
# after this many seconds (Redis has no connection-bound acknowledgements).
# (kombu looks for such tasks every CELERY_RESTORE_INTERVAL seconds).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
# Four queues, so that one kind of work never waits behind another: a backlog of
# thumbnails does not delay a payment webhook. Run a worker per queue and scale each
# (compose.yaml, docs/deploy.md); `celery -A config worker -Q payments,emails,media,default`
# serves all four from one worker.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUE_NAMES = ["payments", "emails", "media", "default"]
CELERY_TASK_ROUTES = {
    "payments.tasks.*": {"queue": "payments"},
    "accounts.tasks.send_email_message": {"queue": "emails"},
    "accounts.tasks.send_welcome_email": {"queue": "emails"},
    "accounts.tasks.send_password_reset_email": {"queue": "emails"},
    "orders.tasks.send_order_email": {"queue": "emails"},
    "orders.tasks.send_fulfilment_email": {"queue": "emails"},
    "catalog.tasks.send_low_stock_email": {"queue": "emails"},
    "invoices.tasks.invoice_render_and_send": {"queue": "emails"},
    "catalog.tasks.make_thumbnail": {"queue": "media"},
}
# The Celery queues whose backlog /metrics reports.
METRICS_QUEUES = env.list("METRICS_QUEUES", default=CELERY_QUEUE_NAMES)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Periodic work run by `celery -A config beat`.
CELERY_BEAT_SCHEDULE: dict = {
    "orders-expire-reservations": {
        "task": "orders.tasks.expire_reservations",
        "schedule": 60.0,
    },
    "cart-purge-guest-carts": {
        "task": "cart.tasks.purge_guest_carts",
        "schedule": 24 * 60 * 60.0,
    },
    # "Frequently bought together": the orders paid since the last run (incremental).
    "recommendations-bought-together": {
        "task": "recommendations.tasks.update_bought_together",
        "schedule": 15 * 60.0,
    },
    "catalog-trim-recently-viewed": {
        "task": "recommendations.tasks.trim_recently_viewed",
        "schedule": 24 * 60 * 60.0,
    },
}
# A guest's order above this total waits for its email address to be confirmed (the
# link in its confirmation mail) before the sellers see it.
GUEST_CONFIRM_ABOVE = env.str("GUEST_CONFIRM_ABOVE", default="200.00")
# How long the signed link to a guest's order (in its mails) stays valid.
GUEST_ORDER_LINK_DAYS = env.int("GUEST_ORDER_LINK_DAYS", default=365)
# Guest carts untouched this long are deleted by the daily purge.
GUEST_CART_DAYS = env.int("GUEST_CART_DAYS", default=30)
# How long a placed, unpaid order holds its stock.
ORDER_RESERVATION_MINUTES = env.int("ORDER_RESERVATION_MINUTES", default=30)
# What one account may hold unpaid at once, so that nobody reserves a whole stock with
# orders they never pay (409 pending_orders_limit / pending_units_limit at checkout).
ORDER_MAX_PENDING_ORDERS = env.int("ORDER_MAX_PENDING_ORDERS", default=3)
ORDER_MAX_PENDING_UNITS_PER_PRODUCT = env.int("ORDER_MAX_PENDING_UNITS_PER_PRODUCT", default=20)
# The platform's commission on each shop's sales net of tax and refunds, in percent (a
# shop's own rate, set by staff, wins): the seller statements.
PLATFORM_COMMISSION_RATE = env.str("PLATFORM_COMMISSION_RATE", default="10.00")
# Where tax rates come from: the table staff keep in the admin, or a class with the same
# `rates()` method that asks a hosted tax service (taxes.providers).
TAX_PROVIDER = env.str("TAX_PROVIDER", default="taxes.providers.TableTaxProvider")

# --- Auth -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
SITE_ID = 1
AUTHENTICATION_BACKENDS = [
    # First: refuses a caller locked out by the sign-in guard before any password check.
    "accounts.signin.SignInGuardBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:overview"
# django-allauth (pages): email is the login; unverified users may sign in, but
# checkout needs a verified address (accounts.selectors.user_email_verified).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# One address per account; a new one replaces the login address only once verified.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Shop] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "reset_password": "accounts.forms.PasswordResetRequestForm",
    # Sign-up answers the same for a taken address (the owner is mailed instead).
    "signup": "accounts.forms.SignupForm",
}
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Two-factor sign-in (allauth.mfa): an authenticator app's codes (TOTP) and recovery codes,
# offered to everyone on the account pages; platform staff must set it up before they may
# use the admin or any staff power (accounts.policies) when STAFF_REQUIRE_MFA is on.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Shop")
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=not DEBUG)
# New shops wait for platform staff to approve them (shops.policies).
SHOPS_REQUIRE_APPROVAL = env.bool("SHOPS_REQUIRE_APPROVAL", default=not DEBUG)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_LOGIN_ON_GET = False
# Google and GitHub login appear only when their credentials are set.
SOCIALACCOUNT_PROVIDERS: dict = {
    "google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}},
    "github": {"SCOPE": ["user:email"]},
}
for _provider in ("google", "github"):
    _client_id = env.str(f"{_provider.upper()}_CLIENT_ID", default="")
    if _client_id:
        SOCIALACCOUNT_PROVIDERS[_provider]["APPS"] = [
            {
                "client_id": _client_id,
                "secret": env.str(f"{_provider.upper()}_CLIENT_SECRET", default=""),
            }
        ]
    else:
        SOCIALACCOUNT_PROVIDERS[_provider]["APPS"] = []
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 for new passwords; the others still check (and on sign-in upgrade) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- I18N -------------------------------------------------------------------------
# English and two more, complete (locale/<code>/LC_MESSAGES/django.po, compiled to .mo by
# `make install`). A request's language: the footer's switcher (the language cookie),
# the signed-in person's preference, the browser's Accept-Language (core.i18n).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "shop_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="USD")

# --- Backups (core.backups: `manage.py backup` and `restore`) ---------------------
# A folder, or s3://bucket/prefix; how many backups to keep there.
BACKUP_LOCATION = env.str("BACKUP_LOCATION", default=str(BASE_DIR / "backups"))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
BACKUP_S3_OPTIONS = {
    key: value
    for key, value in {
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=""),
        "region_name": env.str("AWS_S3_REGION_NAME", default=""),
        "aws_access_key_id": env.str("AWS_ACCESS_KEY_ID", default=""),
        "aws_secret_access_key": env.str("AWS_SECRET_ACCESS_KEY", default=""),
    }.items()
    if value
}

# --- Static and media -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # whitenoise's compressed manifest storage, URLs made once (config.storage).
            else "config.storage.StaticFilesStorage"
        )
    },
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            "signature_version": env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }

# --- Email ------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Shop <no-reply@shop.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
# EMAIL_URL chooses any backend with what it needs (config.email_url); SENDGRID_API_KEY
# and EMAIL_BACKEND with its companions (EMAIL_FILE_PATH, EMAIL_HOST...) still work.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _email = email_url.settings_of(EMAIL_URL)
elif SENDGRID_API_KEY:
    _email = {
        "EMAIL_BACKEND": email_url.SENDGRID,
        "ANYMAIL": {"SENDGRID_API_KEY": SENDGRID_API_KEY},
    }
else:
    _email = {
        "EMAIL_BACKEND": env.str(
            "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
        )
    }
    for _name in ("EMAIL_FILE_PATH", "EMAIL_HOST", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"):
        if env.str(_name, default=""):
            _email[_name] = env.str(_name)
    if env.str("EMAIL_PORT", default=""):
        _email["EMAIL_PORT"] = env.int("EMAIL_PORT")
    for _name in ("EMAIL_USE_TLS", "EMAIL_USE_SSL"):
        if env.str(_name, default=""):
            _email[_name] = env.bool(_name)
_email.setdefault("ANYMAIL", {})
if _email["EMAIL_BACKEND"] == email_url.SENDGRID:
    import warnings

    from anymail.exceptions import AnymailNotSupportedWarning

    # anymail 15 no longer tests SendGrid officially but its backend works; the shop
    # chose SendGrid knowingly (EMAIL_URL picks another backend).
    warnings.filterwarnings("ignore", category=AnymailNotSupportedWarning)
    SILENCED_SYSTEM_CHECKS = ["anymail.W003"]
# A backend without what it needs would fail every mail task: refuse to start instead.
if _email_problems := email_url.missing(_email):
    raise ImproperlyConfigured("Mail is not set up: " + "; ".join(_email_problems) + ".")
globals().update(_email)

# --- Payments ---------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="stripe" if STRIPE_SECRET_KEY else "dummy")
# The dummy provider takes no money: it serves only when this is set explicitly (the
# quickstart and the tests do); otherwise payments through it are refused (payments.providers).
PAYMENTS_ALLOW_DUMMY = env.bool("PAYMENTS_ALLOW_DUMMY", default=False)
# A payment that settles later (a SEPA debit, a PayPal eCheck) keeps the order's stock this
# long while the provider says it is processing.
# (A SEPA debit may take up to 14 business days.)
PAYMENT_PROCESSING_HOLD_DAYS = env.int("PAYMENT_PROCESSING_HOLD_DAYS", default=21)
# PayPal beside the card provider (payments.providers.paypal): offered when both the client
# id and secret are set. PAYPAL_WEBHOOK_ID is the id PayPal gave the shop's webhook (its
# events are verified against it); PAYPAL_API_BASE points at another PayPal (the tests'
# fake) instead of the sandbox or live one PAYPAL_MODE names.
PAYPAL_CLIENT_ID = env.str("PAYPAL_CLIENT_ID", default="")
PAYPAL_CLIENT_SECRET = env.str("PAYPAL_CLIENT_SECRET", default="")
PAYPAL_WEBHOOK_ID = env.str("PAYPAL_WEBHOOK_ID", default="")
PAYPAL_MODE = env.str("PAYPAL_MODE", default="sandbox")
PAYPAL_API_BASE = env.str("PAYPAL_API_BASE", default="")

# --- API --------------------------------------------------------------------------
# Request bodies: JSON and forms up to DATA_UPLOAD_MAX_MEMORY_SIZE, multipart uploads up to
# MAX_UPLOAD_REQUEST_SIZE (an image may have 10 MB); larger answers 413 `request_too_large`
# (core.security.middleware.RequestBodyLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
MAX_UPLOAD_REQUEST_SIZE = env.int("MAX_UPLOAD_REQUEST_SIZE", default=12 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's, also refusing tokens revoked at logout (core.security.jwt).
        "core.security.jwt.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # A JSON API takes JSON: another content type answers 415 `unsupported_media_type`, and
    # the schema lists JSON alone. The views that take more say so (login also takes a form,
    # image uploads take multipart only), so the schema and the server agree.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.ShopAutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.security.throttles.AnonThrottle",
        "core.security.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="100/min"),
        "user": env.str("API_THROTTLE_USER", default="1000/min"),
        "register": env.str("API_THROTTLE_REGISTER", default="20/hour"),
        "password_reset": env.str("API_THROTTLE_PASSWORD_RESET", default="5/hour"),
        "verify_email": env.str("API_THROTTLE_VERIFY_EMAIL", default="20/hour"),
        # Writing reviews, and placing orders (core.security.throttles).
        "review": env.str("API_THROTTLE_REVIEW", default="20/hour"),
        "checkout": env.str("API_THROTTLE_CHECKOUT", default="30/hour"),
        # New guest cart tokens (cart.api.CartTokenView), per address.
        "cart_token": env.str("API_THROTTLE_CART_TOKEN", default="60/hour"),
    },
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}

# --- Sign-in guard (django-axes with the policy of accounts.signin) --------------------
# Every sign-in door (API login, allauth's pages, the admin) counts failed attempts per
# account and address pair (a lockout that doubles each time) and per address overall
# (a higher limit); successful sign-ins never count.
AXES_HANDLER = "accounts.signin.SignInGuardHandler"
AXES_USERNAME_CALLABLE = "accounts.signin.credentials_username"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.security.throttles.client_ip"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused try is not a new guess
AXES_VERBOSE = False
SIGNIN_PAIR_FAILURES = env.int("SIGNIN_PAIR_FAILURES", default=5)
SIGNIN_LOCKOUT_SECONDS = env.int("SIGNIN_LOCKOUT_SECONDS", default=60)
SIGNIN_LOCKOUT_MAX_SECONDS = env.int("SIGNIN_LOCKOUT_MAX_SECONDS", default=24 * 60 * 60)
SIGNIN_ADDRESS_FAILURES = env.int("SIGNIN_ADDRESS_FAILURES", default=50)
SIGNIN_ADDRESS_WINDOW_SECONDS = env.int("SIGNIN_ADDRESS_WINDOW_SECONDS", default=15 * 60)


def _allauth_rate(drf_rate: str, per: str) -> str:
    """A DRF rate ("20/hour") in allauth's notation ("20/h/ip")."""
    count, period = drf_rate.split("/")
    return f"{count}/{period.strip()[0]}/{per}"


# allauth's pages limit sign-ups and reset mails at the API's rates; sign-in attempts are
# the guard's above (allauth's own login limit counts successes per address, and its
# password check per account would let anyone lock a victim out: accounts.adapters
# skips it). `login_failed` stays for what allauth alone checks: wrong second-factor
# codes, per account (the page's and the API's alike).
_RATES = REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
ACCOUNT_RATE_LIMITS = {
    "login": False,
    "login_failed": env.str("SIGNIN_MFA_CODE_RATE", default="5/5m/key"),
    "signup": _allauth_rate(_RATES["register"], "ip"),
    "reset_password": ",".join(
        _allauth_rate(_RATES["password_reset"], per) for per in ("ip", "key")
    ),
}
ALLAUTH_TRUSTED_PROXY_COUNT = REST_FRAMEWORK["NUM_PROXIES"]

# Tokens are signed with a key of their own: JWT_SIGNING_KEY, or else one derived from
# SECRET_KEY (never SECRET_KEY itself; `check --deploy` asks for JWT_SIGNING_KEY). To rotate,
# move the current key into JWT_PREVIOUS_SIGNING_KEYS, which still verify tokens (no longer
# sign them) until they expire (core.security.jwt).
JWT_SIGNING_KEY_FROM_ENV = bool(env.str("JWT_SIGNING_KEY", default=""))
JWT_PREVIOUS_SIGNING_KEYS = env.list("JWT_PREVIOUS_SIGNING_KEYS", default=[])
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="")
    or hmac.new(SECRET_KEY.encode(), b"shop.jwt-signing-key", hashlib.sha256).hexdigest(),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a hash of the password hash: a password change or reset (API, pages
    # or admin) ends every token issued before it (core.security.jwt).
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": (
        "The JSON API of the shop: accounts, catalog, cart, orders and payments.\n\n"
        "**Authentication**: `Authorization: Bearer <access JWT>` from `POST /api/v1/auth/login/` "
        "(access tokens live 15 minutes; `POST /api/v1/auth/refresh/` rotates the refresh "
        "token, which lives 7 days). The storefront's session cookie works too, with "
        "its CSRF token on writes.\n\n"
        "**Pagination**: lists take `?page=N&page_size=M` (`page_size` at most 100) and "
        "answer `{count, next, previous, results}`; a page past the last is 404.\n\n"
        "**Errors**: every error answers `{code, detail}` with a stable snake_case `code`; "
        "validation errors (`validation_error`) add `fields`, nested fields with dotted keys. "
        "A resource the caller may not see answers 404, not 403.\n\n"
        "**Limits**: requests are throttled (429 `throttled` with `Retry-After`); bodies "
        f"are limited to {DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:g} MiB, multipart uploads to "
        f"{MAX_UPLOAD_REQUEST_SIZE / 2**20:g} MiB (413 `request_too_large`).\n\n"
        "Money is a decimal string with two places beside an ISO 4217 `currency`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own (no read-only fields, other required ones).
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # operation ids and tags start after it
    "SWAGGER_UI_DIST": "SIDECAR",  # served from static files, not from a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_paths_outside_drf",
        "config.schema.name_parameter_enums",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "RefundStatusEnum": "payments.models.RefundStatus",
        "RefundReasonEnum": "payments.models.RefundReason",
        "ShippingMethodKindEnum": "shipping.models.ShippingMethod.Kind",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "TaxClassEnum": "taxes.models.TaxClass",
    },
}

# --- Security (production, i.e. DEBUG off) -----------------------------------------
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts, styles, fonts and images from the site
# itself only. Stripe.js is let in on the payment page alone, when Stripe is configured
# (core.security.middleware.StripeCSPMiddleware, the pages named in CSP_STRIPE_VIEW_NAMES).
_CSP_SELF = "'self'"
_csp_img_sources = [_CSP_SELF, "data:"]
_csp_form_actions = [_CSP_SELF]
if MEDIA_URL.startswith(("http://", "https://")):
    _csp_img_sources.append("/".join(MEDIA_URL.split("/")[:3]))
if AWS_STORAGE_BUCKET_NAME:
    _s3_options = STORAGES["default"]["OPTIONS"]
    if _s3_options["custom_domain"]:
        _csp_img_sources.append(f"https://{_s3_options['custom_domain']}")
    elif _s3_options["endpoint_url"]:
        _csp_img_sources.append(_s3_options["endpoint_url"].rstrip("/"))
    else:
        _csp_img_sources.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
        if _s3_options["region_name"]:
            _csp_img_sources.append(
                f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{_s3_options['region_name']}.amazonaws.com"
            )
# Social sign-in posts a form that redirects to the provider, which form-action governs.
if SOCIALACCOUNT_PROVIDERS["google"]["APPS"]:
    _csp_form_actions.append("https://accounts.google.com")
if SOCIALACCOUNT_PROVIDERS["github"]["APPS"]:
    _csp_form_actions.append("https://github.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        "font-src": [_CSP_SELF],
        "img-src": _csp_img_sources,
        "connect-src": [
            _CSP_SELF,
            *(["/".join(REALTIME_URL.split("/")[:3])] if REALTIME_URL else []),
        ],
        "frame-src": [_CSP_SELF],
        "object-src": ["'none'"],
        "base-uri": [_CSP_SELF],
        "frame-ancestors": ["'none'"],
        "form-action": _csp_form_actions,
    },
}
CSP_STRIPE_VIEW_NAMES = ["payments:pay"]

# CORS (django-cors-headers): the API answers other origins' browsers only when they are
# listed, e.g. CORS_ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False  # other origins sign in with tokens, never the session
CORS_PREFLIGHT_MAX_AGE = 3600
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    LANGUAGE_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

# --- Logging ----------------------------------------------------------------------
# One line per event on stderr with time, level, logger, message and the request's id
# (core.logging): JSON for log collectors (the default with DEBUG off), or plain text
# for people (the default with DEBUG on). Workers log the same way, with the task's id.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logging.ContextFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "plain": {"()": "core.logging.ReadableFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console and mail handlers go: its lines reach the root's, once.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Error tracking ---------------------------------------------------------------
# Sentry, when SENTRY_DSN is set: unhandled errors of requests and tasks, and ERROR log
# lines. No personal data is sent; performance tracing only if the rate is raised.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=None),
    )
