"""The outbox with a real worker process: delivered once, never lost, never doubled."""
import signal
import time
from pathlib import Path

from rq.registry import StartedJobRegistry
from sqlalchemy import func, select, update

from app.blueprints.platform.models import Store
from app.core import outbox
from app.core.audit import AuditEntry
from app.core.embedded import redis_url
from app.core.jobs import get_queue
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import WorkerProcess, wait_for


def _handler_name(topic: str) -> str:
    return next(h.name for h in outbox.HANDLERS if h.topic == topic)


def _emit(app, store, topic, payload=None) -> int:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        event = outbox.emit(topic, payload or {})
        event_id = event.id
        db.session.commit()
    return event_id


def _effects(app, store, action, event_id) -> int:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_label == str(event_id)))


def _event(app, store, event_id) -> outbox.OutboxEvent:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        event = db.session.get(outbox.OutboxEvent, event_id)
        db.session.expunge(event)
        return event


def _sweep(app, store) -> int:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        queued = outbox.sweep(grace=0)
        db.session.commit()
        return queued


def test_event_is_delivered_once_by_the_worker(app, store):
    event_id = _emit(app, store, "test.effect")
    wait_for(lambda: _event(app, store, event_id).status == "delivered")
    assert _effects(app, store, "test.effect", event_id) == 1


def test_rolled_back_transaction_emits_nothing(app, store):
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        event_id = outbox.emit("test.effect", {}).id
        db.session.rollback()
        assert db.session.get(outbox.OutboxEvent, event_id) is None
    time.sleep(1.5)
    assert _effects(app, store, "test.effect", event_id) == 0


def test_an_event_emitted_inside_a_savepoint_is_dispatched_after_the_outer_commit(app, store):
    """Releasing a SAVEPOINT is not a commit: dispatching then would queue a job for a row the
    worker cannot see yet (found by the payment query job, which uses one savepoint per payment)."""
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        with db.session.begin_nested():
            event_id = outbox.emit("test.effect", {}).id
        assert db.session.info.get("houtai_after_commit"), "dispatched before the outer commit"
        db.session.commit()
        assert not db.session.info.get("houtai_after_commit")
    wait_for(lambda: _event(app, store, event_id).status == "delivered")
    assert _effects(app, store, "test.effect", event_id) == 1


def test_the_same_event_delivered_twice_has_one_effect(app, store):
    event_id = _emit(app, store, "test.effect")
    wait_for(lambda: _event(app, store, event_id).status == "delivered")
    # deliver it again, through the queue and in this process
    with app.app_context():
        outbox.dispatch(store.id, event_id, "test.effect")
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        name = _handler_name("test.effect")
        assert outbox.run_handler(event_id, name) == "done"
        db.session.commit()
    time.sleep(1.5)
    assert _effects(app, store, "test.effect", event_id) == 1


def test_redis_down_at_commit_keeps_the_change_and_delivers_later(app, store, worker):
    redis = app.extensions["houtai_redis"]
    redis.shutdown(nosave=False)
    try:
        event_id = _emit(app, store, "test.effect")  # the commit must succeed without Redis
        assert _event(app, store, event_id).status == "pending"
    finally:
        redis_url(Path(app.config["INSTANCE_PATH"]))  # start it again, same socket and data
    wait_for(lambda: redis.ping())
    assert _effects(app, store, "test.effect", event_id) == 0
    assert _sweep(app, store) >= 1
    wait_for(lambda: _event(app, store, event_id).status == "delivered")
    assert _effects(app, store, "test.effect", event_id) == 1
    # the worker's scheduler process died with the connection: give later tests a fresh one
    worker.stop()
    worker.start(take_over_scheduler=True)


def test_worker_killed_mid_job_does_not_double_the_effect(app, store, worker):
    event_id = _emit(app, store, "test.slow", {"seconds": 3})
    registry = StartedJobRegistry(queue=get_queue("default", app.extensions["houtai_redis"]))
    with app.app_context():
        wait_for(lambda: registry.get_job_ids(), interval=0.05)
    worker.stop(signal.SIGKILL)  # the worker and its work horse die mid-handler
    try:
        assert _effects(app, store, "test.slow", event_id) == 0
        assert _event(app, store, event_id).status == "pending"
    finally:
        worker.start(take_over_scheduler=True)
    assert _sweep(app, store) >= 1
    wait_for(lambda: _event(app, store, event_id).status == "delivered")
    assert _effects(app, store, "test.slow", event_id) == 1


def test_a_handler_that_keeps_failing_is_dead_lettered_and_can_be_retried(app, store, owner):
    event_id = _emit(app, store, "test.flaky", {"fail": True})
    name = _handler_name("test.flaky")
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        for _ in range(outbox.MAX_ATTEMPTS):
            outbox.run_handler(event_id, name)
            db.session.commit()
    dead = _event(app, store, event_id)
    assert dead.status == "dead" and "flaky handler failed on purpose" in dead.last_error
    page = owner.get(f"/store/{store.slug}/events?status=dead").get_data(as_text=True)
    assert "test.flaky" in page and "flaky handler failed on purpose" in page
    with app.app_context(), store_context(db.session.get(Store, store.id)):  # the cause is fixed
        db.session.execute(update(outbox.OutboxEvent).where(outbox.OutboxEvent.id == event_id)
                           .values(payload={"fail": False}))
        db.session.commit()
    response = owner.form(f"/store/{store.slug}/events/{event_id}/retry")
    assert response.status_code == 303
    wait_for(lambda: _event(app, store, event_id).status == "delivered")
    assert _effects(app, store, "test.flaky", event_id) == 1


def test_store_services_emit_events(app, owner, store):
    owner.form(f"/store/{store.slug}/roles/new", {"name": "Packer", "permissions": ["store.dashboard"]})
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        topics = db.session.scalars(select(outbox.OutboxEvent.topic)).all()
    assert "role.changed" in topics
