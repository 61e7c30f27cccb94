"""Configuration, read from the environment.

Every variable is listed in README.md. With no DATABASE_URL and no REDIS_URL the app
starts its own PostgreSQL and Redis under the instance folder (see core/embedded.py).
"""
import os
import secrets
from pathlib import Path


def _instance_path() -> Path:
    return Path(os.environ.get("HOUTAI_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment; values come from os.environ."""

    def __init__(self) -> None:
        instance = _instance_path()
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        self.DATABASE_URL = os.environ.get("DATABASE_URL")
        self.REDIS_URL = os.environ.get("REDIS_URL")
        # None: psycopg never prepares statements server-side (required behind PgBouncer in
        # transaction mode); a number turns prepares on after that many runs (direct connections only).
        self.DB_PREPARE_THRESHOLD = os.environ.get("DB_PREPARE_THRESHOLD")
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": True,
            "pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
            "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "10")),
            # a PostgreSQL backend keeps the catalog of every store schema it touched: replace
            # pooled connections after half an hour so that memory goes back (direct connections)
            "pool_recycle": int(os.environ.get("DB_POOL_RECYCLE", "1800")),
        }
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_HEADERS = ["X-CSRFToken"]
        self.BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "zh_CN")
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.LANGUAGES = ["zh_CN", "en"]
        self.SESSION_COOKIE_NAME = "houtai_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.SESSION_LIFETIME_HOURS = int(os.environ.get("SESSION_LIFETIME_HOURS", "12"))
        self.LOGIN_LIMIT_IP = os.environ.get("LOGIN_LIMIT_IP", "30 per minute")
        self.LOGIN_LIMIT_ACCOUNT = os.environ.get("LOGIN_LIMIT_ACCOUNT", "5 per 10 minutes")
        self.RESET_TOKEN_MAX_AGE = int(os.environ.get("RESET_TOKEN_MAX_AGE", str(3600)))
        self.INVITE_TOKEN_MAX_AGE = int(os.environ.get("INVITE_TOKEN_MAX_AGE", str(7 * 86400)))
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Houtai <no-reply@houtai.local>")
        # Development (the embedded servers: `make run`, `make worker`) and production differ in
        # these defaults only, derived here for every process alike: web, workers, cron jobs, CLI.
        development = not os.environ.get("DATABASE_URL")
        self.DEVELOPMENT = development
        self.SANDBOX_GATEWAY = _bool("SANDBOX_GATEWAY", development)  # the test gateway: dev and demos
        port = os.environ.get("PORT")  # the Makefile exports it to `make run` and `make worker` alike
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL") or (f"http://127.0.0.1:{port}" if development and port else "")
        self.ALIPAY_GATEWAY_URL = os.environ.get("ALIPAY_GATEWAY_URL", "")
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
        # WeChat Pay's API host, WeChat's OAuth page host and its API host (tests: a local fake)
        # SMS sign-in codes (app.core.sms): the provider and the limits per phone and per client address
        self.SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "log")
        self.ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
        self.ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
        self.ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "")
        self.ALIYUN_SMS_TEMPLATE_CODE = os.environ.get("ALIYUN_SMS_TEMPLATE_CODE", "")
        self.ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "")
        self.SMS_CODE_TTL_SECONDS = int(os.environ.get("SMS_CODE_TTL_SECONDS", "300"))
        self.SMS_CODE_ATTEMPTS = int(os.environ.get("SMS_CODE_ATTEMPTS", "5"))
        self.SMS_RESEND_SECONDS = int(os.environ.get("SMS_RESEND_SECONDS", "60"))
        self.SMS_PHONE_PER_HOUR = int(os.environ.get("SMS_PHONE_PER_HOUR", "5"))
        self.SMS_PHONE_PER_DAY = int(os.environ.get("SMS_PHONE_PER_DAY", "10"))
        self.SMS_CLIENT_PER_HOUR = int(os.environ.get("SMS_CLIENT_PER_HOUR", "20"))
        self.WECHATPAY_BASE_URL = os.environ.get("WECHATPAY_BASE_URL", "")
        self.WECHAT_OPEN_BASE_URL = os.environ.get("WECHAT_OPEN_BASE_URL", "")
        self.WECHAT_API_BASE_URL = os.environ.get("WECHAT_API_BASE_URL", "")
        # a font file with Chinese glyphs for product posters (else the usual system fonts)
        self.POSTER_FONT = os.environ.get("POSTER_FONT", "")
        self.KUAIDI100_BASE_URL = os.environ.get("KUAIDI100_BASE_URL", "")     # one host for poll + api (tests)
        # tracking: ask the carrier when a subscribed shipment has heard nothing for this long
        self.TRACKING_QUERY_AFTER_HOURS = int(os.environ.get("TRACKING_QUERY_AFTER_HOURS", "12"))
        self.CREDENTIALS_KEYS = os.environ.get("CREDENTIALS_KEYS", "")
        self.SANDBOX_NOTIFY_SCHEDULE = [int(x) for x in os.environ.get(
            "SANDBOX_NOTIFY_SCHEDULE", "4,10,10,60,120,360,900").split(",") if x.strip()]
        self.RECONCILE_AFTER_HOUR = int(os.environ.get("RECONCILE_AFTER_HOUR", "10"))
        self.PAYMENT_QUERY_AFTER_MINUTES = int(os.environ.get("PAYMENT_QUERY_AFTER_MINUTES", "15"))
        self.MIGRATE_JOBS = int(os.environ.get("MIGRATE_JOBS", "4"))
        # store schemas kept built ahead of time; creating a store renames one (0: always build)
        self.SCHEMA_POOL_SIZE = int(os.environ.get("SCHEMA_POOL_SIZE", "10"))
        self.API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
        # how many proxies (load balancer, nginx) stand in front of the app and set X-Forwarded-*:
        # 0 trusts no such header; N takes the client address N hops back (Werkzeug's ProxyFix)
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
        self.WEBHOOK_BACKOFF = [int(x) for x in os.environ.get(
            "WEBHOOK_BACKOFF", "30,60,120,300,600,1800,3600").split(",") if x.strip()]
        self.WEBHOOK_MAX_AGE_HOURS = int(os.environ.get("WEBHOOK_MAX_AGE_HOURS", "24"))
        # a list export of more rows than this runs as a background task with a download
        self.EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "3000"))
        self.WEBHOOK_DISABLE_AFTER = int(os.environ.get("WEBHOOK_DISABLE_AFTER", "15"))
        self.WEBHOOK_TIMEOUT = int(os.environ.get("WEBHOOK_TIMEOUT", "10"))
        # deliver webhooks to loopback/private addresses (on-premise installs only; off by default)
        self.WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", False)
