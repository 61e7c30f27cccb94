"""Long-running work with progress (imports, exports, recounts).

``start_task(actor, kind, title, **params)`` records a task and queues it after commit. The
task function gets a ``TaskContext``: ``ctx.progress(done, total, message)`` writes progress
on its own connection (visible at once, whatever the job's transaction holds) and raises
``TaskCancelled`` once someone pressed Cancel. Any page can embed the polled progress bar
(``components/_task_progress.html``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Text, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import jobs
from app.core.db import TENANT_SCHEMA, tenant_args, utcnow
from app.core.periodic import every
from app.core.tenancy import current_store
from app.extensions import db

log = logging.getLogger(__name__)

TASK_STATES = ("queued", "running", "done", "failed", "cancelled")
STATE_LABELS = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed"),
                "cancelled": _l("Cancelled")}
FINISHED = ("done", "failed", "cancelled")


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSONB, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    result: Mapped[dict] = mapped_column(JSONB, default=dict)
    result_file: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class TaskCancelled(Exception):
    """Raised inside a task once someone asked to cancel it."""


@dataclass(frozen=True)
class TaskKind:
    kind: str
    label: object
    fn: Callable
    queue: str
    results: dict = field(default_factory=dict)   # result key -> label people read


KINDS: dict[str, TaskKind] = {}


def task(kind: str, label, queue: str = "default", results: dict | None = None):
    """Declare a task function ``fn(ctx, **params) -> dict`` (the dict is shown as the result,
    each key under its label in `results`)."""

    def decorate(fn):
        KINDS[kind] = TaskKind(kind, label, fn, queue, dict(results or {}))
        return fn

    return decorate


def start_task(actor, kind: str, title: str, **params) -> Task:
    """Record a task and queue it once the caller commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}")
    row = Task(kind=kind, title=title[:200], params=params, state="queued",
               created_by_id=getattr(actor, "id", None), created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(row)
    db.session.flush()
    _queue_after_commit(row)
    return row


def task_job_id(store_id: int, task_id: int) -> str:
    return f"task-{store_id}-{task_id}"


def _queue_after_commit(row: Task, again: bool = False) -> None:
    store_id, task_id, queue = current_store().id, row.id, KINDS[row.kind].queue
    job_id = task_job_id(store_id, task_id)

    def push():
        if again:
            jobs.discard(job_id)    # the dead job leaves the failed list: the task is being run again
        jobs.enqueue(run_task, task_id, store_id=store_id, queue=queue, job_id=job_id)

    jobs.after_commit(push)


LOST_AFTER = timedelta(minutes=2)   # a new task's job gets this long to show up in RQ
MAX_REQUEUES = 3


@every(60)
def requeue_lost_tasks() -> int:
    """Maintenance: a task still "queued" or "running" whose job RQ no longer holds (its worker
    was killed, the enqueue after commit failed, Redis restarted empty) is queued again, from
    the start (a task commits once, at its end). After MAX_REQUEUES it fails with a message
    instead, so a task that kills its worker every time does not loop. Returns how many."""
    cutoff = utcnow() - LOST_AFTER
    rows = db.session.scalars(select(Task).where(Task.state.in_(("queued", "running")),
                                                 Task.created_at < cutoff).order_by(Task.id)).all()
    store_id, count = current_store().id, 0
    for row in rows:
        if row.kind not in KINDS or jobs.job_alive(task_job_id(store_id, row.id)):
            continue
        requeued = int((row.result or {}).get("requeued", 0))
        if requeued >= MAX_REQUEUES:
            row.state, row.finished_at = "failed", utcnow()
            row.error = f"The worker stopped {requeued + 1} times while running this task."
            continue
        row.state, row.progress, row.message, row.started_at = "queued", 0, "", None
        row.result = {"requeued": requeued + 1}
        _queue_after_commit(row, again=True)
        count += 1
        log.warning("task %s of store %s had no job; queued again", row.id, store_id)
    return count


def request_cancel(task_row: Task) -> None:
    if not task_row.finished:
        task_row.cancel_requested = True
        if task_row.state == "queued":
            task_row.state, task_row.finished_at = "cancelled", utcnow()


def files_dir() -> Path:
    """Where this store's task files live (the path carries the store)."""
    path = Path(current_app.config["INSTANCE_PATH"]) / "files" / f"store_{current_store().id}" / "tasks"
    path.mkdir(parents=True, exist_ok=True)
    return path


class TaskContext:
    """Handed to a task function: progress, cancellation and a place for its file."""

    def __init__(self, task_id: int, params: dict):
        self.task_id, self.params = task_id, params
        self.schema = current_store().schema

    def _write(self, **values) -> bool:
        """Update the task row on a separate connection; returns cancel_requested."""
        with db.engine.connect() as conn:
            conn = conn.execution_options(schema_translate_map={TENANT_SCHEMA: self.schema})
            cancelled = conn.execute(update(Task).where(Task.id == self.task_id).values(**values)
                                     .returning(Task.cancel_requested)).scalar()
            conn.commit()
        return bool(cancelled)

    def progress(self, done: int, total: int, message: str = "") -> None:
        percent = 100 if total <= 0 else min(99, int(done * 100 / total))
        if self._write(progress=percent, message=message[:300]):
            raise TaskCancelled()

    def file_path(self, name: str) -> Path:
        return files_dir() / f"{self.task_id}-{name}"


@jobs.job(queue="default", timeout=3600, retry=())
def run_task(task_id: int) -> str:
    row = db.session.get(Task, task_id)
    if row is None:
        raise jobs.BadJobInput(f"task {task_id} does not exist")
    if row.finished:
        return row.state  # cancelled before it started, or a repeated delivery
    ctx = TaskContext(task_id, dict(row.params))
    ctx._write(state="running", started_at=utcnow())
    try:
        result = KINDS[row.kind].fn(ctx, **row.params) or {}
    except TaskCancelled:
        db.session.rollback()
        ctx._write(state="cancelled", finished_at=utcnow(), message="")
        return "cancelled"
    except Exception as err:
        db.session.rollback()
        ctx._write(state="failed", finished_at=utcnow(), error=f"{type(err).__name__}: {err}"[:4000])
        raise
    file = result.pop("file", None)
    row = db.session.get(Task, task_id)
    row.state, row.progress, row.finished_at, row.result, row.message = "done", 100, utcnow(), result, ""
    row.result_file = str(file) if file else None
    return "done"


def result_items(row) -> list[tuple[str, object]]:
    """A finished task's result as (label, value) pairs in the reader's language."""
    kind = KINDS.get(row.kind)
    labels = kind.results if kind else {}
    return [(str(labels.get(key, key)), value) for key, value in (row.result or {}).items()
            if key != "requeued"]
