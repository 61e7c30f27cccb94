"""The app's Redis connection (sessions, rate limits, RQ)."""
from flask import current_app
from redis import Redis


def init_redis(app) -> None:
    app.extensions["houtai_redis"] = Redis.from_url(app.config["REDIS_URL"], health_check_interval=30,
                                                    socket_connect_timeout=3)  # down: a 503 soon, not a hang


def get_redis() -> Redis:
    return current_app.extensions["houtai_redis"]
