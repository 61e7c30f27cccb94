"""The job helper's retry policy, periodic fan-out and the Redis health warning."""
from rq import Queue

from app.core import jobs, periodic
from tests.conftest import wait_for
from tests.support.handlers import bad_input_job, flaky_job


def test_transient_errors_are_retried_with_backoff(app):
    with app.app_context():
        job = jobs.enqueue(flaky_job, "transient")
        wait_for(lambda: job.get_status(refresh=True) == "finished")
        assert job.return_value() == "ok after 3"


def test_bad_input_is_not_retried(app):
    with app.app_context():
        job = jobs.enqueue(bad_input_job, "bad")
        wait_for(lambda: job.get_status(refresh=True) == "failed")
        import time
        time.sleep(2.5)
        assert int(app.extensions["houtai_redis"].get("test:tries:bad")) == 1


def test_cron_config_declares_a_fan_out_per_periodic_job(app):
    import importlib

    from rq import cron

    module = importlib.import_module("app.cron")
    scheduler = cron.CronScheduler(connection=app.extensions["houtai_redis"])
    scheduler.load_config_from_file("app.cron")
    names = {job.name for job in scheduler.get_jobs()}
    assert {f"fan_out:{p.job_name}" for p in periodic.PERIODIC} <= names
    assert "fan_out:app.core.outbox.sweep_outbox" in names and module


def test_fan_out_queues_the_job_once_per_active_store(app, make_store):
    a, b = make_store(), make_store()
    from tests.conftest import StoreInfo  # noqa: F401
    with app.app_context():
        queue = Queue("default", connection=app.extensions["houtai_redis"])
        count = periodic.fan_out("app.core.outbox.sweep_outbox")
        assert count >= 2
    assert queue is not None


def test_healthz_warns_when_redis_may_evict_jobs(app, client):
    redis = app.extensions["houtai_redis"]
    redis.config_set("maxmemory-policy", "allkeys-lru")
    try:
        body = client.get("/healthz").get_json()
        assert body["warnings"] and "noeviction" in body["warnings"][0]
    finally:
        redis.config_set("maxmemory-policy", "noeviction")
