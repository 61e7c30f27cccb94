"""Order pages for staff: list with filters and export, detail with timeline and actions,
and a manual order (phone or offline orders)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.blueprints.catalog import queries as catalog_queries
from app.blueprints.orders import bp, forms, services
from app.blueprints.orders.models import ORDER_TYPES, Order, OrderLine
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView
from app.core.money import to_minor
from app.core.permissions import check, requires
from app.core.tenancy import current_store
from app.extensions import db

DELIVERY_LABELS = {"express": _l("Express delivery"), "pickup": _l("Pickup")}
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
        Column("number", _lp("noun", "Order"), sort=Order.number, link=lambda o: url_for("orders.order", id=o.id)),
        Column("created_at", _l("Placed"), sort=Order.created_at, kind="datetime"),
        Column("status", _l("Status"), sort=Order.status, value=lambda o: services.STATUS_LABELS[o.status], badge=True),
        Column("order_type", _l("Type"), value=lambda o: TYPE_LABELS[o.order_type]),
        Column("shopper", _l("Shopper"), value=lambda o: o.shopper.get("name") or o.shopper.get("email") or ""),
        Column("payable", _l("Payable"), sort=Order.payable, kind="money"),
        Column("source", _l("Source"), sort=Order.source, value=lambda o: services.SOURCE_LABELS.get(o.source, o.source)),
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

    export_variants = {"lines": _l("one row per order line")}
    line_columns = [
        Column("number", _lp("noun", "Order"), value=lambda r: r[0].number),
        Column("created_at", _l("Placed"), kind="datetime", raw=lambda r: r[0].created_at),
        Column("status", _l("Status"), value=lambda r: services.STATUS_LABELS[r[0].status]),
        Column("shopper", _l("Shopper"), value=lambda r: r[0].shopper.get("name") or r[0].shopper.get("email") or ""),
        Column("sku_code", _l("SKU code"), value=lambda r: r[1].sku_code),
        Column("title", _l("Product"), value=lambda r: r[1].title),
        Column("unit_price", _l("Unit price"), kind="money", raw=lambda r: r[1].unit_price,
               currency=lambda r: r[0].currency),
        Column("quantity", _l("Quantity"), kind="number", value=lambda r: r[1].quantity),
        Column("discount", _l("Discount"), kind="money", raw=lambda r: r[1].discount, currency=lambda r: r[0].currency),
        Column("line_total", _l("Line total"), kind="money", raw=lambda r: r[1].total,
               currency=lambda r: r[0].currency),
    ]

    def export_columns(self, variant):
        return self.line_columns if variant == "lines" else super().export_columns(variant)

    def export_query(self, stmt, variant):
        return stmt.options(selectinload(Order.lines)) if variant == "lines" else stmt

    def export_items(self, order, variant):
        return [(order, line) for line in order.lines] if variant == "lines" else (order,)

    # shipping goes through the dispatch center (its delivery notices)
    bulk_actions = [BulkAction("waybills", _l("Print waybills"), lambda ids, actor: _print_waybills(ids, actor),
                               permission="dispatch.work")]

    def search(self, stmt, q):
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return stmt.where(Order.search_text.like(f"%{escaped}%"))


def _print_waybills(ids, actor):
    from app.blueprints.dispatch.bulk_views import print_waybills

    return print_waybills(ids, actor)


OrderList.register(bp, "/", "orders")


def _order(id: int) -> Order:
    return db.get_or_404(Order, id)


@bp.route("/<int:id>")
@requires("orders.view")
def order(id):
    return _order_page(_order(id))


def _order_page(o: Order, posted: dict | None = None, status: int = 200):
    """The order's page; `posted` holds the action form that was refused, with its input and errors."""
    action_forms = {name: cls(formdata=None) for name, cls in ACTION_FORMS.items()}
    action_forms["address"] = forms.AddressChangeForm.of(o)
    action_forms.update(posted or {})
    from app.blueprints.aftersales import queries as aftersales
    from app.blueprints.crossborder import queries as crossborder
    from app.blueprints.logistics import queries as logistics
    from app.blueprints.promotions import queries as promotions

    return render_template("orders/order.html", order=o, timeline=services.ORDER_STATES.history(o),
                           breakdown=promotions.order_breakdown(o.id),
                           shipments=logistics.shipments_for_order(o.id, staff=True),
                           customs=crossborder.declaration_for(o.id),
                           aftersales=aftersales.order_requests(o.number),
                           statuses=services.STATUS_LABELS, types=TYPE_LABELS, sources=services.SOURCE_LABELS, deliveries=DELIVERY_LABELS,
                           price_rule=catalog_queries.price_rule_label,
                           next_states=services.ORDER_STATES.allowed(o.status), forms=action_forms), status


ACTION_PERMISSIONS = {"note": "orders.manage", "address": "orders.manage", "cancel": "orders.manage",
                      "close": "orders.manage", "paid": "orders.payment", "allocate": "orders.fulfil",
                      "deliver": "orders.fulfil", "complete": "orders.fulfil"}   # shipping: the delivery notices
ACTION_FORMS = {"note": forms.NoteForm, "address": forms.AddressChangeForm, "cancel": forms.CancelForm,
                "close": forms.CloseForm, "paid": forms.OfflinePaymentForm}


def _form_step(o: Order, action: str, form):
    """What a form action does with its validated form, and what it says when it went through."""
    done = lambda _r: _("Order %(number)s: %(status)s.", number=o.number,  # noqa: E731
                        status=services.STATUS_LABELS[o.status])
    return {
        "note": (lambda: services.add_note(current_user, o, form.note.data), lambda _r: _("Note added.")),
        "address": (lambda: services.change_address(current_user, o, form.address()), lambda _r: _("Address changed.")),
        "cancel": (lambda: services.cancel_order(current_user, o, form.reason.data), done),
        "close": (lambda: services.close_order(current_user, o, form.reason.data), done),
        "paid": (lambda: services.mark_paid(current_user, o, form.reference.data, offline=True), done),
    }[action]


@bp.route("/<int:id>/<action>", methods=["POST"])
@requires("orders.view")
def order_action(id, action):
    o = _order(id)
    if action not in ACTION_PERMISSIONS:
        abort(404)
    check(ACTION_PERMISSIONS[action])
    if action in ACTION_FORMS:
        form = ACTION_FORMS[action]()
        run, message = _form_step(o, action, form)
        if form.validate_on_submit() and (outcome := commit_form(form, run)):
            flash(message(outcome.result), "success")
            return redirect_to(url_for("orders.order", id=id))
        return _order_page(o, {action: form}, 422)
    steps = {
        "allocate": lambda: services.allocate(current_user, o),
        "deliver": lambda: services.deliver(current_user, o),
        "complete": lambda: services.confirm_receipt(current_user, o),
    }
    perform(steps[action], lambda _r: _("Order %(number)s: %(status)s.", number=o.number,
                                        status=services.STATUS_LABELS[o.status]))
    return redirect_to(url_for("orders.order", id=id))


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.manage")
def order_new():
    """A staff-entered order (phone or offline sale): the same placement as the storefront."""
    import uuid

    form = forms.OrderForm()
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
    if form.validate_on_submit() and (done := commit_form(form, lambda: services.place_order(
            services.lines_by_code([(line.sku_code.data, line.quantity.data) for line in form.lines]),
            form.address(), shopper=form.shopper(), note=form.note.data or "",
            idempotency_key=form.idempotency_key.data or None, source="staff", actor=current_user))):
        flash(_("Order %(number)s placed.", number=done.result.number), "success")
        return redirect_to(url_for("orders.order", id=done.result.id))
    return render_template("orders/order_new.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/settings", methods=["GET", "POST"])
@requires("orders.settings")
def order_settings():
    """Per order type: payment timeout, automatic receipt confirmation, after-sales window, shipping."""
    posted = forms.SettingsForm() if request.method == "POST" else None
    if posted is not None and posted.validate_on_submit() and commit_form(
            posted, lambda: services.save_settings(current_user, posted.order_type.data, posted.values())):
        flash(_("Saved."), "success")
        return redirect_to(url_for("orders.order_settings"))
    rows = [(t, posted if posted is not None and posted.order_type.data == t
             else forms.SettingsForm(obj=services.settings_or_defaults(t), formdata=None)) for t in ORDER_TYPES]
    if posted is not None and posted.order_type.data not in ORDER_TYPES:
        flash(_("Unknown order type."), "error")
    return render_template("orders/settings.html", rows=rows, types=TYPE_LABELS, fields=forms.SETTINGS_FIELDS), \
        422 if posted is not None else 200
