"""Handlers that exist only in tests (loaded by workers through HOUTAI_EXTRA_MODULES).

Their effect is an audit entry per run, so a test can count effects in the database."""
import time

from app.core import audit
from app.core.outbox import handler, register_topic

for _topic in ("test.effect", "test.slow", "test.flaky"):
    register_topic(_topic, _topic)


@handler("test.effect")
def record_effect(event):
    audit.record(None, "test.effect", label=str(event.id))


@handler("test.slow")
def slow_effect(event):
    audit.record(None, "test.slow", label=str(event.id))
    time.sleep(float(event.payload.get("seconds", 5)))


@handler("test.flaky")
def flaky_effect(event):
    """Fails while payload['fail'] is set in the event row (tests clear it)."""
    if event.payload.get("fail"):
        raise RuntimeError("flaky handler failed on purpose")
    audit.record(None, "test.flaky", label=str(event.id))


from app.core.tasks import task  # noqa: E402


@task("test.count", "Count slowly")
def count_slowly(ctx, steps: int = 20, pause: float = 0.2) -> dict:
    for i in range(1, steps + 1):
        time.sleep(pause)
        ctx.progress(i, steps, f"step {i}")
    return {"counted": steps}


from app.core import jobs  # noqa: E402


@jobs.job(queue="default", retry=(1, 1))
def flaky_job(marker: str) -> str:
    from app.core.redisconn import get_redis

    tries = get_redis().incr(f"test:tries:{marker}")
    if tries < 3:
        raise ConnectionError("transient")
    return f"ok after {tries}"


@jobs.job(queue="default", retry=(1, 1))
def bad_input_job(marker: str) -> str:
    from app.core.redisconn import get_redis

    get_redis().incr(f"test:tries:{marker}")
    raise jobs.BadJobInput("this row does not exist")


@jobs.job(queue="default", retry=())
def prepared_statements_job(runs: int = 10) -> int:
    """Runs one query `runs` times in the worker, then counts the statements this
    connection prepared on the server."""
    from sqlalchemy import text

    from app.extensions import db

    for _ in range(runs):
        db.session.execute(text("SELECT count(*) FROM platform.stores WHERE id > :n"), {"n": 0})
    return db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


@jobs.job(queue="default", retry=())
def database_port_job() -> int | None:
    """The port of the database this worker connects to (PgBouncer's, in tests/pgbouncer)."""
    from app.extensions import db

    return db.engine.url.port


@jobs.job(queue="default", retry=())
def report_config(key: str) -> str:
    """Write the settings this worker runs with to Redis under `key` (tests compare them)."""
    import json

    from flask import current_app

    from app.core.redisconn import get_redis
    from tests.support.config_keys import COMPARED

    get_redis().set(key, json.dumps({name: current_app.config.get(name) for name in COMPARED}))
    return key
