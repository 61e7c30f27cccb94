"""Transactional outbox (DESIGN rule 3).

``emit(topic, payload)`` writes an event row in the bound store's schema, in the caller's
transaction. After commit the fast path queues one job per registered handler; a periodic
sweep queues whatever the fast path missed (Redis was down, the process died). Each
(event, handler) pair takes effect at most once: the handler's writes and its "done" row
commit together, under a lock on the event row. A handler that keeps failing is retried
with back-off and, after MAX_ATTEMPTS, the event is dead-lettered for a person to retry.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import jobs
from app.core.db import tenant_args, utcnow
from app.core.tenancy import current_store
from app.extensions import db

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = (10, 60, 300, 1800, 7200)   # seconds before attempt 2, 3, ...
SWEEP_GRACE = 30                      # the fast path gets this long before the sweep steps in
EVENT_STATUSES = ("pending", "delivered", "dead")


class OutboxEvent(db.Model):
    __tablename__ = "outbox_events"
    __table_args__ = tenant_args(Index("ix_outbox_events_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HandlerRun(db.Model):
    """One row per (event, handler) once the handler has been tried."""

    __tablename__ = "event_handler_runs"
    __table_args__ = tenant_args()

    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenant.outbox_events.id", ondelete="CASCADE"),
                                          primary_key=True)
    handler: Mapped[str] = mapped_column(String(160), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="failed")   # done | failed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Event:
    """What a handler receives: plain values, never the ORM row."""

    id: int
    topic: str
    payload: dict
    created_at: datetime


@dataclass(frozen=True)
class Handler:
    name: str
    topic: str            # a topic, or "*" for every topic
    fn: Callable[[Event], Any]
    queue: str


HANDLERS: list[Handler] = []
TOPICS: dict[str, object] = {}


def register_topic(topic: str, label) -> str:
    """Declare a topic a center emits (webhook subscribers pick from these). Centers list
    theirs in their `Center(topics=...)`; emitting an undeclared topic is refused."""
    TOPICS[topic] = label
    return topic


def handler(topic: str, queue: str = "default"):
    """Register a reaction to `topic` ("*" for all). It must be idempotent in what it does
    outside the database; inside it, the outbox makes it take effect once."""

    def decorate(fn):
        HANDLERS.append(Handler(f"{fn.__module__}.{fn.__qualname__}", topic, fn, queue))
        return fn

    return decorate


def handlers_for(topic: str) -> list[Handler]:
    return [h for h in HANDLERS if h.topic in (topic, "*")]


def _handler(name: str) -> Handler | None:
    return next((h for h in HANDLERS if h.name == name), None)


def emit(topic: str, payload: dict) -> OutboxEvent:
    """Record an event in the caller's transaction; it is delivered after commit. The topic
    must be declared (webhook subscribers can only pick declared topics)."""
    if topic not in TOPICS:
        raise ValueError(f"topic {topic!r} is not declared: add it to its center's Center(topics=...)")
    store = current_store()
    event = OutboxEvent(topic=topic, payload=payload, status="pending", next_attempt_at=utcnow())
    db.session.add(event)
    db.session.flush()
    event_id = event.id
    jobs.after_commit(lambda: dispatch(store.id, event_id, topic))
    return event


def dispatch(store_id: int, event_id: int, topic: str, only: set[str] | None = None) -> int:
    """Queue one job per handler of `topic` (the fast path and the sweep). Returns how many."""
    count = 0
    for h in handlers_for(topic):
        if only is None or h.name in only:
            jobs.enqueue(run_handler, event_id, h.name, store_id=store_id, queue=h.queue)
            count += 1
    return count


@jobs.job(queue="default", timeout=600, retry=())
def run_handler(event_id: int, handler_name: str) -> str:
    """Run one handler for one event, at most once in effect."""
    event = db.session.get(OutboxEvent, event_id, with_for_update=True)
    if event is None:
        return "gone"
    spec = _handler(handler_name)
    if spec is None:
        raise jobs.BadJobInput(f"no handler {handler_name}")
    run = db.session.get(HandlerRun, (event_id, handler_name))
    if run is not None and run.status in ("done", "dead"):
        return run.status
    if run is None:
        run = HandlerRun(event_id=event_id, handler=handler_name, attempts=0)
        db.session.add(run)
    run.attempts += 1
    savepoint = db.session.begin_nested()
    try:
        spec.fn(Event(event.id, event.topic, dict(event.payload), event.created_at))
        db.session.flush()
        savepoint.commit()
    except Exception as err:  # recorded and retried; the handler's writes are rolled back
        savepoint.rollback()
        log.warning("handler %s failed on event %s: %s", handler_name, event_id, err)
        _failed(event, run, err)
    else:
        run.status, run.last_error, run.finished_at = "done", None, utcnow()
    _settle(event)
    return run.status


def _failed(event: OutboxEvent, run: HandlerRun, err: Exception) -> None:
    run.last_error = f"{type(err).__name__}: {err}"[:4000]
    event.last_error = f"{run.handler}: {run.last_error}"[:4000]
    event.attempts = max(event.attempts, run.attempts)
    if run.attempts >= MAX_ATTEMPTS:
        run.status, event.status = "dead", "dead"
        return
    run.status = "failed"
    wait = BACKOFF[min(run.attempts - 1, len(BACKOFF) - 1)]
    event.next_attempt_at = utcnow() + timedelta(seconds=wait)
    store_id, event_id, name = current_store().id, event.id, run.handler
    jobs.after_commit(lambda: jobs.enqueue(run_handler, event_id, name, store_id=store_id,
                                           queue=_handler(name).queue, delay=wait))


def _settle(event: OutboxEvent) -> None:
    """Mark the event delivered once every handler is done."""
    if event.status != "pending":
        return
    done = set(db.session.scalars(select(HandlerRun.handler).where(
        HandlerRun.event_id == event.id, HandlerRun.status == "done")))
    if all(h.name in done for h in handlers_for(event.topic)):
        event.status, event.delivered_at = "delivered", utcnow()


def sweep(grace: int = SWEEP_GRACE, limit: int = 1000) -> int:
    """Queue the handlers of pending events the fast path missed. Returns jobs queued."""
    now = utcnow()
    due = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.status == "pending", OutboxEvent.next_attempt_at <= now,
                                  OutboxEvent.created_at <= now - timedelta(seconds=grace))
        .order_by(OutboxEvent.id).limit(limit)).all()
    store_id, queued = current_store().id, 0
    for event in due:
        done = set(db.session.scalars(select(HandlerRun.handler).where(
            HandlerRun.event_id == event.id, HandlerRun.status.in_(("done", "dead")))))
        pending = {h.name for h in handlers_for(event.topic)} - done
        if not pending:
            _settle(event)
            continue
        queued += dispatch(store_id, event.id, event.topic, only=pending)
        # the next sweep waits a while for these jobs before queueing them again
        event.next_attempt_at = now + timedelta(seconds=max(grace, 60))
    return queued


def retry_dead(actor, event: OutboxEvent) -> OutboxEvent:
    """A person retries a dead-lettered event: its dead handlers get fresh attempts."""
    from app.core import audit

    if event.status != "dead":
        from app.core.errors import IllegalTransition
        from flask_babel import gettext as _

        raise IllegalTransition(_("Only dead events can be retried."))
    runs = db.session.scalars(select(HandlerRun).where(HandlerRun.event_id == event.id,
                                                       HandlerRun.status.in_(("dead", "failed")))).all()
    for run in runs:
        run.status, run.attempts = "failed", 0
    event.status, event.attempts, event.next_attempt_at = "pending", 0, utcnow()
    audit.record(actor, "event.retried", event, label=f"{event.topic} #{event.id}")
    store_id, event_id, topic = current_store().id, event.id, event.topic
    jobs.after_commit(lambda: dispatch(store_id, event_id, topic, only={r.handler for r in runs}))
    return event


from app.core.periodic import every  # noqa: E402


@every(60)
def sweep_outbox() -> int:
    """Periodic safety net: deliver what the fast path missed in this store."""
    return sweep()
