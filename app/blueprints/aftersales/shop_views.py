"""Shopper pages: ask for after-sales on an order, my requests, one request (cancel, escalate,
enter the return waybill) and its photos, only ever the shopper's own."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.aftersales import forms, queries, services, shop_bp
from app.blueprints.aftersales.models import KINDS
from app.blueprints.orders import queries as order_queries
from app.core.formview import attach_error, commit, perform
from app.core.permissions import _realm_only
from app.core.storage import MAX_IMAGE_BYTES

shopper = _realm_only("shopper", "shopper")


def kind_choices(order) -> list[tuple[str, str]]:
    """The kinds this order allows now: before shipment only a refund."""
    kinds = ["refund_only"] if order.status in services.BEFORE_SHIPMENT else list(KINDS)
    return [(k, str(services.KIND_LABELS[k])) for k in kinds]


def exchange_choices(order) -> dict[int, list[tuple[str, str]]]:
    """For each shipped line, the product's other options on sale (an exchange is for those)."""
    from app.blueprints.catalog import queries as catalog

    out = {}
    for line in order.lines:
        product = catalog.shop_product(line.product_id) if line.shipped_quantity else None
        if product is not None:
            others = [(str(s.id), f"{s.code} {s.label}") for s in product.skus if s.id != line.sku_id]
            if others:
                out[line.id] = others
    return out


def read_images(files) -> tuple[bytes, ...]:
    return tuple(data for data in (f.read(MAX_IMAGE_BYTES + 1) for f in files or [] if f and f.filename) if data)


@shop_bp.route("/new/<number>", methods=["GET", "POST"])
@shopper
def new_request(number):
    """Ask for after-sales on one of the shopper's orders (`number` is the order's)."""
    order_number = number
    order = order_queries.for_aftersales(number=order_number)
    if order is None or order.shopper_id != current_user.id:
        abort(404)
    reasons = [(r.id, services.reason_label(r)) for r in services.reasons()]
    form = forms.request_form(order.lines, exchange_choices(order), kind_choices(order), reasons)
    if form.validate_on_submit():
        ask = services.Ask(form.kind.data, form.quantities(), form.reason_id.data, form.description.data or "",
                           read_images(request.files.getlist(form.images.name)), form.exchange())
        outcome = commit(lambda: services.create_request(current_user, current_user.id, order_number, ask))
        if outcome:
            flash(_("Request %(number)s sent.", number=outcome.result.number), "success")
            return redirect(url_for("aftersales_shop.my_request", number=outcome.result.number), code=303)
        attach_error(form, outcome.error)
    held = services.held_quantities(order.id)
    return render_template("aftersales/shop_new.html", order=order, form=form, held=held,
                           window_end=services.window_end(order)), 422 if request.method == "POST" else 200


@shop_bp.route("/")
@shopper
def my_requests():
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    rows, total = queries.shopper_requests(current_user.id, page)
    return render_template("aftersales/shop_list.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // 20)), statuses=services.STATUS_LABELS,
                           kinds=services.KIND_LABELS)


def _page(number: str, status: int = 200, waybill_form=None, escalate_form=None):
    from app.blueprints.logistics import queries as logistics

    view = queries.shopper_request(current_user.id, number)
    if view is None:
        abort(404)
    req = services.shopper_request(current_user.id, number)
    waybill_form = waybill_form or forms.WaybillForm(formdata=None)
    waybill_form.carrier.choices = logistics.carriers()
    return render_template("aftersales/shop_request.html", req=view, statuses=services.STATUS_LABELS,
                           kinds=services.KIND_LABELS, outcomes=services.OUTCOME_LABELS,
                           can_cancel=services.shopper_can_cancel(req), can_escalate=services.shopper_can_escalate(req),
                           awaits_waybill=services.awaits_waybill(req), waybill_form=waybill_form,
                           escalate_form=escalate_form or forms.EscalateForm(formdata=None),
                           carrier_name=logistics.carrier_name), status


@shop_bp.route("/<number>")
@shopper
def my_request(number):
    return _page(number)


@shop_bp.route("/<number>/<action>", methods=["POST"])
@shopper
def request_action(number, action):
    req = services.shopper_request(current_user.id, number, lock=True)
    if req is None:      # another shopper's request looks exactly like a missing one
        abort(404)
    if action == "cancel":
        perform(lambda: services.cancel(current_user, req), _("Request %(number)s cancelled.", number=number))
    elif action == "accept":
        perform(lambda: services.accept_rejection(current_user, req), _("Request %(number)s closed.", number=number))
    elif action == "escalate":
        form = forms.EscalateForm()
        if not form.validate_on_submit():
            return _page(number, 422, escalate_form=form)
        perform(lambda: services.escalate(current_user, req, form.reason.data or ""),
                _("Request %(number)s goes back to the store.", number=number))
    elif action == "waybill":
        from app.blueprints.logistics import queries as logistics

        form = forms.WaybillForm()
        form.carrier.choices = logistics.carriers()
        if not form.validate_on_submit():
            return _page(number, 422, waybill_form=form)
        outcome = commit(lambda: services.send_back(current_user, req, form.carrier.data, form.waybill_no.data))
        if not outcome:
            attach_error(form, outcome.error)
            return _page(number, 422, waybill_form=form)
        flash(_("Thank you: the store follows your parcel."), "success")
    else:
        abort(404)
    return redirect(url_for("aftersales_shop.my_request", number=number), code=303)


@shop_bp.route("/photos/<int:id>")
@shopper
def photo(id):
    """A photo of one of the shopper's own requests."""
    from app.core.storage import get_storage

    key = queries.evidence_key(id, shopper_id=current_user.id)
    storage = get_storage()
    if key is None or not storage.owns(key):
        abort(404)
    return send_file(storage.path(key), max_age=3600, conditional=True)
