"""Failed jobs across stores (RQ's failed registries), with retry and delete."""
from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from app.blueprints.platform import bp
from app.blueprints.platform.models import Store
from app.core.htmx import redirect_to
from app.core.jobs import QUEUES, get_queue
from app.core.permissions import platform_staff
from app.core.redisconn import get_redis
from app.extensions import db

PER_PAGE = 50


def _registries(queue: str | None):
    redis = get_redis()
    names = [queue] if queue in QUEUES else list(QUEUES)
    return [FailedJobRegistry(queue=get_queue(n, redis)) for n in names]


@bp.route("/jobs/failed")
@platform_staff
def failed_jobs():
    queue = request.args.get("queue") or None
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    ids = [(r.name, job_id) for r in _registries(queue) for job_id in r.get_job_ids()]
    total = len(ids)
    window = ids[(page - 1) * PER_PAGE: page * PER_PAGE]
    jobs = Job.fetch_many([j for _, j in window], connection=get_redis())
    rows = [(name, job) for (name, _), job in zip(window, jobs) if job is not None]
    store_ids = {job.meta.get("store_id") for _, job in rows if job.meta.get("store_id")}
    rows_ = db.session.execute(select(Store.id, Store.slug).where(Store.id.in_(store_ids))).all() if store_ids else []
    stores = {store_id: slug for store_id, slug in rows_}
    return render_template("platform/failed_jobs.html", rows=rows, stores=stores, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), queue=queue, queues=QUEUES)


def _job_action(job_id: str, action: str) -> None:
    redis = get_redis()
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        flash(_("That job no longer exists."), "error")
        return
    registry = FailedJobRegistry(queue=get_queue(job.origin, redis))
    if action == "retry":
        registry.requeue(job)
        flash(_("Job queued again."), "success")
    else:
        registry.remove(job, delete_job=True)
        flash(_("Job deleted."), "success")


@bp.route("/jobs/failed/<job_id>/retry", methods=["POST"])
@platform_staff
def failed_job_retry(job_id):
    _job_action(job_id, "retry")
    return redirect_to(url_for("platform.failed_jobs"))


@bp.route("/jobs/failed/<job_id>/delete", methods=["POST"])
@platform_staff
def failed_job_delete(job_id):
    _job_action(job_id, "delete")
    return redirect_to(url_for("platform.failed_jobs"))


# --- big exports of the platform's lists (core.platform_export) -----------------------------------

def _own_export(id: str):
    """The signed-in platform user's own export (anyone else's, or one RQ no longer keeps, is 404)."""
    from flask import abort
    from flask_login import current_user

    from app.core.platform_export import platform_export

    found = platform_export(id, current_user.id)
    if found is None:
        abort(404)
    return found


@bp.route("/exports/<id>")
@platform_staff
def export_job(id):
    from app.core.tasks import STATE_LABELS

    return render_template("platform/export_job.html", task=_own_export(id), states=STATE_LABELS, jobs="platform")


@bp.route("/exports/<id>/progress")
@platform_staff
def job_progress(id):
    """The polled progress fragment (components/_task_progress.html)."""
    from app.core.tasks import STATE_LABELS

    return render_template("components/_task_progress.html", task=_own_export(id), states=STATE_LABELS,
                           jobs="platform")


@bp.route("/exports/<id>/file")
@platform_staff
def job_file(id):
    from flask import abort, send_file

    from app.core.platform_export import export_file

    path = export_file(_own_export(id))
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=path.name.split("-", 4)[-1])
