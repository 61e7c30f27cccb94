"""Inventory pages: stock overview, a SKU's stock card, reservations, warehouses."""
from __future__ import annotations

from datetime import date, timedelta

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from app.core.audit import actor_label
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from app.blueprints.catalog import queries as catalog_queries
from app.blueprints.catalog import services as catalog_services
from app.blueprints.catalog.models import Product, Sku
from app.blueprints.inventory import bp, forms, services
from app.blueprints.inventory.models import LedgerCheck, Location, Reservation, StockLevel, StockMovement, Warehouse
from app.core.errors import DomainError
from app.core.formview import FormView, attach_error, commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView, detail_url
from app.core.permissions import requires
from app.extensions import db


def _row_id(raw: str) -> int:
    """A row id from a query string: a positive integer PostgreSQL's integer column can hold."""
    value = int(raw)
    if not 0 < value < 2 ** 31:
        raise ValueError(raw)
    return value


KIND_LABELS = {"receipt": _l("Receipt"), "shipment": _l("Shipment"), "adjustment": _l("Adjustment"),
               "transfer_out": _l("Transfer out"), "transfer_in": _l("Transfer in"),
               "stocktake_gain": _l("Stocktake gain"), "stocktake_loss": _l("Stocktake loss"),
               "reservation": _l("Reservation"), "release": _l("Release"), "return": _l("Return")}
WAREHOUSE_KINDS = {"own": _l("Own warehouse"), "third_party": _l("Third-party warehouse"),
                   "pickup": _l("Shop for pickup")}
DOCUMENT_TYPES = {"inbound": _l("Inbound order"), "outbound": _l("Outbound order"),
                  "transfer": _lp("stock document", "Transfer"), "stocktake": _lp("stock document", "Stocktake"),
                  "adjustment": _l("Adjustment"), "reservation": _l("Reservation"), "receipt": _l("Receipt")}
RESERVATION_LABELS = {"active": _l("Active"), "released": _l("Released"), "committed": _l("Shipped"),
                      "expired": _l("Expired")}


def _warehouse_choices():
    return [(str(w.id), f"{w.code} {w.name}") for w in db.session.scalars(select(Warehouse).order_by(Warehouse.priority))]


class StockList(ListView):
    permission = "inventory.view"
    title = _l("Stock")
    model = StockLevel
    template = "inventory/stock_list.html"
    search_fields = [Sku.code, Product.title, Sku.barcode]
    search_placeholder = _l("SKU code, barcode or product")
    default_sort = "code"
    export_name = "stock"
    columns = [
        Column("code", _l("SKU code"), sort=Sku.code, value=lambda l: l.sku.code,
               link=lambda l: url_for("inventory.stock_card", sku_id=l.sku_id)),
        Column("product", _l("Product"), sort=Product.title, value=lambda l: f"{l.sku.product.title} {l.sku.label}"),
        Column("warehouse", _l("Warehouse"), value=lambda l: l.warehouse.code),
        Column("on_hand", _l("On hand"), sort=StockLevel.on_hand),
        Column("reserved", _l("Reserved"), sort=StockLevel.reserved),
        Column("available", _l("Available"), sort=StockLevel.on_hand - StockLevel.reserved, value=lambda l: l.available),
        Column("reorder_point", _l("Reorder point"), sort=StockLevel.reorder_point),
        Column("low", _l("Low"), value=lambda l: _("Low") if l.low else "", badge=True),
    ]
    filters = [
        Filter("warehouse", _l("Warehouse"), lambda q, v: q.where(StockLevel.warehouse_id == int(v)),
               choices=_warehouse_choices),
        Filter("category", _l("Category"),
               lambda q, v: q.where(Product.category_id.in_(catalog_services.subtree_ids(int(v)))),
               choices=lambda: [(str(i), n) for i, n in catalog_queries.category_choices()]),
        Filter("low", _l("Low stock"), lambda q, v: q.where(StockLevel.low.is_(True)),
               choices=lambda: [("1", _("Only low stock"))]),
    ]

    def query(self):
        return (select(StockLevel).join(Sku, Sku.id == StockLevel.sku_id).join(Product, Product.id == Sku.product_id)
                .options(joinedload(StockLevel.sku).joinedload(Sku.product)))

    def context(self, page, state):
        context = super().context(page, state)
        context["last_check"] = db.session.scalar(select(LedgerCheck).order_by(LedgerCheck.id.desc()).limit(1))
        return context


StockList.register(bp, "/stock", "stock")


class MovementList(ListView):
    """The stock ledger of every SKU and warehouse, filtered, paged and exported like any list
    (the stock card shows one SKU's)."""
    permission = "inventory.view"
    title = _l("Stock ledger")
    model = StockMovement
    search_fields = [Sku.code, StockMovement.document_ref, StockMovement.note]
    search_placeholder = _l("SKU code, document or note")
    default_sort = "-at"
    export_name = "stock-ledger"
    per_page_choices = (50, 100, 200)
    columns = [
        Column("at", _l("When"), sort=StockMovement.at, kind="datetime"),
        Column("sku", _l("SKU code"), sort=Sku.code, value=lambda m: m.sku.code,
               link=lambda m: url_for("inventory.stock_card", sku_id=m.sku_id)),
        Column("warehouse", _l("Warehouse"), value=lambda m: m.warehouse.code),
        Column("kind", _l("Movement"), sort=StockMovement.kind, value=lambda m: KIND_LABELS.get(m.kind, m.kind)),
        Column("document", _l("Document"), value=lambda m: m.document_ref),
        Column("on_hand_change", _l("On hand change"), sort=StockMovement.on_hand_change),
        Column("on_hand_after", _l("On hand after"), sort=StockMovement.on_hand_after),
        Column("reserved_change", _l("Reserved change"), sort=StockMovement.reserved_change),
        Column("reserved_after", _l("Reserved after")),
        Column("actor_name", _l("Who"), sort=StockMovement.actor_name, value=lambda m: actor_label(m.actor_name)),
        Column("note", _l("Note")),
    ]
    filters = [
        Filter("sku", _l("SKU"), lambda q, v: q.where(StockMovement.sku_id == v), parse=_row_id),
        Filter("warehouse", _l("Warehouse"), lambda q, v: q.where(StockMovement.warehouse_id == int(v)),
               choices=_warehouse_choices),
        Filter("kind", _l("Movement"), lambda q, v: q.where(StockMovement.kind == v),
               choices=lambda: [(k, str(v)) for k, v in KIND_LABELS.items()]),
        Filter("since", _l("From"), lambda q, v: q.where(StockMovement.at >= v), parse=date.fromisoformat,
               placeholder="2026-01-31"),
        Filter("until", _l("To"), lambda q, v: q.where(StockMovement.at < v + timedelta(days=1)),
               parse=date.fromisoformat, placeholder="2026-01-31"),
    ]

    def query(self):
        return (select(StockMovement).join(Sku, Sku.id == StockMovement.sku_id)
                .options(contains_eager(StockMovement.sku), joinedload(StockMovement.warehouse)))


MovementList.register(bp, "/ledger", "ledger")


@bp.route("/stock/verify", methods=["POST"])
@requires("inventory.view")
def stock_verify():
    perform(services.verify_ledger, lambda check: _("Ledger checked: %(n)d levels, %(d)d with drift.",
                                                      n=check.levels, d=len(check.drift)))
    return redirect_to(url_for("inventory.stock"))


@bp.route("/skus/<int:sku_id>", methods=["GET", "POST"])
@requires("inventory.view")
def stock_card(sku_id):
    return _stock_card(db.get_or_404(Sku, sku_id))


def _stock_card(sku, adjust_form=None, threshold_form=None, status: int = 200):
    """The SKU's stock card; a refused adjust or threshold form is shown with its input and the
    errors under its fields."""
    sku_id = sku.id
    levels = db.session.scalars(select(StockLevel).where(StockLevel.sku_id == sku_id)).all()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    ledger = db.session.scalars(select(StockMovement).where(StockMovement.sku_id == sku_id)
                                .order_by(StockMovement.id.desc()).limit(50).offset((page - 1) * 50)).all()
    warehouses = {w.id: w for w in db.session.scalars(select(Warehouse))}
    adjust_form = adjust_form or forms.AdjustForm(formdata=None).for_warehouses(warehouses.values())
    threshold_form = threshold_form or forms.ThresholdForm(formdata=None).for_warehouses(warehouses.values())
    return render_template("inventory/stock_card.html", sku=sku, levels=levels, ledger=ledger, page=page,
                           warehouses=warehouses, kinds=KIND_LABELS, document_types=DOCUMENT_TYPES,
                           adjust_form=adjust_form, threshold_form=threshold_form), status


def _active_warehouses():
    return db.session.scalars(select(Warehouse).where(Warehouse.active).order_by(Warehouse.priority)).all()


@bp.route("/skus/<int:sku_id>/adjust", methods=["POST"])
@requires("inventory.adjust")
def stock_adjust(sku_id):
    sku = db.get_or_404(Sku, sku_id)
    form = forms.AdjustForm().for_warehouses(_active_warehouses())
    if form.validate_on_submit() and (done := commit_form(form, lambda: services.adjust(
            current_user, sku_id, form.warehouse_id.data, form.counted.data, form.delta.data, form.reason.data))):
        flash(_("Stock adjusted: on hand %(a)d → %(b)d.", a=done.result.on_hand_before, b=done.result.on_hand_after),
              "success")
        return redirect_to(url_for("inventory.stock_card", sku_id=sku_id))
    return _stock_card(sku, adjust_form=form, status=422)


@bp.route("/skus/<int:sku_id>/thresholds", methods=["POST"])
@requires("inventory.adjust")
def stock_thresholds(sku_id):
    sku = db.get_or_404(Sku, sku_id)
    form = forms.ThresholdForm().for_warehouses(_active_warehouses())
    if form.validate_on_submit() and commit_form(form, lambda: services.set_thresholds(
            current_user, sku_id, form.warehouse_id.data, form.safety_stock.data or 0, form.reorder_point.data or 0)):
        flash(_("Saved."), "success")
        return redirect_to(url_for("inventory.stock_card", sku_id=sku_id))
    return _stock_card(sku, threshold_form=form, status=422)


class ReservationList(ListView):
    permission = "inventory.view"
    title = _l("Reservations")
    model = Reservation
    search_fields = [Reservation.reference]
    default_sort = "-id"
    export_name = "reservations"
    columns = [
        Column("id", "#", sort=Reservation.id),
        Column("reference", _l("Reference"), sort=Reservation.reference),
        Column("status", _l("Status"), sort=Reservation.status, value=lambda r: RESERVATION_LABELS[r.status], badge=True),
        Column("lines", _l("Lines"), value=lambda r: "; ".join(f"SKU {l['sku_id']} × {l['quantity']} @ {l['warehouse_id']}"
                                                                for l in r.lines)),
        Column("expires_at", _l("Expires"), sort=Reservation.expires_at, kind="datetime"),
        Column("created_at", _l("Created"), sort=Reservation.created_at, kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Reservation.status == v),
                      choices=lambda: [(k, str(v)) for k, v in RESERVATION_LABELS.items()])]


ReservationList.register(bp, "/reservations", "reservations")


class WarehouseList(ListView):
    permission = "inventory.setup"
    title = _l("Warehouses")
    model = Warehouse
    search_fields = [Warehouse.code, Warehouse.name, Warehouse.address]
    default_sort = "priority"
    export_name = "warehouses"
    create_endpoint = "inventory.warehouse_new"
    create_label = _l("New warehouse")
    create_permission = "inventory.setup"
    columns = [
        Column("code", _l("Code"), sort=Warehouse.code, link=detail_url("inventory.warehouse_edit")),
        Column("name", _l("Name"), sort=Warehouse.name),
        Column("kind", _l("Kind"), sort=Warehouse.kind, value=lambda w: WAREHOUSE_KINDS.get(w.kind, w.kind)),
        Column("priority", _l("Priority"), sort=Warehouse.priority),
        Column("active", _l("Status"), sort=Warehouse.active, value=lambda w: _("Active") if w.active else _("Disabled"),
               badge=True),
        Column("address", _lp("warehouse", "Address")),
    ]


WarehouseList.register(bp, "/warehouses", "warehouses")


class WarehouseEdit(FormView):
    permission = "inventory.setup"
    form_class = forms.WarehouseForm
    title = _l("Warehouse")
    cancel_endpoint = "inventory.warehouses"
    template = "inventory/warehouse_form.html"

    def get_object(self, id=None):
        return db.get_or_404(Warehouse, id) if id else None

    def save(self, form, warehouse):
        return services.save_warehouse(current_user, warehouse, form.code.data, form.name.data, form.kind.data,
                                       form.address.data, form.priority.data or 0, form.active.data,
                                       form.region_code.data or "")

    def success_url(self, warehouse):
        return url_for("inventory.warehouse_edit", id=warehouse.id)

    def extra_context(self, obj):
        locations = db.session.scalars(select(Location).where(Location.warehouse_id == obj.id)
                                       .order_by(Location.code)).all() if obj else []
        return {"locations": locations, "location_form": forms.LocationForm(formdata=None)}


WarehouseEdit.register(bp, "/warehouses/new", "warehouse_new")
WarehouseEdit.register(bp, "/warehouses/<int:id>", "warehouse_edit")


@bp.route("/warehouses/<int:id>/locations", methods=["POST"])
@requires("inventory.setup")
def location_add(id):
    warehouse = db.get_or_404(Warehouse, id)
    form = forms.LocationForm()
    if form.validate_on_submit() and (done := commit_form(form, lambda: services.add_location(
            current_user, warehouse, form.zone.data, form.aisle.data or "", form.shelf.data or "", form.bin.data or ""))):
        flash(_("Location %(code)s added.", code=done.result.code), "success")
        return redirect_to(url_for("inventory.warehouse_edit", id=id))
    page = WarehouseEdit()
    context = {**page.extra_context(warehouse), "location_form": form}   # the refused form, as typed
    return render_template(page.template, form=forms.WarehouseForm(formdata=None, obj=warehouse), obj=warehouse,
                           view=page, **context), 422
