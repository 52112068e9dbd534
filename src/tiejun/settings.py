"""Django settings. The only module that reads the environment: every setting is a TIEJUN_* variable."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"TIEJUN_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


ENVIRONMENTS = ("development", "test", "production")
ENV = _env("ENV", "development").strip()
if ENV not in ENVIRONMENTS:
    # A typo ("prod", "Production") would otherwise run a production server with development
    # settings: the debug page, insecure cookies, a known secret key.
    raise ImproperlyConfigured(
        f"TIEJUN_ENV must be one of {', '.join(ENVIRONMENTS)}; it is {ENV!r}."
    )
PRODUCTION = ENV == "production"
TESTING = _env_bool("TESTING", False)

HOME = Path(_env("HOME") or Path.home() / ".local" / "share" / "tiejun").expanduser()

SECRET_KEY = _env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("TIEJUN_SECRET_KEY must be set when TIEJUN_ENV=production.")
    SECRET_KEY = "tiejun-development-only-not-secret"

# Django's debug page prints settings and source to the visitor: off unless TIEJUN_DEBUG=true
# (development too shows the product's own 404 and 500 pages), and never in production.
DEBUG = _env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("TIEJUN_DEBUG cannot be on when TIEJUN_ENV=production.")
ALLOWED_HOSTS = [h.strip() for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "tiejun.org",
    "tiejun.targets",
    "tiejun.crm",
    "tiejun.scoreboard",
    "tiejun.notify",
    "tiejun.audit",
    "tiejun.rhythm",
    "tiejun.broadcast",
    "tiejun.lab",
    "tiejun.discipline",
    "tiejun.incentives",
    "tiejun.field",
    "tiejun.transfers",
    "tiejun.imports",
    "tiejun.accounts",
    "tiejun.web",
    "tiejun.demo",
    "tiejun.bench",
    "tiejun.ops",
]

MIDDLEWARE = [
    "tiejun.ops.middleware.DatabaseFaultMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tiejun.web.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tiejun.web.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tiejun.audit.middleware.AuditActorMiddleware",
    # A password someone else set is changed before anything else is opened.
    "tiejun.accounts.middleware.PasswordChangeRequiredMiddleware",
    "tiejun.ops.middleware.UserErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a locked-out sign-in into the login page with the lockout message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tiejun.urls"
WSGI_APPLICATION = "tiejun.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tiejun.web.context_processors.navigation",
            ],
        },
    }
]

_default_db = f"sqlite:///{HOME / 'tiejun.sqlite3'}"
# Health checks: a connection kept across requests that died with a database restart is
# replaced at the start of the next request instead of failing it.
DATABASES = {
    "default": dj_database_url.parse(
        _env("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": _env("TEST_SQLITE_NAME") or None}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, whose health check looks at the socket instead of sending SELECT 1.
    DATABASES["default"]["ENGINE"] = "tiejun.ops.postgresql"
    # The hottest statements (API token, check-in) are prepared on a connection once they have
    # run this many times there (tiejun.ops.statements); 0 turns it off, for a connection pooler
    # in transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
    _prepare = int(_env("DATABASE_PREPARE_THRESHOLD", "2") or 0)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _prepare or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.Person"
AUTHENTICATION_BACKENDS = [
    "tiejun.org.throttle.LoginThrottleBackend",  # refuses a locked (login, IP) before any check
    "tiejun.org.auth.EmployeeNoOrEmailBackend",
]
# Sessions live in the database with the person's id beside them, so deactivating a person
# ends all of their sessions at once.
SESSION_ENGINE = "tiejun.org.sessions"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = _env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = _env("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

CURRENCY = _env("CURRENCY", "CNY")

STATIC_URL = "/static/"
# Leaflet (the customer and route maps) comes from the django-leaflet package's static files;
# the package is not an installed app (its app pulls in GeoDjango, which needs GDAL).
_leaflet = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = (
    [("vendor/leaflet", str(Path(_leaflet.origin).parent / "static" / "leaflet"))]
    if _leaflet and _leaflet.origin
    else []
)
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from it once collected
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production WhiteNoise serves straight from the apps' static folders (no collectstatic),
# re-reading them as they change; this does not depend on DEBUG.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = HOME / "media"

# Sign-in throttling (django-axes, kept in the database so every worker on every machine sees
# the same count): after LOGIN_MAX_FAILURES wrong passwords for one login from one address, that
# pair is locked for LOGIN_LOCKOUT_MINUTES. PROXY_COUNT reverse proxies in front of the app
# (0: the peer address is the client's; 1: the last X-Forwarded-For entry is).
LOGIN_MAX_FAILURES = int(_env("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(_env("LOGIN_LOCKOUT_MINUTES", "15"))
PROXY_COUNT = int(_env("PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = LOGIN_MAX_FAILURES
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "tiejun.org.throttle.login_key"
AXES_CLIENT_IP_CALLABLE = "tiejun.org.throttle.client_ip"
# The same rule for axes' own ipware fallback: the peer address unless proxies are declared.
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_LOCKOUT_CALLABLE = "tiejun.web.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # locked for exactly the minutes said
AXES_DISABLE_ACCESS_LOG = True  # failures are counted; successful sign-ins are not logged here
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The check-in page asks for the position and may open the camera; nothing else may.
PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), "
    "magnetometer=(), gyroscope=(), accelerometer=()"
)


def _tile_source(template: str) -> list[str]:
    """The CSP source for a Leaflet tile URL template: ``https://{s}.tile.example.org/{z}/…``
    becomes ``https://*.tile.example.org`` (CSP allows a wildcard only as the leftmost label)."""
    parts = urlsplit(template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return []
    labels = re.sub(r"\{[^}]*\}", "*", parts.netloc).split(".")
    wild = [i for i, label in enumerate(labels) if "*" in label]
    if wild:
        labels = ["*", *labels[wild[-1] + 1 :]]
    return [f"{parts.scheme}://{'.'.join(labels)}"]


# Content-Security-Policy (django-csp): scripts and <style> blocks only from our own origin or
# carrying the response's nonce; style attributes stay allowed (bars and swatches are sized and
# coloured inline), images also from data:/blob: (photos before upload) and the map tile server.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_tile_source(_env("MAP_TILES"))],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = _env_bool("SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes speak plain HTTP to the app
    SECURE_HSTS_SECONDS = int(_env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Company calendar: extra days off / working days beyond the statutory calendar live in the
# database (org.WorkdayOverride); this is the weekday fallback for years the package lacks.
TV_ROTATE_SECONDS = int(_env("TV_ROTATE_SECONDS", "30"))
# Sales-model lab: the labour cost of one rep-hour, in the currency, for "full cost".
LAB_HOURLY_COST = _env("LAB_HOURLY_COST", "120")

# Outgoing e-mail: smtp://user:password@host:port (add ?tls=True or ?ssl=True); console:// prints.
EMAIL_URL = _env("EMAIL_URL", "console://")
_email = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email["EMAIL_USE_TLS"])
EMAIL_USE_SSL = bool(_email["EMAIL_USE_SSL"])
EMAIL_TIMEOUT = int(_env("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = _env("EMAIL_FROM", "铁军 Tiejun <tiejun@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background jobs and schedules (Huey): SQLite storage under TIEJUN_HOME by default; a Redis URL
# (TIEJUN_QUEUE_URL=redis://host:6379/0) serves many workers on many machines.
QUEUE_URL = _env("QUEUE_URL")
if QUEUE_URL.startswith(("redis://", "rediss://", "unix://")):
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": _env("QUEUE_NAME", "tiejun"),
        "url": QUEUE_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": _env("QUEUE_NAME", "tiejun"),
        "filename": str(
            Path(QUEUE_URL.removeprefix("sqlite://")) if QUEUE_URL else HOME / "queue.sqlite3"
        ),
        "immediate": False,
    }
HUEY["consumer"] = {"workers": int(_env("WORKERS", "2")), "worker_type": "thread"}
# `tiejun serve` runs a consumer thread beside the web workers unless this is off.
EMBEDDED_WORKER = _env_bool("EMBEDDED_WORKER", True)

# The daily rhythm: local times on working days.
KICKOFF_AT = _env("KICKOFF_AT", "08:30")
REVIEW_AT = _env("REVIEW_AT", "18:30")
BATTLE_REPORT_AT = _env("BATTLE_REPORT_AT", "21:00")
WIN_FLASH_MIN_AMOUNT = _env("WIN_FLASH_MIN_AMOUNT", "0")
RISK_BEHIND_MARGIN = float(_env("RISK_BEHIND_MARGIN", "0.10"))
RISK_IDLE_WORKDAYS = int(_env("RISK_IDLE_WORKDAYS", "5"))
# A rep visiting fewer than this many customers a day over the last RISK_VISIT_WORKDAYS working
# days is a risk point ("five to ten customers a day").
RISK_MIN_VISITS_PER_DAY = int(_env("RISK_MIN_VISITS_PER_DAY", "5"))
RISK_VISIT_WORKDAYS = int(_env("RISK_VISIT_WORKDAYS", "5"))
FORECAST_SIMULATIONS = int(_env("FORECAST_SIMULATIONS", "2000"))
# Daily reports (日报): due by this local time; a reminder goes out this many minutes before.
DAILY_REPORT_DUE = _env("DAILY_REPORT_DUE", "20:00")
DAILY_REPORT_REMIND_BEFORE = int(_env("DAILY_REPORT_REMIND_BEFORE", "60"))

# Customers: the most private customers a rep may hold; days without a visit or follow-up before
# a customer returns to the open pool (公海); where a leaver's customers go: supervisor | pool.
MAX_PRIVATE_CUSTOMERS = int(_env("MAX_PRIVATE_CUSTOMERS", "200"))
POOL_RETURN_DAYS = int(_env("POOL_RETURN_DAYS", "30"))
LEAVER_CUSTOMERS_TO = _env("LEAVER_CUSTOMERS_TO", "supervisor")

# Field work: check-ins farther than GEOFENCE_M from the customer, with an accuracy worse than
# POOR_ACCURACY_M or a position older than STALE_POSITION_S are flagged; photos up to
# PHOTO_MAX_BYTES. Visit plans: revisit intervals by priority, the office (default start and end
# of a route), the road factor over great-circle distance, and map tiles (empty: no tiles, the
# maps still show markers and routes — set a tile URL template where the network allows).
GEOFENCE_M = int(_env("GEOFENCE_M", "300"))
POOR_ACCURACY_M = int(_env("POOR_ACCURACY_M", "200"))
STALE_POSITION_S = int(_env("STALE_POSITION_S", "300"))
PHOTO_MAX_BYTES = int(_env("PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
CHECKIN_BACKDATE_DAYS = int(_env("CHECKIN_BACKDATE_DAYS", "2"))  # older: held for approval
CHECKIN_MERGE_MINUTES = int(_env("CHECKIN_MERGE_MINUTES", "5"))  # a double tap: one visit
REVISIT_DAYS = _env("REVISIT_DAYS", "A=7,B=14,C=30")
OFFICE_LAT = float(_env("OFFICE_LAT")) if _env("OFFICE_LAT") else None
OFFICE_LON = float(_env("OFFICE_LON")) if _env("OFFICE_LON") else None
ROAD_FACTOR = float(_env("ROAD_FACTOR", "1.3"))
MAP_TILES = _env("MAP_TILES")

# Red lines (tiejun.discipline): the nightly scan's thresholds (flags are for review, never a
# punishment by themselves): REDLINE_OUTSIDE_MIN check-ins outside the geofence within
# REDLINE_OUTSIDE_DAYS days; REDLINE_CLUSTER_MIN_CUSTOMERS customers checked in within
# REDLINE_CLUSTER_RADIUS_M of one position on a day; a hop of at least REDLINE_MIN_JUMP_M
# between consecutive check-ins faster than REDLINE_MAX_SPEED_KMH; a deal reversed within
# REDLINE_REVERSAL_DAYS days after its month closed. Evidence files up to
# REDLINE_EVIDENCE_MAX_BYTES; the scan runs at REDLINE_SCAN_AT for the day before.
REDLINE_OUTSIDE_MIN = int(_env("REDLINE_OUTSIDE_MIN", "3"))
REDLINE_OUTSIDE_DAYS = int(_env("REDLINE_OUTSIDE_DAYS", "7"))
REDLINE_CLUSTER_RADIUS_M = int(_env("REDLINE_CLUSTER_RADIUS_M", "50"))
REDLINE_CLUSTER_MIN_CUSTOMERS = int(_env("REDLINE_CLUSTER_MIN_CUSTOMERS", "3"))
REDLINE_MAX_SPEED_KMH = float(_env("REDLINE_MAX_SPEED_KMH", "120"))
REDLINE_MIN_JUMP_M = int(_env("REDLINE_MIN_JUMP_M", "2000"))
REDLINE_REVERSAL_DAYS = int(_env("REDLINE_REVERSAL_DAYS", "5"))
REDLINE_EVIDENCE_MAX_BYTES = int(_env("REDLINE_EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
REDLINE_SCAN_AT = _env("REDLINE_SCAN_AT", "02:30")

# Outbox (tiejun.notify): delivery attempts, exponential back-off (base · 2^(attempt-1), capped),
# the lease a worker holds on a message while sending, and HTTP timeouts for SMS and robots.
NOTIFY_MAX_ATTEMPTS = int(_env("NOTIFY_MAX_ATTEMPTS", "10"))
NOTIFY_BACKOFF_SECONDS = float(_env("NOTIFY_BACKOFF_SECONDS", "30"))
NOTIFY_BACKOFF_MAX_SECONDS = float(_env("NOTIFY_BACKOFF_MAX_SECONDS", "3600"))
NOTIFY_LEASE_SECONDS = float(_env("NOTIFY_LEASE_SECONDS", "300"))
NOTIFY_HTTP_TIMEOUT = float(_env("NOTIFY_HTTP_TIMEOUT", "10"))
# The periodic sweep re-queues pending rows older than this (their first task may have been lost).
NOTIFY_SWEEP_GRACE_SECONDS = float(_env("NOTIFY_SWEEP_GRACE_SECONDS", "30"))
# Rate limits as "COUNT/SECONDS" (empty: none). Robots and webhooks count per address (robot URL),
# SMS and e-mail per channel. The chat robots allow about 20 messages a minute.
NOTIFY_RATE_LIMITS = {
    "wecom": _env("RATE_WECOM", "20/60"),
    "dingtalk": _env("RATE_DINGTALK", "20/60"),
    "feishu": _env("RATE_FEISHU", "20/60"),
    "webhook": _env("RATE_WEBHOOK", ""),
    "sms": _env("RATE_SMS", ""),
    "email": _env("RATE_EMAIL", ""),
}
# Secret for the generic webhook's X-Tiejun-Signature when the address carries none (#secret=…).
WEBHOOK_SECRET = _env("WEBHOOK_SECRET")
# Robots and webhooks never post to loopback, link-local or private addresses, except to these
# hosts (comma-separated names, addresses or networks such as 10.1.0.0/16).
OUTBOUND_ALLOW_HOSTS = [
    h.strip().lower() for h in _env("OUTBOUND_ALLOW_HOSTS").split(",") if h.strip()
]
# SMS: TIEJUN_SMS_PROVIDER aliyun | tencent | twilio; the endpoint defaults to the provider's own.
# Aliyun: access key id / secret, sign name, template code (the text goes into the template
# parameter TIEJUN_SMS_TEMPLATE_PARAM). Tencent: SecretId / SecretKey, SmsSdkAppId (SMS_APP_ID),
# sign name, template id, region. Twilio: Account SID / Auth Token, from number (SMS_FROM).
SMS_PROVIDER = _env("SMS_PROVIDER")
SMS_ENDPOINT = _env("SMS_ENDPOINT")
SMS_ACCESS_KEY = _env("SMS_ACCESS_KEY")
SMS_SECRET = _env("SMS_SECRET")
SMS_SIGN_NAME = _env("SMS_SIGN_NAME")
SMS_TEMPLATE_ID = _env("SMS_TEMPLATE_ID")
SMS_TEMPLATE_PARAM = _env("SMS_TEMPLATE_PARAM", "content")
SMS_APP_ID = _env("SMS_APP_ID")
SMS_REGION = _env("SMS_REGION")
SMS_FROM = _env("SMS_FROM")
# Replies to SMS (a rep answering "TD"/"退订"): the provider calls
# PUBLIC_URL/outbox/sms/inbound/<provider>/<TIEJUN_SMS_INBOUND_TOKEN>/; empty: no endpoint.
SMS_INBOUND_TOKEN = _env("SMS_INBOUND_TOKEN")
# Twilio signs the replies it reports (X-Twilio-Signature) with the account's Auth Token: set
# here, or TIEJUN_SMS_SECRET is used when TIEJUN_SMS_PROVIDER is twilio. Without it no Twilio
# reply is accepted.
SMS_INBOUND_TWILIO_TOKEN = _env("SMS_INBOUND_TWILIO_TOKEN")
# The nightly personal message to each rep (after the battle report), and the quiet hours
# ("22:00-08:00", local time) in which personal messages wait until the end; empty: none.
PERSONAL_REPORT_AT = _env("PERSONAL_REPORT_AT", "21:10")
QUIET_HOURS = _env("QUIET_HOURS", "22:00-08:00")

# --- Accounts: invitations, passwords, WeCom / DingTalk / Feishu sign-in and directory sync ---
# PUBLIC_URL: the address people open Tiejun at, for links sent outside a request (`tiejun
# invite`, the nightly sync). A platform is offered at sign-in and synced nightly once its id and
# secret are set. The *_API_BASE (and *_LOGIN_BASE) settings point a platform elsewhere: a private
# deployment, or the loopback fakes of the tests.
PUBLIC_URL = _env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
WECOM_CORP_ID = _env("WECOM_CORP_ID")
WECOM_AGENT_ID = _env("WECOM_AGENT_ID")
WECOM_SECRET = _env("WECOM_SECRET")
WECOM_API_BASE = _env("WECOM_API_BASE", "https://qyapi.weixin.qq.com").rstrip("/")
WECOM_LOGIN_BASE = _env("WECOM_LOGIN_BASE", "https://login.work.weixin.qq.com").rstrip("/")
DINGTALK_CLIENT_ID = _env("DINGTALK_CLIENT_ID")
DINGTALK_CLIENT_SECRET = _env("DINGTALK_CLIENT_SECRET")
# The app (agent) that sends work notices: the personal message as a DingTalk app message.
DINGTALK_AGENT_ID = _env("DINGTALK_AGENT_ID")
DINGTALK_API_BASE = _env("DINGTALK_API_BASE", "https://api.dingtalk.com").rstrip("/")
DINGTALK_OAPI_BASE = _env("DINGTALK_OAPI_BASE", "https://oapi.dingtalk.com").rstrip("/")
DINGTALK_LOGIN_BASE = _env("DINGTALK_LOGIN_BASE", "https://login.dingtalk.com").rstrip("/")
FEISHU_APP_ID = _env("FEISHU_APP_ID")
FEISHU_APP_SECRET = _env("FEISHU_APP_SECRET")
FEISHU_API_BASE = _env("FEISHU_API_BASE", "https://open.feishu.cn").rstrip("/")
# Calls to the platforms: timeout, and the back-off on a rate limit (base · 2^try, this many tries).
DIRECTORY_HTTP_TIMEOUT = float(_env("DIRECTORY_HTTP_TIMEOUT", "15"))
DIRECTORY_BACKOFF_SECONDS = float(_env("DIRECTORY_BACKOFF_SECONDS", "1"))
DIRECTORY_RATE_RETRIES = int(_env("DIRECTORY_RATE_RETRIES", "5"))
# The nightly directory sync of every configured platform (local time), and its unit kinds by depth.
DIRECTORY_SYNC_AT = _env("DIRECTORY_SYNC_AT", "02:30")
DIRECTORY_KINDS = _env("DIRECTORY_KINDS", "company,region,branch,team")
# --- end of accounts ---

# The debug page (TIEJUN_DEBUG=true) and error reports mask secrets: besides Django's usual
# names, the password inside any URL or DSN setting (TIEJUN_EMAIL_URL, TIEJUN_QUEUE_URL, …).
DEFAULT_EXCEPTION_REPORTER_FILTER = "tiejun.ops.reporting.SecretSafeReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}
