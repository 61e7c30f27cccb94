"""Reconciliation pages: the daily summary (one row per gateway and day), a run's differences,
resolving a difference with a note, and running a day by hand."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from app.blueprints.payments.gateways import gateway_label
from flask_login import current_user
from sqlalchemy import func, select

from app.blueprints.payments import accounts, bp, forms, reconcile
from app.blueprints.payments.models import ReconciliationItem, ReconciliationRun
from app.blueprints.payments.views import gateway_choices
from app.core.db import utcnow
from app.core.formview import commit_form
from app.core.htmx import redirect_to
from app.core.listview import Column, ExportTable, Filter, ListView, export_response
from app.core.permissions import requires
from app.extensions import db

RUN_STATUS = {"running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}


def _open_counts(runs) -> dict[int, int]:
    ids = [r.id for r in runs]
    if not ids:
        return {}
    return dict(db.session.execute(select(ReconciliationItem.run_id, func.count()).where(
        ReconciliationItem.run_id.in_(ids), ReconciliationItem.resolved_at.is_(None))
        .group_by(ReconciliationItem.run_id)).all())


def _chart():
    """Differences found per day over the last 30 days, all gateways."""
    from app.core.charts import bar_chart

    since = (utcnow() - timedelta(days=30)).date()
    per_day = dict(db.session.execute(select(ReconciliationRun.day, func.sum(ReconciliationRun.differences))
                                      .where(ReconciliationRun.day >= since).group_by(ReconciliationRun.day)).all())
    points = [((since + timedelta(days=i)).isoformat(), int(per_day.get(since + timedelta(days=i), 0)))
              for i in range(1, 31)]
    return bar_chart(points, _("Differences per day, last 30 days"))


class RunList(ListView):
    """The daily summary."""

    permission = "payments.view"
    title = _l("Reconciliation")
    model = ReconciliationRun
    default_sort = "-day"
    export_name = "reconciliation"
    template = "payments/reconciliation.html"
    columns = [
        Column("day", _l("Day"), sort=ReconciliationRun.day, link=lambda r: url_for("payments.reconciliation_run", id=r.id)),
        Column("gateway", _l("Gateway"), sort=ReconciliationRun.gateway, value=lambda r: gateway_label(r.gateway)),
        Column("status", _l("Status"), value=lambda r: RUN_STATUS[r.status], badge=True),
        Column("statement_rows", _l("Statement rows"), sort=ReconciliationRun.statement_rows),
        Column("matched", _l("Matched"), sort=ReconciliationRun.matched),
        Column("differences", _l("Differences"), sort=ReconciliationRun.differences),
        Column("gateway_total", _l("Gateway net"), kind="money"),
        Column("our_total", _l("Our net"), kind="money"),
        Column("fee_total", _l("Gateway fees"), kind="money"),
        Column("finished_at", _l("Finished"), kind="datetime"),
    ]
    filters = [
        Filter("gateway", _l("Gateway"), lambda q, v: q.where(ReconciliationRun.gateway == v),
               choices=gateway_choices),      # every gateway: a switched-off one keeps its runs
        Filter("open", _l("Open differences"), lambda q, v: q.where(ReconciliationRun.id.in_(
            select(ReconciliationItem.run_id).where(ReconciliationItem.resolved_at.is_(None)))),
            choices=lambda: [("1", "✓")]),
        Filter("since", _l("From"), lambda q, v: q.where(ReconciliationRun.day >= v), parse=date.fromisoformat,
               placeholder="2026-01-01"),
    ]

    start_form = None      # a refused 'reconcile this day', shown with its errors

    def context(self, page, state):
        ctx = super().context(page, state)
        yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
        ctx.update(open_counts=_open_counts(page.rows), gateways=accounts.enabled_gateways(), gateway_label=gateway_label,
                   yesterday=yesterday, chart=_chart(),
                   start_form=self.start_form or _start_form(formdata=None, day=yesterday))
        return ctx


def _start_form(**kwargs):
    return forms.ReconcileForm(gateways=[(g, gateway_label(g)) for g in accounts.enabled_gateways()], **kwargs)


RunList.register(bp, "/reconciliation", "reconciliation")


@bp.route("/reconciliation/run", methods=["POST"])
@requires("payments.reconcile")
def reconciliation_start():
    form = _start_form()
    if form.validate_on_submit():
        outcome = commit_form(form, lambda: reconcile.run(form.gateway.data, form.day_value))
        if outcome:
            run = outcome.result
            flash(_("Reconciled: %(n)d differences.", n=run.differences) if run.status == "done"
                  else _("The statement could not be loaded: %(error)s", error=run.error),
                  "success" if run.status == "done" else "error")
            return redirect_to(url_for("payments.reconciliation_run", id=run.id))
    listing = RunList()
    listing.start_form = form
    stmt, state = listing.filtered()
    return render_template(listing.template, **listing.context(listing.paginate(stmt, state), state)), 422


DIFFERENCE_COLUMNS = [
    Column("kind", _l("Kind"), value=lambda i: reconcile.KIND_LABELS[i.kind]),
    Column("record", _l("Record"), value=lambda i: _("Payment") if i.record == "payment" else _("Refund")),
    Column("reference", _l("Reference")),
    Column("trade_no", _l("Gateway trade no."), value=lambda i: i.trade_no or ""),
    Column("our_amount", _l("Our amount"), kind="money"),
    Column("gateway_amount", _l("Gateway amount"), kind="money"),
    Column("resolved_at", _l("Resolved at"), kind="datetime"),
    Column("resolved_by", _l("By"), value=lambda i: i.resolved_by or ""),
    Column("note", _l("Resolution"), value=lambda i: i.note or ""),
]


def _differences(id: int):
    return (select(ReconciliationItem).where(ReconciliationItem.run_id == id)
            .order_by(ReconciliationItem.resolved_at.is_not(None), ReconciliationItem.id))


@bp.route("/reconciliation/<int:id>/differences.<any(csv, xlsx):fmt>")
@requires("payments.view")
def reconciliation_differences(id, fmt):
    """A run's differences as a spreadsheet, amounts as numbers beside their currency."""
    run = db.get_or_404(ReconciliationRun, id)
    return export_response(ExportTable(DIFFERENCE_COLUMNS, _("Differences")), _differences(id), fmt,
                           f"reconciliation-{run.gateway}-{run.day}.{fmt}")


@bp.route("/reconciliation/<int:id>")
@requires("payments.view")
def reconciliation_run(id):
    return _run_page(db.get_or_404(ReconciliationRun, id))


def _run_page(run: ReconciliationRun, resolving: tuple | None = None, status: int = 200):
    """A run's differences; a refused resolve (`resolving` = (item id, form)) keeps its note and error."""
    items = db.session.scalars(_differences(run.id)).all()
    resolve_forms = {}
    for i in items:
        if i.resolved_at is None:
            form = resolving[1] if resolving and resolving[0] == i.id else forms.ResolveForm(formdata=None)
            form.note.id = f"note-{i.id}"
            resolve_forms[i.id] = form
    return render_template("payments/reconciliation_run.html", gateway_label=gateway_label, run=run, items=items,
                           kinds=reconcile.KIND_LABELS, statuses=RUN_STATUS, resolve_forms=resolve_forms), status


@bp.route("/reconciliation/<int:id>/items/<int:item_id>/resolve", methods=["POST"])
@requires("payments.reconcile")
def reconciliation_resolve(id, item_id):
    item = db.session.scalar(select(ReconciliationItem).where(ReconciliationItem.id == item_id,
                                                              ReconciliationItem.run_id == id))
    if item is None:
        abort(404)
    if item.resolved_at is not None:
        flash(_("This difference is already resolved."), "error")
        return redirect_to(url_for("payments.reconciliation_run", id=id))
    form = forms.ResolveForm()
    if form.validate_on_submit() and commit_form(form, lambda: reconcile.resolve(current_user, item, form.note.data)):
        flash(_("Resolved."), "success")
        return redirect_to(url_for("payments.reconciliation_run", id=id))
    return _run_page(db.get_or_404(ReconciliationRun, id), resolving=(item_id, form), status=422)
