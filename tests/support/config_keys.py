"""Settings a worker must share with the web process (tests/core/test_config.py)."""
COMPARED = ("SANDBOX_GATEWAY", "PUBLIC_URL", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALIPAY_GATEWAY_URL",
            "STRIPE_API_BASE", "CREDENTIALS_KEYS", "SANDBOX_NOTIFY_SCHEDULE", "DEVELOPMENT", "BABEL_DEFAULT_LOCALE")
