"""Order pages for staff: list with filters and export, detail with timeline and actions,
and a manual order (phone or offline orders)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from app.blueprints.catalog import queries as catalog
from app.blueprints.orders import bp, services
from app.blueprints.orders.models import ORDER_TYPES, Order, OrderLine
from app.core.errors import DomainError
from app.core.formview import perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, fmt_dt
from app.core.money import format_money, to_minor
from app.core.permissions import check, requires
from app.core.tenancy import current_store
from app.extensions import db

TYPE_LABELS = {"normal": _l("Normal"), "flash_sale": _l("Flash sale"), "group_buy": _l("Group buy"),
               "presale": _l("Presale"), "pickup": _l("Pickup"), "wholesale": _l("Wholesale")}


def _money(raw: str) -> int:
    return to_minor(raw, current_store().currency)


class OrderList(ListView):
    permission = "orders.view"
    title = _l("Orders")
    model = Order
    template = "orders/order_list.html"
    saved_filters = True
    search_fields = [Order.search_text]
    search_placeholder = _l("Order number, shopper, phone, SKU or title")
    default_sort = "-created_at"
    export_name = "orders"
    columns = [
        Column("number", _l("Order"), sort=Order.number, link=lambda o: url_for("orders.order", id=o.id)),
        Column("created_at", _l("Placed"), sort=Order.created_at, value=lambda o: fmt_dt(o.created_at)),
        Column("status", _l("Status"), sort=Order.status, value=lambda o: services.STATUS_LABELS[o.status], badge=True),
        Column("order_type", _l("Type"), value=lambda o: TYPE_LABELS[o.order_type]),
        Column("shopper", _l("Shopper"), value=lambda o: o.shopper.get("name") or o.shopper.get("email") or ""),
        Column("payable", _l("Payable"), sort=Order.payable, value=lambda o: format_money(o.payable, o.currency)),
        Column("source", _l("Source"), sort=Order.source),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Order.status == v),
               choices=lambda: [(k, str(v)) for k, v in services.STATUS_LABELS.items()]),
        Filter("type", _l("Type"), lambda q, v: q.where(Order.order_type == v),
               choices=lambda: [(k, str(v)) for k, v in TYPE_LABELS.items()]),
        Filter("since", _l("From"), lambda q, v: q.where(Order.created_at >= v), parse=date.fromisoformat,
               placeholder="2026-01-31"),
        Filter("until", _l("To"), lambda q, v: q.where(Order.created_at < v + timedelta(days=1)),
               parse=date.fromisoformat, placeholder="2026-01-31"),
        Filter("sku", _l("SKU code"), lambda q, v: q.where(Order.id.in_(
            select(OrderLine.order_id).where(func.lower(OrderLine.sku_code) == v.lower())))),
        Filter("min", _l("Payable from"), lambda q, v: q.where(Order.payable >= v), parse=_money, placeholder="0.00"),
        Filter("max", _l("Payable to"), lambda q, v: q.where(Order.payable <= v), parse=_money, placeholder="999.00"),
    ]

    def search(self, stmt, q):
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return stmt.where(Order.search_text.like(f"%{escaped}%"))


OrderList.register(bp, "/", "orders")


def _order(id: int) -> Order:
    return db.get_or_404(Order, id)


@bp.route("/<int:id>")
@requires("orders.view")
def order(id):
    o = _order(id)
    timeline = services.ORDER_STATES.history(o)
    return render_template("orders/order.html", order=o, timeline=timeline, statuses=services.STATUS_LABELS,
                           types=TYPE_LABELS, next_states=services.ORDER_STATES.allowed(o.status),
                           address_fields=services.ADDRESS_FIELDS)


ACTION_PERMISSIONS = {"note": "orders.manage", "address": "orders.manage", "cancel": "orders.manage",
                      "close": "orders.manage", "paid": "orders.payment", "allocate": "orders.fulfil",
                      "ship": "orders.fulfil", "deliver": "orders.fulfil", "complete": "orders.fulfil"}


@bp.route("/<int:id>/<action>", methods=["POST"])
@requires("orders.view")
def order_action(id, action):
    o, form = _order(id), request.form
    if action not in ACTION_PERMISSIONS:
        abort(404)
    check(ACTION_PERMISSIONS[action])
    done = _("Order %(number)s: %(status)s.")
    steps = {
        "note": (lambda: services.add_note(current_user, o, form.get("note", "")), _("Note added.")),
        "address": (lambda: services.change_address(current_user, o, {f: form.get(f"address_{f}", "")
                                                                      for f in services.ADDRESS_FIELDS}),
                    _("Address changed.")),
        "cancel": (lambda: services.cancel_order(current_user, o, form.get("reason", "")), None),
        "close": (lambda: services.close_order(current_user, o, form.get("reason", "")), None),
        "paid": (lambda: services.mark_paid(current_user, o, form.get("reference", ""), offline=True), None),
        "allocate": (lambda: services.allocate(current_user, o), None),
        "ship": (lambda: services.ship(current_user, o, form.get("tracking", "")), None),
        "deliver": (lambda: services.deliver(current_user, o), None),
        "complete": (lambda: services.confirm_receipt(current_user, o), None),
    }
    run, message = steps[action]
    perform(run, message or (lambda _r: done % {"number": o.number, "status": services.STATUS_LABELS[o.status]}))
    return redirect_to(url_for("orders.order", id=id))


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.manage")
def order_new():
    """A staff-entered order (phone or offline sale): the same placement as the storefront."""
    error = None
    if request.method == "POST":
        form = request.form
        try:
            lines = []
            for code, qty in zip(form.getlist("sku_code"), form.getlist("quantity")):
                if code.strip():
                    sku_id = catalog.sku_id_by_code(code)
                    if sku_id is None:
                        raise DomainError(_("No SKU with the code “%(code)s”.", code=code))
                    lines.append(services.LineRequest(sku_id, int(qty or 1)))
            order = services.place_order(
                lines, {f: form.get(f"address_{f}", "") for f in services.ADDRESS_FIELDS},
                shopper={"name": form.get("shopper_name"), "email": form.get("shopper_email"),
                         "phone": form.get("shopper_phone")},
                note=form.get("note", ""), idempotency_key=form.get("idempotency_key") or None, source="staff",
                actor=current_user)
            db.session.commit()
            flash(_("Order %(number)s placed.", number=order.number), "success")
            return redirect_to(url_for("orders.order", id=order.id))
        except ValueError:
            db.session.rollback()
            error = _("Quantities are whole numbers.")
        except DomainError as err:
            db.session.rollback()
            error = err.message
    import uuid
    return render_template("orders/order_new.html", error=error, address_fields=services.ADDRESS_FIELDS,
                           key=request.form.get("idempotency_key") or uuid.uuid4().hex), 422 if error else 200


@bp.route("/settings", methods=["GET", "POST"])
@requires("orders.settings")
def order_settings():
    """Per order type: payment timeout, automatic receipt confirmation, after-sales window, shipping."""
    error = None
    if request.method == "POST":
        order_type = request.form.get("order_type", "")
        try:
            values = {f: int(request.form.get(f, "")) for f in ("payment_timeout_minutes", "auto_confirm_days",
                                                                 "after_sales_days", "max_quantity_per_line")}
            values["shipping_fee"] = _money(request.form.get("shipping_fee") or "0")
            free = (request.form.get("free_shipping_over") or "").strip()
            values["free_shipping_over"] = _money(free) if free else None
            services.save_settings(current_user, order_type, values)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect_to(url_for("orders.order_settings"))
        except ValueError:
            db.session.rollback()
            error = _("Use whole numbers for times and amounts like 12.00 for money.")
        except DomainError as err:
            db.session.rollback()
            error = err.message
    rows = [services.settings_for(t) for t in ORDER_TYPES]
    db.session.commit()
    return render_template("orders/settings.html", rows=rows, types=TYPE_LABELS, error=error,
                           currency=current_store().currency), 422 if error else 200
