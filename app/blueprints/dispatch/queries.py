"""Dispatch read side: a notice with its lines, an order's notices, a wave's pick list
sorted by bin across its orders."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.blueprints.dispatch.models import DeliveryNotice, Wave
from app.blueprints.inventory import documents, services as inventory
from app.extensions import db


def notice(notice_id: int, lock: bool = False) -> DeliveryNotice | None:
    stmt = select(DeliveryNotice).where(DeliveryNotice.id == notice_id).options(selectinload(DeliveryNotice.lines))
    return db.session.scalar(stmt.with_for_update(of=DeliveryNotice) if lock else stmt)


def notices(notice_ids) -> list[DeliveryNotice]:
    """Notices by id with their lines, in id order (two statements)."""
    return list(db.session.scalars(select(DeliveryNotice).where(DeliveryNotice.id.in_(list(notice_ids)))
                                   .options(selectinload(DeliveryNotice.lines)).order_by(DeliveryNotice.id)))


def wave_notices(wave_id: int) -> list[DeliveryNotice]:
    return list(db.session.scalars(select(DeliveryNotice).where(DeliveryNotice.wave_id == wave_id)
                                   .options(selectinload(DeliveryNotice.lines)).order_by(DeliveryNotice.id)))


def order_notices(order_id: int) -> list[DeliveryNotice]:
    return list(db.session.scalars(select(DeliveryNotice).where(DeliveryNotice.order_id == order_id)
                                   .options(selectinload(DeliveryNotice.lines)).order_by(DeliveryNotice.part)))


def wave(wave_id: int) -> Wave | None:
    return db.session.get(Wave, wave_id)


@dataclass(frozen=True)
class PickRow:
    location: str
    sku_id: int
    sku_code: str
    title: str
    quantity: int
    notices: tuple[tuple[str, int], ...]     # (notice number, quantity) — which order gets how many


def pick_list(wave: Wave, rows: list[DeliveryNotice] | None = None) -> list[PickRow]:
    """One row per SKU over every order of the wave, sorted by bin (unplaced last), with how
    many go to each notice: the picker walks the warehouse once."""
    rows = rows if rows is not None else wave_notices(wave.id)
    totals: dict[int, dict] = {}
    for n in rows:
        if n.status == "cancelled":
            continue
        for line in n.lines:
            entry = totals.setdefault(line.sku_id, {"code": line.sku_code, "title": line.title, "quantity": 0,
                                                    "notices": []})
            entry["quantity"] += line.quantity
            entry["notices"].append((n.number, line.quantity))
    homes = documents.home_locations(wave.warehouse_id, list(totals))
    out = [PickRow(homes.get(sku_id, ""), sku_id, e["code"], e["title"], e["quantity"], tuple(e["notices"]))
           for sku_id, e in totals.items()]
    return sorted(out, key=lambda r: (r.location == "", r.location, r.sku_code))


def warehouse_codes() -> dict[int, str]:
    """Every warehouse's code by id (one statement; list pages name warehouses by it)."""
    from flask import g

    if "dispatch_warehouse_codes" not in g:
        g.dispatch_warehouse_codes = {w.id: w.code for w in inventory.all_warehouses()}
    return g.dispatch_warehouse_codes


def shipped_from(order_id: int) -> dict[int, int]:
    """Order line id → the warehouse its goods left from (the first shipped notice carrying it);
    where returns of that line go back to."""
    out: dict[int, int] = {}
    for notice_row in order_notices(order_id):
        if notice_row.status == "shipped":
            for line in notice_row.lines:
                out.setdefault(line.order_line_id, notice_row.warehouse_id)
    return out
