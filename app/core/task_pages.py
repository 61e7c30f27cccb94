"""The four pages of one long task — detail, polled progress, cancel, download — for any blueprint.

The store's Jobs and the supplier portal serve the same task rows; what differs is who may see a task
(`find`), how the visitor is signed in (`guard`) and the page's layout (`layout`)::

    task_pages(bp, find=_task, guard=signed_in_staff, layout="layouts/store.html", list_endpoint="store.jobs")
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from flask import Blueprint, abort, render_template, send_file, url_for
from flask_babel import gettext as _

from app.core import tasks
from app.core.formview import perform
from app.core.htmx import redirect_to


def send_result(task: tasks.Task):
    """The task's file as a download, only from this store's task folder; 404 otherwise."""
    path = Path(task.result_file) if task.result_file else None
    if path is None or path.parent != tasks.files_dir() or not path.exists():
        abort(404)
    return send_file(path, as_attachment=True, download_name=path.name.split("-", 1)[-1])


def task_pages(bp: Blueprint, *, find: Callable[[int], tasks.Task], guard: Callable, layout: str,
               list_endpoint: str | None = None) -> None:
    """Register job_detail, job_progress, job_cancel and job_file on `bp`."""
    jobs = bp.name

    def page(name: str, task: tasks.Task):
        return render_template(name, task=task, states=tasks.STATE_LABELS, jobs=jobs, layout=layout,
                               list_endpoint=list_endpoint)

    @bp.route("/jobs/<int:id>", endpoint="job_detail")
    @guard
    def job_detail(id):
        return page("components/task_detail.html", find(id))

    @bp.route("/jobs/<int:id>/progress", endpoint="job_progress")
    @guard
    def job_progress(id):
        """The polled progress fragment (components/_task_progress.html)."""
        return page("components/_task_progress.html", find(id))

    @bp.route("/jobs/<int:id>/cancel", methods=["POST"], endpoint="job_cancel")
    @guard
    def job_cancel(id):
        task = find(id)
        perform(lambda: tasks.request_cancel(task), _("Cancelling…"))
        return redirect_to(url_for(f"{jobs}.job_detail", id=id))

    @bp.route("/jobs/<int:id>/file", endpoint="job_file")
    @guard
    def job_file(id):
        return send_result(find(id))
