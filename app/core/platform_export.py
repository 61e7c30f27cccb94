"""Big exports of the platform's lists (the store list of a large fleet) in the background.

A store's exports are tasks in its own schema (core.tasks); the platform has no schema of its
own for tasks, so its exports are RQ jobs whose state RQ keeps: progress in the job's meta, the
file under the instance folder, the job kept a day after it finishes. The job id carries the
platform user who started it; only that user follows and downloads it
(platform/jobs_views.py).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from rq import get_current_job
from sqlalchemy import func, select

from app.core import jobs
from app.extensions import db

KEEP_SECONDS = 86400      # a finished export (and its file) can be downloaded for a day
# RQ's job statuses as the task states the progress fragment shows (core.tasks.STATE_LABELS)
STATES = {"queued": "queued", "scheduled": "queued", "deferred": "queued", "started": "running",
          "finished": "done", "failed": "failed", "stopped": "cancelled", "canceled": "cancelled"}


@dataclass
class PlatformExport:
    """What components/_task_progress.html reads of a task."""
    id: str
    title: str
    state: str
    progress: int = 0
    message: str = ""
    result_file: str | None = None
    error: str | None = None
    result: dict = field(default_factory=dict)
    created_by_name: str = ""
    created_at: object = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")


def exports_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "files" / "platform" / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prefix(user_id: int) -> str:
    return f"platform-export-{user_id}-"


def start_platform_export(actor, endpoint: str, args: dict, fmt: str, variant: str | None, locale: str,
                          title: str) -> str:
    """Queue the export of the platform list at `endpoint`; returns its job id."""
    job_id = _prefix(actor.id) + secrets.token_hex(8)
    jobs.enqueue(run_platform_export, endpoint, args, fmt, variant, locale, job_id=job_id,
                 job_meta={"title": title, "started_by": actor.email or "", "progress": 0}, result_ttl=KEEP_SECONDS)
    return job_id


@jobs.job(queue="default", timeout=3600, retry=())
def run_platform_export(endpoint: str, args: dict, fmt: str, variant: str | None, locale: str) -> str:
    """The export, written to the instance folder with its progress in the job's meta."""
    from werkzeug.datastructures import MultiDict

    from app.core.listview import LIST_VIEWS

    current = get_current_job()
    view = LIST_VIEWS.get(endpoint)
    if view is None or view.realm != "platform":
        raise jobs.BadJobInput(f"{endpoint!r} is not a platform list")
    view = view()
    with force_locale(locale):
        stmt, _state = view.filtered(MultiDict(args))
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        table = view.export_table(variant)
        name = view.export_filename(fmt, variant)
        path = exports_dir() / f"{current.id if current else 'inline'}-{name}"
        stmt = view.export_query(stmt, variant)

        def progress(done):
            if current is not None:
                current.meta.update(progress=100 if total <= 0 else min(99, int(done * 100 / total)),
                                    message=f"{done}/{total}")
                current.save_meta()

        if fmt == "xlsx":
            with open(path, "wb") as fh:
                table.write_xlsx(fh, stmt, progress)
        else:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                for text in table.csv_chunks(stmt, progress):
                    fh.write(text)
    if current is not None:
        current.meta.update(progress=100, message="", file=str(path), rows=total)
        current.save_meta()
    return str(path)


def platform_export(job_id: str, user_id: int) -> PlatformExport | None:
    """The export `job_id` if `user_id` started it and RQ still holds it, else None."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from app.core.redisconn import get_redis

    if not job_id.startswith(_prefix(user_id)):
        return None
    try:
        found = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        return None
    meta = found.get_meta(refresh=True) or {}
    status = found.get_status(refresh=False)
    state = STATES.get(getattr(status, "value", status) or "queued", "queued")    # JobStatus is a str Enum
    file = meta.get("file") if state == "done" else None
    error = None
    if state == "failed":
        error = ((found.exc_info or "").strip().splitlines() or ["?"])[-1][:300]
    return PlatformExport(id=job_id, title=meta.get("title", ""), state=state, progress=int(meta.get("progress", 0)),
                          message=meta.get("message", ""), result_file=file, error=error,
                          created_by_name=meta.get("started_by", ""), created_at=found.enqueued_at)


def export_file(export: PlatformExport) -> Path | None:
    """The finished export's file, if it is one of the platform's export files and still there."""
    if not export.result_file:
        return None
    path = Path(export.result_file)
    return path if path.parent == exports_dir() and path.exists() else None
