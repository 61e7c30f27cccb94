"""Periodic work: a store job declared with ``@every(seconds)`` runs for each active store.

``rq cron app.cron`` (started by ``make run``) enqueues ``fan_out`` for each declaration;
``fan_out`` queues the job once per active store.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core import jobs


@dataclass(frozen=True)
class Periodic:
    job_name: str
    seconds: int


PERIODIC: list[Periodic] = []


def every(seconds: int, queue: str = "default", timeout: int = 600):
    """Declare a store-scoped job that runs every `seconds` in every active store."""

    def decorate(fn):
        jobs.job(queue=queue, timeout=timeout, retry=())(fn)
        PERIODIC.append(Periodic(fn.job_name, seconds))
        return fn

    return decorate


PLATFORM_PERIODIC: list[Periodic] = []


def every_platform(seconds: int, queue: str = "default", timeout: int = 600):
    """Declare a platform job (no store bound) that runs every `seconds`."""

    def decorate(fn):
        jobs.job(queue=queue, timeout=timeout, retry=())(fn)
        PLATFORM_PERIODIC.append(Periodic(fn.job_name, seconds))
        return fn

    return decorate


def run_platform(job_name: str):
    """What the cron scheduler runs for a platform job."""
    return jobs.run_job(job_name, None, [], {})


def fan_out(job_name: str) -> int:
    """Queue `job_name` for every active store (what the cron scheduler runs)."""
    from sqlalchemy import select

    from app.blueprints.platform.models import Store
    from app.extensions import db

    app = jobs._get_app()
    with app.app_context():
        ids = db.session.scalars(select(Store.id).where(Store.status == "active")).all()
        db.session.remove()
        for store_id in ids:
            jobs.enqueue(job_name, store_id=store_id)
    return len(ids)
