"""The supplier scorecard, computed nightly per supplier over the last 90 days:

- on-time rate: received shipping notices that arrived by the date the supplier confirmed;
- fill rate: units accepted ÷ units ordered, on the POs sent in the window (not cancelled);
- defect rate: units rejected at the quality check or returned ÷ units delivered;
- price trend: the average change of its SKUs' prices from the start of the window to now.

Rates are basis points of 1 (9500 = 95 %); None when there is nothing to measure yet.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, select

from app.blueprints.purchasing.models import (Asn, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierPrice,
                                              SupplierScore, SupplierSku)
from app.core.db import utcnow
from app.extensions import db

WINDOW_DAYS = 90


def _rate(part: int, whole: int) -> int | None:
    return (part * 10000 + whole // 2) // whole if whole else None


def compute(supplier_ids=None, now=None) -> list[SupplierScore]:
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    ids = list(supplier_ids) if supplier_ids is not None else list(
        db.session.scalars(select(Supplier.id).where(Supplier.status != "archived")))
    if not ids:
        return []
    rows = db.session.execute(
        select(Asn.supplier_id, func.count(), func.sum(case((Asn.on_time.is_(True), 1), else_=0)))
        .where(Asn.supplier_id.in_(ids), Asn.status == "received", Asn.received_at >= since, Asn.on_time.is_not(None))
        .group_by(Asn.supplier_id)).all()
    deliveries = {s: (int(n), int(o or 0)) for s, n, o in rows}
    fills = {s: (int(o or 0), int(r or 0), int(d or 0), int(x or 0)) for s, o, r, d, x in db.session.execute(
        select(PurchaseOrder.supplier_id, func.sum(PurchaseOrderLine.quantity), func.sum(PurchaseOrderLine.received),
               func.sum(PurchaseOrderLine.received + PurchaseOrderLine.rejected),
               func.sum(PurchaseOrderLine.rejected + PurchaseOrderLine.returned))
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.supplier_id.in_(ids), PurchaseOrder.sent_at >= since,
               PurchaseOrder.status != "cancelled")
        .group_by(PurchaseOrder.supplier_id)).all()}
    trends = price_trends(ids, since)
    out = []
    for supplier_id in ids:
        n, on_time = deliveries.get(supplier_id, (0, 0))
        ordered, received, delivered, defects = fills.get(supplier_id, (0, 0, 0, 0))
        score = SupplierScore(supplier_id=supplier_id, computed_at=now, window_days=WINDOW_DAYS, deliveries=n,
                              on_time=on_time, on_time_rate=_rate(on_time, n), fill_rate=_rate(received, ordered),
                              defect_rate=_rate(defects, delivered), price_trend=trends.get(supplier_id))
        db.session.add(score)
        out.append(score)
    return out


def price_trends(ids, since) -> dict[int, int]:
    """Per supplier: the mean change (bp) from each SKU's price at `since` (or its first price
    after) to its price now."""
    history = db.session.execute(
        select(SupplierSku.supplier_id, SupplierPrice.supplier_sku_id, SupplierPrice.price, SupplierPrice.at)
        .join(SupplierSku, SupplierSku.id == SupplierPrice.supplier_sku_id)
        .where(SupplierSku.supplier_id.in_(ids)).order_by(SupplierPrice.supplier_sku_id, SupplierPrice.at,
                                                          SupplierPrice.id)).all()
    per_link: dict[int, list] = {}
    for supplier_id, link_id, price, at in history:
        per_link.setdefault(link_id, [supplier_id, None, None])
        entry = per_link[link_id]
        if at <= since or entry[1] is None:
            entry[1] = price if (at <= since or entry[1] is None) else entry[1]
        entry[2] = price
    changes: dict[int, list[int]] = {}
    for supplier_id, start, end in per_link.values():
        if start:
            changes.setdefault(supplier_id, []).append((end - start) * 10000 // start)
    return {s: sum(v) // len(v) for s, v in changes.items() if v}


def latest(supplier_id: int) -> SupplierScore | None:
    return db.session.scalar(select(SupplierScore).where(SupplierScore.supplier_id == supplier_id)
                             .order_by(SupplierScore.computed_at.desc(), SupplierScore.id.desc()).limit(1))
