"""Django settings, all from the environment so one build serves demo, test and production."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YIWANG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = os.environ.get("YIWANG_ENV", "development") == "production"
# Off unless asked for (YIWANG_DEBUG=1, development only): a traceback page shows settings,
# SQL and local values to whoever triggers an error, so no deployment — the demo
# included — runs with it by default.
DEBUG = env_bool("YIWANG_DEBUG") and not PRODUCTION

SECRET_KEY = os.environ.get("YIWANG_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("YIWANG_SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = [h for h in os.environ.get("YIWANG_ALLOWED_HOSTS", "").split(",") if h] or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("YIWANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
    "yiwang.core",
    "yiwang.data",
    "yiwang.services",
    "yiwang.licences",
    "yiwang.hotline",
    "yiwang.opendata",
    "yiwang.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "yiwang.core.middleware.ApiEnvelopeMiddleware",
    "yiwang.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yiwang.core.middleware.SessionEpochMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yiwang.core.identity.gate.StaffTOTPMiddleware",
    "yiwang.core.middleware.RefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yiwang.web.middleware.ElderModeMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "yiwang.web.context.shell",
            ],
        },
    },
]

# An unset or empty DATABASE_URL means the SQLite file under VAR_DIR.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}",
        conn_max_age=int(os.environ.get("YIWANG_DB_CONN_MAX_AGE", "60")),
    )
}
# Django's engines with the audit ledger's per-transaction buffer (yiwang/core/db/).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "yiwang.core.db.sqlite3",
    "django.db.backends.postgresql": "yiwang.core.db.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web process, the worker and the demo seeder share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use an in-memory database, one per test process (named so that parallel test
    # runners, which rename other databases per worker, leave it as it is).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["yiwang.core.identity.backend.LockoutModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("YIWANG_FAST_HASHER"):
    # Tests only: argon2 is deliberately slow.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "yiwang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("YIWANG_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Front-end assets come from the npm registry (package.json), served from node_modules.
_ASSETS = {"htmx": "htmx.org/dist", "echarts": "echarts/dist"}
STATICFILES_DIRS = [
    (prefix, BASE_DIR / "node_modules" / sub)
    for prefix, sub in _ASSETS.items()
    if (BASE_DIR / "node_modules" / sub).exists()
]
# Outside production WhiteNoise serves straight from the apps' static folders and
# node_modules (no collectstatic), so the demo has its styles and scripts with DEBUG off;
# production serves the collected, hashed files from STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("YIWANG_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: refuse oversized bodies with a clear error instead of reading them whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("YIWANG_MAX_BODY", str(5 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Stored files (SM4 ciphertext) are readable by the app's own user only; nothing serves
# MEDIA_ROOT directly (rooms answer files after their access checks).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
YIWANG_MAX_UPLOAD_BYTES = int(os.environ.get("YIWANG_MAX_UPLOAD", str(20 * 1024 * 1024)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "yiwang.web.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("YIWANG_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("YIWANG_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The cache is shared by every worker process and app server: Redis when configured, else
# Django's database cache table (made by ``createcachetable`` after every ``migrate``).
# Never per-process memory: rate limits and login throttles would multiply by the workers.
REDIS_URL = os.environ.get("YIWANG_REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "yiwang_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}

EMAIL_BACKEND = os.environ.get(
    "YIWANG_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("YIWANG_FROM_EMAIL", "noreply@yiwang.local")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("YIWANG_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

OAUTH2_PROVIDER: dict[str, Any] = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": "",  # filled in by yiwang.core.keys at start-up
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "openid": _("OpenID 身份"),
        "profile": _("基本资料"),
        "read": _("读取"),
        "write": _("写入"),
        "org": _("组织机构"),
        "audit": _("审计账本"),
        "identity": _("窗口实名核验"),
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "OAUTH2_VALIDATOR_CLASS": "yiwang.core.identity.oidc.YiwangOIDCValidator",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["http", "https"],
    # OAuth 2.0 Security BCP (RFC 9700): tokens only in headers, `iss` in authorisation
    # responses (RFC 9207), a replayed refresh token revokes its whole family.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # RFC 9700 (OAuth 2.0 security BCP): no implicit or password grant, PKCE with S256 only,
    # tokens kept at rest only as SHA-256 checksums.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # What is served, and so advertised by discovery: the code flow only (no implicit or
    # hybrid response types), code / client credentials / refresh grants.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    # RP-initiated logout (end_session_endpoint): the id_token_hint must be ours, the
    # post_logout_redirect_uri registered by the client; the user is asked only when the
    # hint does not name the signed-in user (RP-Initiated Logout 1.0, 2 and 3).
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": True,
}
# Named so that migrations referring to OAuth2 applications (API clients) and grants
# (单点登录会话) resolve them.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "yiwang": {"handlers": ["console"], "level": os.environ.get("YIWANG_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}

# --- Domain defaults (configurable; DOMAIN.md) ---
YIWANG: dict[str, Any] = {
    "CITY_DIVISION": "410800",
    # Where rate limits and login throttles count (yiwang.core.ratelimit): "cache" (Redis)
    # or "database" (the core_ratecounter table); both are shared by every process.
    "RATE_STORE": os.environ.get("YIWANG_RATE_STORE", "cache" if REDIS_URL else "database"),
    # 登录失败延时: after FREE failures for one username, each further failure makes the next
    # attempt wait BASE, 2×BASE, 4×BASE … seconds, at most MAX; failures are forgotten
    # MEMORY seconds after the last one.
    "LOGIN_DELAY_FREE_FAILURES": int(os.environ.get("YIWANG_LOGIN_DELAY_FREE", "2")),
    "LOGIN_DELAY_BASE_SECONDS": int(os.environ.get("YIWANG_LOGIN_DELAY_BASE", "10")),
    "LOGIN_DELAY_MAX_SECONDS": int(os.environ.get("YIWANG_LOGIN_DELAY_MAX", "900")),
    "LOGIN_FAILURE_MEMORY_SECONDS": int(os.environ.get("YIWANG_LOGIN_FAILURE_MEMORY", "86400")),
    # 登录频率限制 per network address: FAILURES failed sign-ins, or failures for USERNAMES
    # different usernames (撞库), within WINDOW seconds pause sign-ins from that address.
    "LOGIN_IP_FAILURES": int(os.environ.get("YIWANG_LOGIN_IP_FAILURES", "30")),
    "LOGIN_IP_USERNAMES": int(os.environ.get("YIWANG_LOGIN_IP_USERNAMES", "5")),
    "LOGIN_IP_WINDOW_SECONDS": int(os.environ.get("YIWANG_LOGIN_IP_WINDOW", "600")),
    # Reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
    "TRUSTED_PROXIES": int(os.environ.get("YIWANG_TRUSTED_PROXIES", "0")),
    "LEDGER_BLOCK_SIZE": int(os.environ.get("YIWANG_LEDGER_BLOCK_SIZE", "1000")),
    "LEDGER_SEAL_GRACE_SECONDS": float(os.environ.get("YIWANG_LEDGER_GRACE", "2")),
    # 审计账本封存: the worker seals every so many seconds; entries still unsealed after
    # the alarm period (at least twice interval + grace) raise the alarm on the audit page.
    "LEDGER_SEAL_EVERY_SECONDS": float(os.environ.get("YIWANG_LEDGER_SEAL_EVERY", "10")),
    "LEDGER_SEAL_ALARM_SECONDS": float(os.environ.get("YIWANG_LEDGER_SEAL_ALARM", "60")),
    # Worker processes `yiwang audit verify` checks blocks in; 0 = one per CPU (at most 8).
    "LEDGER_VERIFY_PROCESSES": int(os.environ.get("YIWANG_LEDGER_VERIFY_PROCESSES", "0")),
    # Security alarms (安全告警, core.alarms): the same alarm at most once per interval.
    "ALARM_INTERVAL_SECONDS": int(os.environ.get("YIWANG_ALARM_INTERVAL", "3600")),
    # Read values stored before row binding (column-bound ciphertexts, clear text); switch
    # off once `yiwang keys status` shows none left (docs/security.md).
    "FIELD_LEGACY_READ": env_bool("YIWANG_FIELD_LEGACY_READ", default=True),
    "NOTIFY_CHANNELS": {
        "email": "yiwang.core.notify.channels.EmailChannel",
        "sms": "yiwang.core.notify.channels.SmsChannel",
    },
    # 短信网关: "logging" (the log, phone masked), "locmem" (tests) or a backend class path.
    "SMS_BACKEND": os.environ.get("YIWANG_SMS_BACKEND", "logging"),
}

# Key material (SM4 field keys, SM3 index key, SM2 platform key): yiwang.core.keys.
# 动态口令 for staff (工作人员): when required, staff without it must enrol within the window
# (days, counted from the first request the account makes while the requirement applies);
# superusers and holders of ADMIN_ROLES have no window. On by default only in production.
YIWANG["STAFF_TOTP_REQUIRED"] = env_bool("YIWANG_STAFF_TOTP_REQUIRED", default=PRODUCTION)
YIWANG["STAFF_TOTP_WINDOW_DAYS"] = int(os.environ.get("YIWANG_STAFF_TOTP_WINDOW_DAYS", "7"))
YIWANG["STAFF_TOTP_ADMIN_ROLES"] = ("sysadmin", "bureau_admin")
# 恢复码: how many single-use recovery codes enrolment (and each regeneration) gives.
YIWANG["TOTP_RECOVERY_CODES"] = int(os.environ.get("YIWANG_TOTP_RECOVERY_CODES", "10"))

YIWANG_KEY_DIR = Path(os.environ.get("YIWANG_KEY_DIR", VAR_DIR / "keys"))

# 数据归集: the largest file a department may upload into a resource (bytes).
YIWANG["DATA_IMPORT_MAX_BYTES"] = int(os.environ.get("YIWANG_DATA_IMPORT_MAX_BYTES", 200 * 1024**2))
YIWANG["DATA_IMPORT_CHUNK_ROWS"] = int(os.environ.get("YIWANG_DATA_IMPORT_CHUNK_ROWS", "2000"))
# 解析限额: hard limits on parsing an import file in the background task, each refused
# with a message naming it. Defaults in yiwang/data/ingest/limits.py (docs/data-ingest.md);
# YIWANG_<name> in the environment overrides one.
for _name in (
    "DATA_IMPORT_MAX_UNZIPPED_BYTES",
    "DATA_IMPORT_MAX_ZIP_MEMBERS",
    "DATA_IMPORT_MAX_ROWS",
    "DATA_IMPORT_MAX_COLUMNS",
    "DATA_IMPORT_MAX_SHARED_STRINGS",
    "DATA_IMPORT_MAX_SHARED_CHARS",
    "DATA_IMPORT_MAX_CELL_CHARS",
    "DATA_IMPORT_MAX_JSON_DEPTH",
    "DATA_IMPORT_MAX_LINE_CHARS",
):
    if os.environ.get(f"YIWANG_{_name}"):
        YIWANG[_name] = int(os.environ[f"YIWANG_{_name}"])

# 共享交换: the scope of exchange-gateway credentials, default rate per grant, batch bound.
OAUTH2_PROVIDER["SCOPES"]["exchange"] = _("共享交换")
# 谁用了我的数据 through the API (GovStack MyPersonalDataUsage): a citizen app asks for it.
OAUTH2_PROVIDER["SCOPES"]["data_usage"] = _("查看谁用了我的数据")
YIWANG["SHARE_RATE_PER_MINUTE"] = int(os.environ.get("YIWANG_SHARE_RATE_PER_MINUTE", "600"))
YIWANG["SHARE_BATCH_MAX"] = int(os.environ.get("YIWANG_SHARE_BATCH_MAX", "100"))

# 政务数据目录: a resource graded longer ago than this is flagged 需复核定级 (months).
YIWANG["DATA_GRADE_REVIEW_MONTHS"] = int(os.environ.get("YIWANG_DATA_GRADE_REVIEW_MONTHS", "12"))

# 电子证照: the public base URL printed in licence QR codes, the largest file the public
# verification accepts, and verifications per minute per network address.
YIWANG["PUBLIC_BASE_URL"] = os.environ.get("YIWANG_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
YIWANG["LICENCE_VERIFY_MAX_BYTES"] = int(
    os.environ.get("YIWANG_LICENCE_VERIFY_MAX_BYTES", 5 * 1024**2)
)
YIWANG["LICENCE_VERIFY_PER_MINUTE"] = int(os.environ.get("YIWANG_LICENCE_VERIFY_PER_MINUTE", "60"))

# 好差评: working days a department has to rectify a 差评 (限期整改), counted from the rating.
YIWANG["SERVICES_RECTIFY_DAYS"] = int(os.environ.get("YIWANG_SERVICES_RECTIFY_DAYS", "15"))

# 办件材料: the largest file an applicant or a window clerk may upload for one material.
YIWANG["SERVICES_UPLOAD_MAX_BYTES"] = int(
    os.environ.get("YIWANG_SERVICES_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))
)

# 好差评公开: seconds the published city-wide statistics are cached (0 = always live).
YIWANG["SERVICES_STATS_CACHE_SECONDS"] = int(
    os.environ.get("YIWANG_SERVICES_STATS_CACHE_SECONDS", "300")
)

# 12345 热线: whole-ticket time limits in working days by type (咨询/求助/投诉/举报/建议),
# the 紧急 tier's response window in hours, the working days a department has to return
# (退单) a wrongly routed ticket, the days a re-opened ticket gets, and the classifier
# confidence below which an agent confirms the category before dispatch.
YIWANG["HOTLINE_TIME_LIMITS"] = {
    "consult": int(os.environ.get("YIWANG_HOTLINE_CONSULT_DAYS", "2")),
    "help": int(os.environ.get("YIWANG_HOTLINE_HELP_DAYS", "10")),
    "suggest": int(os.environ.get("YIWANG_HOTLINE_SUGGEST_DAYS", "10")),
    "complaint": int(os.environ.get("YIWANG_HOTLINE_COMPLAINT_DAYS", "15")),
    "report": int(os.environ.get("YIWANG_HOTLINE_REPORT_DAYS", "15")),
}
YIWANG["HOTLINE_URGENT_DAYS"] = int(os.environ.get("YIWANG_HOTLINE_URGENT_DAYS", "1"))
YIWANG["HOTLINE_URGENT_RESPONSE_HOURS"] = int(
    os.environ.get("YIWANG_HOTLINE_URGENT_RESPONSE_HOURS", "2")
)
YIWANG["HOTLINE_RETURN_DAYS"] = int(os.environ.get("YIWANG_HOTLINE_RETURN_DAYS", "2"))
YIWANG["HOTLINE_REOPEN_DAYS"] = int(os.environ.get("YIWANG_HOTLINE_REOPEN_DAYS", "5"))
YIWANG["HOTLINE_MAX_REOPENS"] = int(os.environ.get("YIWANG_HOTLINE_MAX_REOPENS", "2"))
# 诉求内容: real letters run long (about 2 % of them exceed 2,000 characters).
YIWANG["HOTLINE_CONTENT_MAX"] = int(os.environ.get("YIWANG_HOTLINE_CONTENT_MAX", "10000"))
# 热点 by content: windows of days and the tickets of one problem each needs ("1:5,7:6,30:8").
YIWANG["HOTLINE_TEXT_HOTSPOT_WINDOWS"] = os.environ.get(
    "YIWANG_HOTLINE_TEXT_HOTSPOT_WINDOWS", "1:5,7:6,30:8"
)
YIWANG["HOTLINE_AUTO_DISPATCH_CONFIDENCE"] = float(
    os.environ.get("YIWANG_HOTLINE_AUTO_DISPATCH_CONFIDENCE", "0.80")
)
# 分类模型再训练: a candidate is put in use only when it beats the version in use by this
# leaf macro-F1 margin on at least this many held-out labels (docs/classifier.md).
YIWANG["HOTLINE_CLASSIFIER_MIN_HELDOUT"] = int(
    os.environ.get("YIWANG_HOTLINE_CLASSIFIER_MIN_HELDOUT", "30")
)
YIWANG["HOTLINE_CLASSIFIER_MARGIN"] = float(
    os.environ.get("YIWANG_HOTLINE_CLASSIFIER_MARGIN", "0.01")
)
# 热点发现: a window of this many hours with at least this many tickets of one category in
# one division, and at least this many times the division's usual rate, raises an alert.
YIWANG["HOTLINE_HOTSPOT_WINDOW_HOURS"] = int(
    os.environ.get("YIWANG_HOTLINE_HOTSPOT_WINDOW_HOURS", "24")
)
YIWANG["HOTLINE_HOTSPOT_MIN_TICKETS"] = int(
    os.environ.get("YIWANG_HOTLINE_HOTSPOT_MIN_TICKETS", "10")
)
YIWANG["HOTLINE_HOTSPOT_RATIO"] = float(os.environ.get("YIWANG_HOTLINE_HOTSPOT_RATIO", "3.0"))
# Open311 GeoReport v2: how long a replayed POST maps to the first request (minutes), the
# widest date window and the most results one GET returns, and which channels' tickets
# are published (phone tickets may carry personal details, so only Open311's by default).
YIWANG["OPEN311_REPLAY_MINUTES"] = int(os.environ.get("YIWANG_OPEN311_REPLAY_MINUTES", "10"))
YIWANG["OPEN311_MAX_DAYS"] = int(os.environ.get("YIWANG_OPEN311_MAX_DAYS", "90"))
YIWANG["OPEN311_MAX_RESULTS"] = int(os.environ.get("YIWANG_OPEN311_MAX_RESULTS", "1000"))
YIWANG["OPEN311_PUBLIC_CHANNELS"] = os.environ.get(
    "YIWANG_OPEN311_PUBLIC_CHANNELS", "open311"
).split(",")
# 预警信息发布: an audience larger than this is sent by a background task in batches.
YIWANG["HOTLINE_WARNING_SYNC_MAX"] = int(os.environ.get("YIWANG_HOTLINE_WARNING_SYNC_MAX", "500"))
