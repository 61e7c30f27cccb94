"""Replenishment suggestions (补货建议), per SKU and warehouse, with the numbers they used:

    daily sales    = units shipped over the last `velocity_days` ÷ velocity_days
    target         = ⌈daily sales × (lead time + days of cover)⌉ + safety stock   (at least the reorder point)
    position       = on hand − reserved + on order (open purchase order lines to this warehouse)
    need           = target − position
    suggested      = need raised to the MOQ, then up to a whole number of packs

SKUs without a supplier get no suggestion (nobody to order from); the preferred supplier is
used, else the one with the shortest lead time. Suggestions group by supplier and warehouse
into draft purchase orders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from flask_babel import gettext as _
from sqlalchemy import BigInteger, DateTime, Integer, String, bindparam, column, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB, insert

from app.blueprints.purchasing.models import PurchaseOrder, PurchaseOrderLine, Suggestion, SupplierSku
from app.blueprints.purchasing.orders import OPEN
from app.blueprints.purchasing.services import settings
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db


@dataclass(frozen=True)
class Figures:
    shipped: int
    days: int
    lead_time: int
    cover_days: int
    safety_stock: int
    reorder_point: int
    on_hand: int
    reserved: int
    on_order: int
    moq: int
    pack_size: int


def daily_sales(shipped: int, days: int) -> Decimal:
    return (Decimal(shipped) / Decimal(days)).quantize(Decimal("0.001")) if days else Decimal(0)


def suggest(f: Figures) -> tuple[int, dict]:
    """The suggested quantity for these figures (0: none) and the numbers to explain it."""
    velocity = Decimal(f.shipped) / Decimal(f.days) if f.days else Decimal(0)
    demand = int((velocity * (f.lead_time + f.cover_days)).to_integral_value(ROUND_CEILING))
    target = max(demand + f.safety_stock, f.reorder_point)
    position = f.on_hand - f.reserved + f.on_order
    need = max(0, target - position)
    quantity = 0
    if need > 0:
        quantity = max(need, f.moq)
        quantity = -(-quantity // f.pack_size) * f.pack_size
    numbers = {"shipped": f.shipped, "days": f.days, "daily_sales": str(daily_sales(f.shipped, f.days)),
               "lead_time": f.lead_time, "cover_days": f.cover_days, "demand": demand,
               "safety_stock": f.safety_stock, "reorder_point": f.reorder_point, "target": target,
               "on_hand": f.on_hand, "reserved": f.reserved, "on_order": f.on_order, "position": position,
               "need": need, "moq": f.moq, "pack_size": f.pack_size, "quantity": quantity}
    return quantity, numbers


def on_order(sku_ids=None) -> dict[tuple[int, int], int]:
    """Units still expected per (SKU, warehouse) on open purchase orders."""
    planned = func.greatest(
        func.coalesce(func.nullif(PurchaseOrderLine.confirmed, 0), PurchaseOrderLine.quantity)
        - PurchaseOrderLine.received - PurchaseOrderLine.rejected, 0)
    stmt = (select(PurchaseOrderLine.sku_id, PurchaseOrder.warehouse_id, func.sum(planned))
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(PurchaseOrder.status.in_(OPEN), PurchaseOrderLine.status != "rejected")
            .group_by(PurchaseOrderLine.sku_id, PurchaseOrder.warehouse_id))
    if sku_ids is not None:
        stmt = stmt.where(PurchaseOrderLine.sku_id.in_(list(sku_ids)))
    return {(s, w): int(q) for s, w, q in db.session.execute(stmt)}


@dataclass(frozen=True)
class Link:
    sku_id: int
    supplier_id: int
    lead_time_days: int
    moq: int
    pack_size: int


def _links(sku_ids=None) -> dict[int, Link]:
    """The supplier to order each SKU from: the preferred one, else the shortest lead time."""
    from app.blueprints.purchasing.models import Supplier

    stmt = (select(SupplierSku.sku_id, SupplierSku.supplier_id, SupplierSku.lead_time_days, SupplierSku.moq,
                   SupplierSku.pack_size).join(Supplier, Supplier.id == SupplierSku.supplier_id)
            .where(Supplier.status == "active")
            .order_by(SupplierSku.sku_id, SupplierSku.preferred.desc(), SupplierSku.lead_time_days, SupplierSku.id))
    if sku_ids is not None:
        stmt = stmt.where(SupplierSku.sku_id.in_(list(sku_ids)))
    out: dict[int, Link] = {}
    for row in db.session.execute(stmt):
        out.setdefault(row[0], Link(*row))
    return out


UPSERT_ROWS = 10_000      # rows per statement: a few MB of JSON


def _upsert(trigger: str, now):
    """One INSERT … ON CONFLICT for a batch of suggestions, the rows sent as one JSON array
    (`rows`: sku_id, warehouse_id, supplier_id, quantity, numbers) and unpacked by
    jsonb_to_recordset. The statement does not depend on the batch size, so SQLAlchemy compiles
    it once per process; a multi-row VALUES compiled two bound parameters per cell again for every
    batch (20,000 of them per 2,000 rows), most of the nightly run's time."""
    rows = (func.jsonb_to_recordset(bindparam("rows", type_=JSONB))
            .table_valued(column("sku_id", BigInteger), column("warehouse_id", Integer),
                          column("supplier_id", BigInteger), column("quantity", Integer), column("numbers", JSONB))
            .render_derived(name="r", with_types=True))
    stamp = literal(now, DateTime(timezone=True))
    table = Suggestion.__table__      # a Core insert: the ORM's bulk path does not take INSERT … SELECT
    stmt = insert(table).from_select(
        ["sku_id", "warehouse_id", "supplier_id", "quantity", "numbers", "status", "trigger", "created_at",
         "updated_at"],
        select(rows.c.sku_id, rows.c.warehouse_id, rows.c.supplier_id, rows.c.quantity, rows.c.numbers,
               literal("open", String), literal(trigger, String), stamp, stamp))
    return stmt.on_conflict_do_update(
        index_elements=["sku_id", "warehouse_id"], index_where=table.c.status == "open",
        set_={"supplier_id": stmt.excluded.supplier_id, "quantity": stmt.excluded.quantity,
              "numbers": stmt.excluded.numbers, "trigger": stmt.excluded.trigger,
              "updated_at": stmt.excluded.updated_at})


def compute(sku_ids=None, warehouse_id: int | None = None, trigger: str = "nightly") -> int:
    """Compute suggestions for these SKUs (all with a supplier when None) and keep one open
    suggestion per SKU and warehouse (updated in place, dropped when no longer needed).
    Returns how many are open for them now."""
    from app.blueprints.inventory import services as inventory

    row = settings()
    links = _links(sku_ids)
    if not links:
        return 0
    from app.blueprints.catalog import queries as catalog

    ids = None if sku_ids is None else list(links)      # the nightly run reads whole tables, not 50,000 ids
    levels = inventory.level_figures(ids, warehouse_id)
    shipped = inventory.shipped_since(utcnow() - timedelta(days=row.velocity_days), ids)
    ordered = on_order(ids)
    codes = catalog.sku_codes(ids)
    keep, drop, now = [], [], utcnow()
    for (sku_id, wh_id), level in levels.items():
        link = links.get(sku_id)
        if link is None:          # no supplier to order from
            continue
        figures = Figures(shipped.get((sku_id, wh_id), 0), row.velocity_days, link.lead_time_days, row.cover_days,
                          level.safety_stock, level.reorder_point, level.on_hand, level.reserved,
                          ordered.get((sku_id, wh_id), 0), link.moq, link.pack_size)
        quantity, numbers = suggest(figures)
        numbers["sku_code"] = codes.get(sku_id, "")
        if quantity:
            keep.append({"sku_id": sku_id, "warehouse_id": wh_id, "supplier_id": link.supplier_id,
                         "quantity": quantity, "numbers": numbers})
        else:
            drop.append((sku_id, wh_id))
    upsert = _upsert(trigger, now)
    for start in range(0, len(keep), UPSERT_ROWS):
        db.session.execute(upsert, {"rows": keep[start:start + UPSERT_ROWS]})
    if sku_ids is None and warehouse_id is None:     # the whole store: what this run did not renew goes
        from sqlalchemy import delete

        db.session.execute(delete(Suggestion).where(Suggestion.status == "open", Suggestion.updated_at < now)
                           .execution_options(synchronize_session=False))
    elif drop:
        from sqlalchemy import delete, tuple_

        for start in range(0, len(drop), 1000):
            db.session.execute(delete(Suggestion).where(
                Suggestion.status == "open",
                tuple_(Suggestion.sku_id, Suggestion.warehouse_id).in_(drop[start:start + 1000]))
                .execution_options(synchronize_session=False))
    return len(keep)


def dismiss(actor, ids: list[int]) -> int:
    rows = db.session.scalars(select(Suggestion).where(Suggestion.id.in_(ids), Suggestion.status == "open")).all()
    for row in rows:
        row.status = "dismissed"
    return len(rows)


def to_orders(actor, ids: list[int]) -> list[PurchaseOrder]:
    """Turn open suggestions into draft purchase orders, one per supplier and warehouse, at
    each supplier's price; staff edit and submit them."""
    from app.blueprints.purchasing import orders

    rows = db.session.scalars(select(Suggestion).where(Suggestion.id.in_(ids), Suggestion.status == "open")
                              .order_by(Suggestion.id).with_for_update(of=Suggestion)).all()
    if not rows:
        raise DomainError(_("Select open suggestions first."))
    if any(row.supplier_id is None for row in rows):
        raise DomainError(_("A selected SKU has no supplier: link it to one first."))
    groups: dict[tuple[int, int], list[Suggestion]] = {}
    for row in rows:
        groups.setdefault((row.supplier_id, row.warehouse_id), []).append(row)
    made = []
    for (supplier_id, warehouse_id), group in sorted(groups.items()):
        po = orders.create_order(actor, supplier_id, warehouse_id, source="suggestion")
        for row in group:
            orders.add_line(actor, po, row.sku_id, row.quantity)
            row.status, row.order_id = "ordered", po.id
        made.append(po)
    return made
