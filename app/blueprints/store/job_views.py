"""The store's Jobs (long tasks with progress) and Events (outbox, dead letters) pages."""
from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from flask_login import current_user

from app.blueprints.store import bp
from app.core import outbox, tasks
from app.core.formview import perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView, detail_url
from app.core.permissions import MissingPermission, can, requires, signed_in_staff
from app.core.task_pages import task_pages
from app.core.urls import back
from app.extensions import db

TASK_STATES = tasks.STATE_LABELS
EVENT_STATUSES = {"pending": _lp("event delivery", "Pending"), "delivered": _l("Delivered"), "dead": _l("Dead")}


class TaskList(ListView):
    permission = "store.jobs"
    title = _l("Jobs")
    model = tasks.Task
    search_fields = [tasks.Task.title, tasks.Task.created_by_name]
    default_sort = "-created_at"
    export_name = "jobs"
    columns = [
        Column("title", _l("Job"), sort=tasks.Task.title, link=detail_url("store.job_detail")),
        Column("state", _l("State"), sort=tasks.Task.state, value=lambda t: TASK_STATES[t.state], badge=True),
        Column("progress", _l("Progress"), sort=tasks.Task.progress, value=lambda t: f"{t.progress}%"),
        Column("created_by_name", _l("Started by"), sort=tasks.Task.created_by_name),
        Column("created_at", _l("Started"), sort=tasks.Task.created_at, kind="datetime"),
        Column("finished_at", _l("Finished"), sort=tasks.Task.finished_at, kind="datetime"),
    ]
    filters = [Filter("state", _l("State"), lambda q, v: q.where(tasks.Task.state == v),
                      choices=lambda: [(k, str(v)) for k, v in TASK_STATES.items()])]


TaskList.register(bp, "/jobs", "jobs")


def _task(id: int) -> tasks.Task:
    """The task, for staff who may see jobs or who started this one."""
    task = db.get_or_404(tasks.Task, id)
    started_by_this_user = task.created_by_id == current_user.id and not (task.params or {}).get("owner")
    if not (can("store.jobs") or started_by_this_user):     # (a supplier's export has an owner: not staff's)
        raise MissingPermission("store.jobs")
    return task


task_pages(bp, find=_task, guard=signed_in_staff, layout="layouts/store.html", list_endpoint="store.jobs")


def _retry_events(ids, actor) -> str:
    events = db.session.scalars(db.select(outbox.OutboxEvent).where(
        outbox.OutboxEvent.id.in_(ids), outbox.OutboxEvent.status == "dead")).all()
    for event in events:
        outbox.retry_dead(actor, event)
    return _("%(n)d events queued again.", n=len(events))


class EventList(ListView):
    permission = "store.jobs"
    title = _l("Events")
    model = outbox.OutboxEvent
    template = "store/event_list.html"
    search_fields = [outbox.OutboxEvent.topic, outbox.OutboxEvent.last_error]
    default_sort = "-id"
    export_name = "events"
    columns = [
        Column("id", "#", sort=outbox.OutboxEvent.id),
        Column("topic", _l("Topic"), sort=outbox.OutboxEvent.topic, value=lambda e: str(outbox.TOPICS.get(e.topic, e.topic))),
        Column("status", _l("Status"), sort=outbox.OutboxEvent.status,
               value=lambda e: EVENT_STATUSES[e.status], badge=True),
        Column("attempts", _l("Attempts"), sort=outbox.OutboxEvent.attempts),
        Column("created_at", _l("Created"), sort=outbox.OutboxEvent.created_at, kind="datetime"),
        Column("delivered_at", _l("Delivered"), kind="datetime"),
        Column("last_error", _l("Last error"), value=lambda e: (e.last_error or "")[:300]),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(outbox.OutboxEvent.status == v),
                      choices=lambda: [(k, str(v)) for k, v in EVENT_STATUSES.items()])]

    bulk_actions = [BulkAction("retry", _l("Retry"), lambda ids, actor: _retry_events(ids, actor), "store.jobs")]


EventList.register(bp, "/events", "events")


@bp.route("/events/<int:id>/retry", methods=["POST"])
@requires("store.jobs")
def event_retry(id):
    event = db.get_or_404(outbox.OutboxEvent, id)
    perform(lambda: outbox.retry_dead(current_user, event), _("The event is queued again."))
    return redirect_to(back(url_for("store.events"), prefix=f"/store/{g.store.slug}/"))
