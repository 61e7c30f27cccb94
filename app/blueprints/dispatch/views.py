"""Dispatch pages: delivery notices (list, detail, hold, re-route, pack, ship, print), waves
(list, detail, pick list, batch labels) and the dispatch settings."""
from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.dispatch import bp, carriers, forms, queries, services
from app.blueprints.dispatch.models import STRATEGIES, DeliveryNotice, Wave
from app.blueprints.inventory import services as inventory
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView
from app.core.permissions import requires
from app.core.urls import back

WAVE_LABELS = {"picking": _l("Picking"), "done": _l("Done"), "cancelled": _l("Cancelled")}


def _warehouse(warehouse_id: int) -> str:
    return queries.warehouse_codes().get(warehouse_id, "")


def _warehouse_choices():
    return [(str(i), code) for i, code in queries.warehouse_codes().items()]


def _wave_from_selection(ids, actor) -> str:
    wave = services.create_wave(actor, ids)
    return _("Wave %(number)s: %(n)d notices to pick.", number=wave.number, n=len(ids))


class NoticeList(ListView):
    permission = "dispatch.view"
    title = _l("Delivery notices")
    model = DeliveryNotice
    search_fields = [DeliveryNotice.number, DeliveryNotice.order_number, DeliveryNotice.waybill_no]
    search_placeholder = _l("Notice, order or waybill number")
    default_sort = "-created_at"
    export_name = "delivery_notices"
    saved_filters = True
    columns = [
        Column("number", _l("Notice"), sort=DeliveryNotice.number, link=lambda n: url_for("dispatch.notice", id=n.id)),
        Column("order_number", _l("Order number"), sort=DeliveryNotice.order_number),
        Column("status", _l("Status"), sort=DeliveryNotice.status, value=lambda n: services.STATUS_LABELS[n.status],
               badge=True),
        Column("warehouse", _l("Warehouse"), value=lambda n: _warehouse(n.warehouse_id)),
        Column("lines", _l("Items"), value=lambda n: sum(line.quantity for line in n.lines), kind="number"),
        Column("wave", _l("Wave"), value=lambda n: n.wave.number if n.wave else ""),
        Column("carrier", _l("Carrier"), value=lambda n: carriers.name(n.carrier_code) if n.carrier_code else ""),
        Column("waybill_no", _l("Waybill number"), sort=DeliveryNotice.waybill_no),
        Column("created_at", _l("Created"), sort=DeliveryNotice.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(DeliveryNotice.status == v),
               choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
        Filter("warehouse", _l("Warehouse"), lambda q, v: q.where(DeliveryNotice.warehouse_id == int(v)),
               choices=_warehouse_choices),
        Filter("order", _l("Order number"), lambda q, v: q.where(DeliveryNotice.order_number == v)),
        Filter("strategy", _l("Routing strategy"), lambda q, v: q.where(DeliveryNotice.strategy == v),
               choices=lambda: [(k, str(services.STRATEGY_LABELS[k])) for k in STRATEGIES]),
    ]
    bulk_actions = [BulkAction("wave", _l("Pick in one wave"), _wave_from_selection, permission="dispatch.work")]

    def query(self):
        from sqlalchemy.orm import selectinload

        return select(DeliveryNotice).options(selectinload(DeliveryNotice.lines))


NoticeList.register(bp, "/notices", "notices")


class WaveList(ListView):
    permission = "dispatch.view"
    title = _l("Waves")
    model = Wave
    search_fields = [Wave.number]
    search_placeholder = _l("Wave number")
    default_sort = "-created_at"
    export_name = "waves"
    columns = [
        Column("number", _l("Wave"), sort=Wave.number, link=lambda w: url_for("dispatch.wave_page", id=w.id)),
        Column("status", _l("Status"), sort=Wave.status, value=lambda w: WAVE_LABELS[w.status], badge=True),
        Column("warehouse", _l("Warehouse"), value=lambda w: _warehouse(w.warehouse_id)),
        Column("notice_count", _l("Notices"), kind="number"),
        Column("created_by_name", _l("Created by")),
        Column("created_at", _l("Created"), sort=Wave.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Wave.status == v),
               choices=lambda: [(k, str(v)) for k, v in WAVE_LABELS.items()]),
        Filter("warehouse", _l("Warehouse"), lambda q, v: q.where(Wave.warehouse_id == int(v)),
               choices=_warehouse_choices),
    ]


WaveList.register(bp, "/waves", "waves")


# --- one notice ----------------------------------------------------------------------------------

def _notice(id: int, lock: bool = False) -> DeliveryNotice:
    found = queries.notice(id, lock=lock)
    if found is None:
        abort(404)
    return found


def _carrier_choices(blank: bool = False):
    return ([("", "")] if blank else []) + carriers.choices()


def _ship_form(notice: DeliveryNotice, posted: bool = False):
    """The ship form: as posted, or filled in from the notice (its carrier, waybill, weight)."""
    if posted:
        form = forms.ShipForm()
    else:
        form = forms.ShipForm(formdata=None, carrier=notice.carrier_code or services.settings().default_carrier,
                              waybill_no=notice.waybill_no, weight_grams=notice.weight_grams)
    form.carrier.choices = _carrier_choices()
    return form


def _render_notice(notice: DeliveryNotice, status: int = 200, **form_overrides):
    reroute = forms.RerouteForm(formdata=None)
    reroute.warehouse_id.choices = [(w.id, f"{w.code} {w.name}") for w in inventory.active_warehouses()
                                    if w.id != notice.warehouse_id]
    waybill = forms.WaybillForm(formdata=None)
    waybill.carrier.choices = _carrier_choices()
    waybill.carrier.data = services.settings().default_carrier
    context = {"hold_form": forms.HoldForm(formdata=None), "reroute_form": reroute,
               "pack_form": forms.PackForm(formdata=None, weight_grams=notice.weight_grams),
               "ship_form": _ship_form(notice), "waybill_form": waybill,
               "ship_waybill_form": forms.ShipWithWaybillForm(formdata=None, prefix="waybill",
                                                              weight_grams=notice.weight_grams),
               **form_overrides}
    warehouse = inventory.warehouses_by_id([notice.warehouse_id]).get(notice.warehouse_id)
    return render_template("dispatch/notice.html", notice=notice, warehouse=warehouse,
                           statuses=services.STATUS_LABELS, strategies=services.STRATEGY_LABELS,
                           timeline=services.NOTICE_STATES.history(notice),
                           carrier_name=carriers.name(notice.carrier_code) if notice.carrier_code else "",
                           can_move=lambda target: services.NOTICE_STATES.can(notice, target),
                           **context), status


@bp.route("/notices/<int:id>")
@requires("dispatch.view")
def notice(id):
    return _render_notice(_notice(id))


def _back(notice_id: int):
    return redirect_to(url_for("dispatch.notice", id=notice_id))


def _next_or_notice(notice_id: int):
    """Back to the page the worker came from (a wave's packing table) when it is a page of this
    store, else to the notice."""
    return redirect_to(back(url_for("dispatch.notice", id=notice_id), prefix=f"/store/{g.store.slug}/"))


@bp.route("/notices/<int:id>/hold", methods=["POST"])
@requires("dispatch.manage")
def notice_hold(id):
    n = _notice(id, lock=True)
    form = forms.HoldForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.hold(current_user, n, form.reason.data)):
        flash(_("Notice %(number)s is on hold.", number=n.number), "success")
        return _back(id)
    return _render_notice(_notice(id), 422, hold_form=form)


@bp.route("/notices/<int:id>/release", methods=["POST"])
@requires("dispatch.manage")
def notice_release(id):
    n = _notice(id, lock=True)
    perform(lambda: services.release_hold(current_user, n), _("Notice %(number)s is back in the queue.", number=n.number))
    return _back(id)


@bp.route("/notices/<int:id>/reroute", methods=["POST"])
@requires("dispatch.manage")
def notice_reroute(id):
    n = _notice(id, lock=True)
    form = forms.RerouteForm()
    form.warehouse_id.choices = [(w.id, w.code) for w in inventory.active_warehouses()]
    if form.validate_on_submit() and commit_form(form, lambda: services.reroute(current_user, n, form.warehouse_id.data)):
        flash(_("Notice %(number)s ships from %(warehouse)s now.", number=n.number,
                warehouse=_warehouse(form.warehouse_id.data)), "success")
        return _back(id)
    return _render_notice(_notice(id), 422, reroute_form=form)


@bp.route("/notices/<int:id>/pack", methods=["POST"])
@requires("dispatch.work")
def notice_pack(id):
    n = _notice(id, lock=True)
    form = forms.PackForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.pack(current_user, n, form.weight_grams.data)):
        flash(_("Notice %(number)s is packed.", number=n.number), "success")
        return _next_or_notice(id)
    return _render_notice(_notice(id), 422, pack_form=form)


@bp.route("/notices/<int:id>/ship", methods=["POST"])
@requires("dispatch.work")
def notice_ship(id):
    n = _notice(id, lock=True)
    form = _ship_form(n, posted=True)
    if form.validate_on_submit() and commit_form(form, lambda: services.ship(
            current_user, n, form.carrier.data, form.waybill_no.data, form.weight_grams.data)):
        flash(_("Notice %(number)s shipped.", number=n.number), "success")
        return _next_or_notice(id)
    return _render_notice(_notice(id), 422, ship_form=form)


@bp.route("/notices/<int:id>/waybill", methods=["POST"])
@requires("dispatch.work")
def notice_waybill(id):
    n = _notice(id, lock=True)
    form = forms.WaybillForm()
    form.carrier.choices = _carrier_choices()
    if form.validate_on_submit() and commit_form(form, lambda: services.issue_waybill(current_user, n, form.carrier.data)):
        return redirect_to(url_for("dispatch.labels", notices=str(id)))
    return _render_notice(_notice(id), 422, waybill_form=form)


@bp.route("/notices/<int:id>/ship-with-waybill", methods=["POST"])
@requires("dispatch.work")
def notice_ship_waybill(id):
    n = _notice(id, lock=True)
    form = forms.ShipWithWaybillForm(prefix="waybill")
    if form.validate_on_submit() and commit_form(form, lambda: services.ship_with_waybill(current_user, n,
                                                                                          form.weight_grams.data)):
        flash(_("Notice %(number)s shipped.", number=n.number), "success")
        return _next_or_notice(id)
    return _render_notice(_notice(id), 422, ship_waybill_form=form)


# --- printing --------------------------------------------------------------------------------

def _ids(raw: str) -> list[int]:
    try:
        return sorted({int(part) for part in (raw or "").split(",") if part.strip()})[:500]
    except ValueError:
        abort(404)


@bp.route("/slips")
@requires("dispatch.view")
def slips():
    """Packing slips (装箱单) of notices, on A4 or 100 × 150 mm labels."""
    size = request.args.get("size", "a4")
    if size not in ("a4", "100x150"):
        size = "a4"
    rows = queries.notices(_ids(request.args.get("notices", "")))
    if not rows:
        abort(404)
    return render_template("dispatch/slips.html", notices=rows, size=size, settings=services.settings(),
                           warehouses=queries.warehouse_codes())


@bp.route("/labels")
@requires("dispatch.view")
def labels():
    """Waybill labels (电子面单) of 100 × 180 mm with the waybill as a Code 128 barcode."""
    from app.core import barcodes

    rows = queries.notices(_ids(request.args.get("notices", "")))
    if not rows:
        abort(404)
    codes = {n.id: barcodes.code128_svg(n.waybill_no) for n in rows if n.waybill_no}
    return render_template("dispatch/labels.html", notices=rows, codes=codes, settings=services.settings(),
                           carrier_name=carriers.name)


# --- waves ---------------------------------------------------------------------------------

def _wave(id: int) -> Wave:
    found = queries.wave(id)
    if found is None:
        abort(404)
    return found


@bp.route("/waves/<int:id>")
@requires("dispatch.view")
def wave_page(id):
    return _render_wave(_wave(id))


def _render_wave(w: Wave, status: int = 200, waybill_form=None):
    rows = queries.wave_notices(w.id)
    if waybill_form is None:
        waybill_form = forms.WaybillForm(formdata=None, carrier=services.settings().default_carrier)
        waybill_form.carrier.choices = _carrier_choices()
    return render_template("dispatch/wave.html", wave=w, notices=rows, warehouse=_warehouse(w.warehouse_id),
                           statuses=services.STATUS_LABELS, wave_statuses=WAVE_LABELS,
                           pick_rows=queries.pick_list(w, rows), waybill_form=waybill_form,
                           carrier_name=carriers.name), status


@bp.route("/waves/<int:id>/pick-list")
@requires("dispatch.view")
def wave_pick_list(id):
    w = _wave(id)
    return render_template("dispatch/pick_list.html", wave=w, rows=queries.pick_list(w),
                           warehouse=_warehouse(w.warehouse_id))


@bp.route("/waves/<int:id>/waybills", methods=["POST"])
@requires("dispatch.work")
def wave_waybills(id):
    """Issue the electronic waybills of the wave's notices that have none, then print them all."""
    w = _wave(id)
    form = forms.WaybillForm()
    form.carrier.choices = _carrier_choices()
    rows = [n for n in queries.wave_notices(w.id) if n.status in services.UNSHIPPED]
    if form.validate_on_submit() and commit_form(form, lambda: [services.issue_waybill(current_user, n, form.carrier.data)
                                                                for n in rows]):
        return redirect_to(url_for("dispatch.labels", notices=",".join(str(n.id) for n in rows)))
    return _render_wave(_wave(id), 422, waybill_form=form)


# --- settings --------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@requires("dispatch.settings")
def settings_page():
    current = services.settings()
    form = forms.SettingsForm(obj=current if request.method == "GET" else None)
    form.strategy.choices = [(k, services.STRATEGY_LABELS[k]) for k in STRATEGIES]
    form.default_carrier.choices = _carrier_choices(blank=True)
    if form.validate_on_submit() and commit_form(form, lambda: services.save_settings(
            current_user, form.strategy.data, form.default_carrier.data or "", form.sender_name.data,
            form.sender_phone.data, form.sender_address.data)):
        flash(_("Saved."), "success")
        return redirect_to(url_for("dispatch.settings_page"))
    return render_template("dispatch/settings.html", form=form), 422 if request.method == "POST" else 200


from app.blueprints.dispatch import bulk_views  # noqa: E402,F401
