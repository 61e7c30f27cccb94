"""Bulk shipping pages: upload a file, read the dry run, ship the good rows or nothing
(a background task with progress); and the order list's "print waybills" for a selection."""
from __future__ import annotations

import json

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.dispatch import bp, bulk, forms, services
from app.core import tasks
from app.core.errors import DomainError
from app.core.formview import attach_error, commit
from app.core.htmx import redirect_to
from app.core.permissions import requires
from app.extensions import db

MAX_UPLOAD = 5 * 2 ** 20


@bp.route("/bulk-ship", methods=["GET", "POST"])
@requires("dispatch.work")
def bulk_ship():
    """Upload → dry run: every bad row with its reason, nothing shipped yet."""
    form = forms.BulkShipForm()
    rows = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            if not upload or not upload.filename:
                raise DomainError(_("Choose the file to upload."), field="file")
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise DomainError(_("The file is larger than 5 MB."), field="file")
            rows = bulk.check(bulk.read(data, upload.filename))
        except DomainError as err:
            attach_error(form, err)
        db.session.rollback()                       # a dry run writes nothing
    status = 422 if request.method == "POST" and rows is None else 200
    good = [r for r in rows if r.ok] if rows else []
    payload = json.dumps([{"line": r.line, "order_number": r.order_number, "carrier": r.carrier,
                           "waybill_no": r.waybill_no} for r in rows or []], ensure_ascii=False)
    return render_template("dispatch/bulk_ship.html", form=form, rows=rows, good=good, payload=payload), status


@bp.route("/bulk-ship/run", methods=["POST"])
@requires("dispatch.work")
def bulk_ship_run():
    """Ship what the dry run showed: the good rows only, or all or nothing."""
    try:
        rows = bulk.rows_from(json.loads(request.form.get("rows") or "[]"))
    except (ValueError, KeyError, TypeError):
        rows = []
    if not rows:
        flash(_("Upload the file again: its rows were lost."), "error")
        return redirect_to(url_for("dispatch.bulk_ship"))
    all_or_nothing = request.form.get("mode") != "good"
    outcome = commit(lambda: tasks.start_task(
        current_user, "dispatch.bulk_ship", _("Bulk shipping of %(n)d rows", n=len(rows)),
        rows=[r.__dict__ for r in rows], all_or_nothing=all_or_nothing, actor_id=current_user.id))
    if not outcome:
        flash(outcome.error.message, "error")
        return redirect_to(url_for("dispatch.bulk_ship"))
    return redirect_to(url_for("dispatch.bulk_ship_task", id=outcome.result.id))


def _task(id: int) -> tasks.Task:
    row = db.session.get(tasks.Task, id)
    if row is None or row.kind != "dispatch.bulk_ship":
        abort(404)
    return row


@bp.route("/bulk-ship/<int:id>")
@requires("dispatch.work")
def bulk_ship_task(id):
    return render_template("dispatch/bulk_ship_task.html", task=_task(id))


@bp.route("/bulk-ship/<int:id>/progress")
@requires("dispatch.work")
def bulk_ship_progress(id):
    return render_template("dispatch/_bulk_progress.html", task=_task(id))


def print_waybills(order_ids, actor):
    """The order list's bulk action: an electronic waybill for every parcel of the selected
    orders that has none (routing orders whose notices are not written yet), then the labels."""
    from flask import redirect

    notices = []
    for order_id in order_ids:
        for notice in services.create_notices(order_id, actor):
            if notice.status in services.UNSHIPPED and notice.status != "held":
                notices.append(services.issue_waybill(actor, notice))
    if not notices:
        raise DomainError(_("None of the selected orders has a parcel waiting to ship."))
    return redirect(url_for("dispatch.labels", notices=",".join(str(n.id) for n in notices)), code=303)
