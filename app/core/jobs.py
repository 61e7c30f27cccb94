"""Background jobs on RQ (DESIGN rule 1: one commit per job, at its boundary).

A center declares a job with ``@job(queue=..., timeout=..., retry=(...))``; callers use
``enqueue(fn, *ids, store_id=...)``. The job runs in an app context with the store bound,
takes plain ids (never ORM objects), commits once at the end and rolls back on error.
Transient errors are retried with the declared back-off; ``BadJobInput`` is not retried.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from rq import Queue, Retry, get_current_job
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUES = ("default", "stock", "logistics", "finance", "mail", "webhooks")
# what an operator reads for each queue (a queue added without a label shows its name)
QUEUE_LABELS = {"default": _l("General"), "stock": _l("Stock"), "logistics": _l("Logistics"),
                "finance": _l("Finance"), "mail": _l("Mail"), "webhooks": _l("Webhooks")}
WORKER_STATES = {"idle": _l("Idle"), "busy": _l("Busy"), "started": _l("Starting"), "suspended": _l("Suspended")}


def queue_label(name: str) -> str:
    return str(QUEUE_LABELS.get(name, name))


def worker_state_label(state: str) -> str:
    return str(WORKER_STATES.get(str(state), state))


class BadJobInput(Exception):
    """The job's arguments cannot work (missing row, deleted store): fail, do not retry."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable
    queue: str
    timeout: int
    retry: tuple[int, ...]


REGISTRY: dict[str, JobSpec] = {}


def job(queue: str = "default", timeout: int = 300, retry: tuple[int, ...] = (10, 60, 300)):
    """Declare a job function. `retry` lists the waits (seconds) before each retry."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"
        REGISTRY[name] = JobSpec(name, fn, queue, timeout, tuple(retry))
        fn.job_name = name
        return fn

    return decorate


def get_queue(name: str, connection=None) -> Queue:
    from app.core.redisconn import get_redis

    return Queue(name, connection=connection or get_redis())


def enqueue(fn, *args, store_id: int | None = None, delay: int | None = None, queue: str | None = None,
            job_id: str | None = None, job_meta: dict | None = None, result_ttl: int | None = None, **kwargs):
    """Queue a declared job now (or after `delay` seconds), on its queue unless `queue` says
    otherwise. Arguments must be plain values (ids, strings), never ORM objects. A `job_id`
    lets the caller ask later whether the job is still alive (`job_alive`); `job_meta` is kept
    in RQ's meta beside ours, and `result_ttl` keeps a finished job (and its meta) that long."""
    spec = REGISTRY[getattr(fn, "job_name", fn)]
    options = dict(
        job_timeout=spec.timeout,
        retry=Retry(max=len(spec.retry), interval=list(spec.retry)) if spec.retry else None,
        meta={**(job_meta or {}), "store_id": store_id, "job": spec.name},
        description=f"{spec.name} store={store_id} args={args}",
        failure_ttl=7 * 86400,
    )
    if job_id:
        options["job_id"] = job_id
    if result_ttl is not None:
        options["result_ttl"] = result_ttl
    target = get_queue(queue or spec.queue)
    call = ("app.core.jobs.run_job", spec.name, store_id, list(args), kwargs)
    if delay:
        from datetime import timedelta

        return target.enqueue_in(timedelta(seconds=delay), *call, **options)
    return target.enqueue(*call, **options)


def job_alive(job_id: str) -> bool:
    """Whether RQ still holds the job: waiting on its queue (or being taken from it), scheduled,
    deferred, or running on a worker whose heartbeat is current. A job whose worker was killed
    counts as alive until its heartbeat lapses (90 s with WORKER_CLASS=fork; the job's timeout
    + 60 s with the default in-process worker, which cannot beat while a job runs); RQ's own
    registry clean-up then marks it abandoned, as done here first."""
    from rq.intermediate_queue import IntermediateQueue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from app.core.redisconn import get_redis

    redis = get_redis()
    try:
        found = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = found.get_status(refresh=False)
    if status in (JobStatus.SCHEDULED, JobStatus.DEFERRED):
        return True
    queue = Queue(found.origin, connection=redis)
    if status == JobStatus.QUEUED:
        return redis.lpos(queue.key, job_id) is not None or \
            redis.lpos(IntermediateQueue(queue.key, connection=redis).key, job_id) is not None
    if status == JobStatus.STARTED:
        import time

        queue.started_job_registry.cleanup(timestamp=time.time())
        return found.get_status(refresh=True) == JobStatus.STARTED
    return False        # finished, failed, stopped or cancelled: nothing will run it again


def discard(job_id: str) -> None:
    """Forget a dead job (and its place in the failed list) before it is queued again under its id."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from app.core.redisconn import get_redis

    try:
        Job.fetch(job_id, connection=get_redis()).delete()
    except NoSuchJobError:
        pass


# --- running ------------------------------------------------------------------------------

_app = None
_engine_pid = None


def set_app(app) -> None:
    global _app
    _app = app


def _get_app():
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:  # a plain `rq worker` process
        from app import create_app

        _app = create_app()
    return _app


def _after_fork() -> None:
    """RQ forks a work horse per job: its pooled connections belong to the parent."""
    global _engine_pid
    from app.extensions import db

    if _engine_pid != os.getpid():
        db.engine.dispose(close=False)
        _engine_pid = os.getpid()


def _load_store(store_id: int):
    from app.blueprints.platform.models import Store
    from app.extensions import db

    store = db.session.get(Store, store_id)
    if store is None or store.status == "deleted":
        raise BadJobInput(f"store {store_id} does not exist")
    return store


def run_job(name: str, store_id: int | None, args: list, kwargs: dict) -> Any:
    """What RQ executes: app context, store bound, one commit (run again if the database
    aborted it as a deadlock victim)."""
    from app.core.retry import in_transaction
    from app.core.tenancy import store_context
    from app.extensions import db

    app = _get_app()
    with app.app_context():
        _after_fork()
        try:
            spec = REGISTRY.get(name)
            if spec is None:
                raise BadJobInput(f"unknown job {name}")
            if store_id is None:
                result = in_transaction(lambda: spec.fn(*args, **kwargs))
            else:
                with store_context(_load_store(store_id)):
                    result = in_transaction(lambda: spec.fn(*args, **kwargs))
            return result
        except BadJobInput:
            db.session.rollback()
            current = get_current_job()
            if current is not None:
                current.retries_left = 0  # bad input: retrying cannot help
            raise
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


# --- side effects after commit (Saleor's on_commit) ---------------------------------------

def after_commit(fn: Callable[[], Any], session: Session | None = None) -> None:
    """Run `fn` once the current transaction commits; drop it if it rolls back."""
    from app.extensions import db

    session = session or db.session()
    session.info.setdefault("houtai_after_commit", []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session) -> None:
    if session.in_nested_transaction():
        return      # a SAVEPOINT was released; the outer transaction has not committed yet
    callbacks = session.info.pop("houtai_after_commit", [])
    for fn in callbacks:
        try:
            fn()
        except Exception:  # the change is committed; the sweep catches what this missed
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session) -> None:
    session.info.pop("houtai_after_commit", None)
