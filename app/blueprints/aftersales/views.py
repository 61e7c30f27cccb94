"""Staff pages: after-sales requests (list with filters and export, detail with its actions and
timeline, the shopper's photos), inspection of returned units, reasons and the rules."""
from __future__ import annotations

from flask import abort, flash, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.form import _Auto
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.blueprints.aftersales import bp, forms, queries, services
from app.blueprints.aftersales.models import KINDS, PAYERS, SHIPPING_REFUNDS, AfterSalesRequest, Reason, RequestLine
from app.core.db import utcnow
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView
from app.core.permissions import requires
from app.extensions import db


def _overdue(req: AfterSalesRequest) -> bool:
    now = utcnow()
    return bool((req.status in ("requested", "escalated") and req.reply_due_at and req.reply_due_at < now)
                or (req.status == "awaiting_return" and req.ship_back_due_at and req.ship_back_due_at < now))


def _overdue_filter(q, v):
    now = utcnow()
    clause = or_((AfterSalesRequest.status.in_(("requested", "escalated"))) & (AfterSalesRequest.reply_due_at < now),
                 (AfterSalesRequest.status == "awaiting_return") & (AfterSalesRequest.ship_back_due_at < now))
    return q.where(clause) if v == "yes" else q.where(~clause)


def _reason_choices():
    return [(str(r.id), services.reason_label(r)) for r in db.session.scalars(select(Reason).order_by(Reason.position))]


class RequestList(ListView):
    permission = "aftersales.view"
    title = _l("After-sales requests")
    model = AfterSalesRequest
    search_fields = [AfterSalesRequest.search_text]
    search_placeholder = _l("Request or order number, shopper, SKU")
    default_sort = "-created_at"
    export_name = "aftersales_requests"
    saved_filters = True
    columns = [
        Column("number", _l("Request"), sort=AfterSalesRequest.number,
               link=lambda r: url_for("aftersales.request_page", id=r.id)),
        Column("order_number", _l("Order number"), sort=AfterSalesRequest.order_number),
        Column("kind", _l("Type"), sort=AfterSalesRequest.kind, value=lambda r: services.KIND_LABELS[r.kind]),
        Column("status", _l("Status"), sort=AfterSalesRequest.status,
               value=lambda r: services.STATUS_LABELS[r.status], badge=True),
        Column("reason", _l("Reason")),
        Column("skus", _l("SKUs"), value=lambda r: ", ".join(f"{l.sku_code} × {l.quantity}" for l in r.lines)),
        Column("total", _l("Amount"), kind="money", raw=lambda r: r.total),
        Column("overdue", _l("Overdue"), value=lambda r: _("Overdue") if _overdue(r) else ""),
        Column("shopper_name", _l("Shopper")),
        Column("created_at", _l("Requested"), sort=AfterSalesRequest.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(AfterSalesRequest.status == v),
               choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
        Filter("kind", _l("Type"), lambda q, v: q.where(AfterSalesRequest.kind == v),
               choices=lambda: [(k, str(services.KIND_LABELS[k])) for k in KINDS]),
        Filter("reason", _l("Reason"), lambda q, v: q.where(AfterSalesRequest.reason_id == int(v)),
               choices=_reason_choices),
        Filter("sku", _l("SKU code"), lambda q, v: q.where(AfterSalesRequest.id.in_(
            select(RequestLine.request_id).where(func.lower(RequestLine.sku_code) == v.lower())))),
        Filter("overdue", _l("Overdue"), _overdue_filter, choices=lambda: [("yes", _("Overdue")),
                                                                          ("no", _("Not overdue"))]),
        Filter("order", _l("Order number"), lambda q, v: q.where(AfterSalesRequest.order_number == v)),
    ]

    def query(self):
        return select(AfterSalesRequest).options(selectinload(AfterSalesRequest.lines))


RequestList.register(bp, "/requests", "requests")


# --- one request ---------------------------------------------------------------------------------

def _request(id: int, lock: bool = False) -> AfterSalesRequest:
    stmt = select(AfterSalesRequest).where(AfterSalesRequest.id == id).options(
        selectinload(AfterSalesRequest.lines), selectinload(AfterSalesRequest.evidence))
    found = db.session.scalar(stmt.with_for_update(of=AfterSalesRequest) if lock else stmt)
    if found is None:
        abort(404)
    return found


def _render(req: AfterSalesRequest, status: int = 200, **overrides):
    from app.blueprints.inventory import services as inventory
    from app.blueprints.logistics import queries as logistics

    context = {"reject_form": forms.RejectForm(formdata=None), "note_form": forms.NoteForm(formdata=None),
               **overrides}
    if "waybill_form" not in context and services.awaits_waybill(req):
        context["waybill_form"] = _waybill_form(formdata=None)
    inspections = _inspections(req)
    if "inspect_form" not in context and req.status == "received":
        from app.blueprints.inventory import documents

        bins = documents.locations_of(req.return_warehouse_id) if req.return_warehouse_id else []
        context["inspect_form"] = forms.inspection_form(req, bins, set(inspections), formdata=None)
    warehouse = inventory.warehouses_by_id([req.return_warehouse_id]).get(req.return_warehouse_id) \
        if req.return_warehouse_id else None
    return render_template("aftersales/request.html", req=req, statuses=services.STATUS_LABELS,
                           kinds=services.KIND_LABELS, outcomes=services.OUTCOME_LABELS,
                           payers=services.PAYER_LABELS, overdue=_overdue(req), warehouse=warehouse,
                           timeline=services.REQUEST_STATES.history(req), inspections=inspections,
                           can_move=lambda target: services.REQUEST_STATES.can(req, target),
                           conditions=services.CONDITION_LABELS, dispositions=services.DISPOSITION_LABELS,
                           carrier_name=logistics.carrier_name, refund_failed=services.refund_failed(req),
                           **context), status


def _inspections(req: AfterSalesRequest) -> dict:
    from app.blueprints.aftersales.models import Inspection

    return {(i.request_line_id, i.unit): i for i in db.session.scalars(
        select(Inspection).where(Inspection.request_id == req.id))}


@bp.route("/requests/<int:id>")
@requires("aftersales.view")
def request_page(id):
    return _render(_request(id))


def _back(id: int):
    return redirect_to(url_for("aftersales.request_page", id=id))


@bp.route("/requests/<int:id>/approve", methods=["POST"])
@requires("aftersales.manage")
def request_approve(id):
    req = _request(id, lock=True)
    perform(lambda: services.approve(current_user, req), _("Request %(number)s approved.", number=req.number))
    return _back(id)


@bp.route("/requests/<int:id>/reject", methods=["POST"])
@requires("aftersales.manage")
def request_reject(id):
    req = _request(id, lock=True)
    form = forms.RejectForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.reject(current_user, req, form.reason.data)):
        flash(_("Request %(number)s rejected.", number=req.number), "success")
        return _back(id)
    return _render(_request(id), 422, reject_form=form)


@bp.route("/requests/<int:id>/retry-refund", methods=["POST"])
@requires("aftersales.manage")
def request_retry_refund(id):
    req = _request(id, lock=True)
    perform(lambda: services.retry_refund(current_user, req),
            _("Request %(number)s: the refund was sent again.", number=req.number))
    return _back(id)


@bp.route("/requests/<int:id>/return-waybill", methods=["POST"])
@requires("aftersales.manage")
def request_return_waybill(id):
    req = _request(id, lock=True)
    form = _waybill_form()
    if form.validate_on_submit() and commit_form(form, lambda: services.issue_return_waybill(
            current_user, req, form.carrier.data)):
        flash(_("Return waybill %(waybill)s issued.", waybill=req.return_waybill), "success")
        return _back(id)
    return _render(_request(id), 422, waybill_form=form)


def _waybill_form(formdata=_Auto):
    from app.blueprints.dispatch import carriers, services as dispatch

    form = forms.ReturnWaybillForm(formdata=formdata)
    form.carrier.choices = carriers.choices()
    if formdata is None:
        form.carrier.data = dispatch.settings().default_carrier or None
    return form


@bp.route("/requests/<int:id>/close", methods=["POST"])
@requires("aftersales.manage")
def request_close(id):
    req = _request(id, lock=True)
    perform(lambda: services.accept_rejection(current_user, req), _("Request %(number)s closed.", number=req.number))
    return _back(id)


@bp.route("/requests/<int:id>/receive", methods=["POST"])
@requires("aftersales.inspect")
def request_receive(id):
    req = _request(id, lock=True)
    perform(lambda: services.receive(current_user, req), _("Request %(number)s: goods received.", number=req.number))
    return _back(id)


@bp.route("/requests/<int:id>/inspect", methods=["POST"])
@requires("aftersales.inspect")
def request_inspect(id):
    from app.blueprints.inventory import documents

    req = _request(id, lock=True)
    bins = documents.locations_of(req.return_warehouse_id) if req.return_warehouse_id else []
    form = forms.inspection_form(req, bins, set(_inspections(req)))
    results = [services.UnitResult(*unit) for unit in form.units()] if form.validate_on_submit() else []
    if not results and not form.errors:
        form.form_errors.append(_("Say for at least one unit whether it is good or damaged."))
    if results and commit_form(form, lambda: services.inspect_units(current_user, req, results)):
        flash(_("Inspection saved."), "success")
        return _back(id)
    return _render(_request(id), 422, inspect_form=form)


@bp.route("/requests/<int:id>/note", methods=["POST"])
@requires("aftersales.view")
def request_note(id):
    req = _request(id, lock=True)
    form = forms.NoteForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.add_note(current_user, req, form.note.data)):
        flash(_("Note added."), "success")
        return _back(id)
    return _render(_request(id), 422, note_form=form)


@bp.route("/photos/<int:id>")
@requires("aftersales.view")
def photo(id):
    """A shopper's photo, for the staff of this store only."""
    from app.core.storage import get_storage

    key = queries.evidence_key(id)
    storage = get_storage()
    if key is None or not storage.owns(key):
        abort(404)
    return send_file(storage.path(key), max_age=3600, conditional=True)


# --- reasons and rules -------------------------------------------------------------------------

@bp.route("/reasons", methods=["GET", "POST"])
@requires("aftersales.settings")
def reasons():
    rows = services.reasons(active_only=False)
    form = forms.ReasonForm()
    form.return_shipping_payer.choices = [(k, services.PAYER_LABELS[k]) for k in PAYERS]
    if request.method == "POST":
        edit_id = request.args.get("id", type=int)
        reason = db.session.get(Reason, edit_id) if edit_id else None
        if edit_id and reason is None:
            abort(404)
        if form.validate_on_submit() and commit_form(form, lambda: services.save_reason(
                current_user, reason, form.name.data, form.name_en.data or "", form.return_shipping_payer.data,
                form.position.data or 0, form.active.data)):
            flash(_("Saved."), "success")
            return redirect_to(url_for("aftersales.reasons"))
        rows = services.reasons(active_only=False)
    return render_template("aftersales/reasons.html", rows=rows, form=form, payers=services.PAYER_LABELS,
                           label=services.reason_label), 422 if request.method == "POST" else 200


@bp.route("/settings", methods=["GET", "POST"])
@requires("aftersales.settings")
def settings_page():
    from app.blueprints.inventory import services as inventory

    current = services.settings()
    form = forms.SettingsForm(obj=current if request.method == "GET" else None)
    form.refund_shipping.choices = [(k, services.SHIPPING_LABELS[k]) for k in SHIPPING_REFUNDS]
    warehouses = inventory.all_warehouses()
    form.quarantine_warehouse_id.choices = [("", "—"), *[(w.id, f"{w.code} {w.name}") for w in warehouses]]
    address_form = forms.ReturnAddressForm(prefix="address")
    address_form.warehouse_id.choices = [(w.id, f"{w.code} {w.name}") for w in warehouses]
    if request.method == "POST" and request.form.get("which") == "address":
        if address_form.validate_on_submit() and commit_form(address_form, lambda: services.save_return_address(
                current_user, address_form.warehouse_id.data, address_form.name.data, address_form.phone.data,
                address_form.address.data)):
            flash(_("Saved."), "success")
            return redirect_to(url_for("aftersales.settings_page"))
    elif form.validate_on_submit() and commit_form(form, lambda: services.save_settings(
            current_user, auto_approve_unshipped=form.auto_approve_unshipped.data,
            auto_approve_under=form.auto_approve_under.data,
            refund_shipping=form.refund_shipping.data, reply_hours=form.reply_hours.data,
            ship_back_days=form.ship_back_days.data, quarantine_warehouse_id=form.quarantine_warehouse_id.data)):
        flash(_("Saved."), "success")
        return redirect_to(url_for("aftersales.settings_page"))
    return render_template("aftersales/settings.html", form=form, address_form=address_form,
                           addresses=_addresses(), warehouses={w.id: w for w in warehouses}), \
        422 if request.method == "POST" else 200


def _addresses():
    from app.blueprints.aftersales.models import ReturnAddress

    return list(db.session.scalars(select(ReturnAddress).order_by(ReturnAddress.warehouse_id)))
