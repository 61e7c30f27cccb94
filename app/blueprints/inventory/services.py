"""Inventory operations (DESIGN rule 7): each change to stock is one conditional UPDATE and
one ledger row, inside the caller's transaction. Stock never goes negative and is never
promised twice. The caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from app.blueprints.inventory.models import (WAREHOUSE_KINDS, LedgerCheck, Location, Reservation, StockLevel,
                                             StockMovement, Warehouse)
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, DuplicateCode, IllegalTransition
from app.core.outbox import emit
from app.extensions import db


class OutOfStock(DomainError):
    """Not enough available stock; nothing was changed."""


@dataclass(frozen=True)
class Line:
    sku_id: int
    quantity: int


# --- warehouses and locations ------------------------------------------------------------------

def save_warehouse(actor, warehouse: Warehouse | None, code: str, name: str, kind: str, address: str,
                   priority: int, active: bool) -> Warehouse:
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or len(code) > 20:
        raise DomainError(_("Give a code of up to 20 characters."), field="code")
    if not name:
        raise DomainError(_("Give the warehouse a name."), field="name")
    if kind not in WAREHOUSE_KINDS:
        raise DomainError(_("Choose a kind."), field="kind")
    clash = select(Warehouse.id).where(func.lower(Warehouse.code) == code.lower())
    if warehouse is not None:
        clash = clash.where(Warehouse.id != warehouse.id)
    if db.session.scalar(clash):
        raise DuplicateCode(_("Another warehouse has this code."), field="code")
    created = warehouse is None
    warehouse = warehouse or Warehouse()
    warehouse.code, warehouse.name, warehouse.kind = code, name, kind
    warehouse.address, warehouse.priority, warehouse.active = (address or "").strip()[:300], priority or 0, active
    if created:
        db.session.add(warehouse)
        audit.record(actor, "warehouse.created", warehouse, label=code)
    else:
        changes = audit.changes_of(warehouse, {"code", "name", "kind", "priority", "active", "address"})
        if changes:
            audit.record(actor, "warehouse.updated", warehouse, label=code, changes=changes)
    return warehouse


def add_location(actor, warehouse: Warehouse, zone: str, aisle: str, shelf: str, bin_: str) -> Location:
    parts = [p.strip().upper() for p in (zone, aisle, shelf, bin_)]
    if not parts[0]:
        raise DomainError(_("Give at least the zone."), field="zone")
    code = "-".join(p for p in parts if p)
    if db.session.scalar(select(Location.id).where(Location.warehouse_id == warehouse.id, Location.code == code)):
        raise DuplicateCode(_("This warehouse has a location %(code)s already.", code=code), field="zone")
    location = Location(warehouse_id=warehouse.id, code=code, zone=parts[0], aisle=parts[1], shelf=parts[2], bin=parts[3])
    db.session.add(location)
    audit.record(actor, "location.created", warehouse, label=f"{warehouse.code} {code}")
    return location


# --- the one way stock changes -----------------------------------------------------------------

def _ensure_level(sku_id: int, warehouse_id: int) -> None:
    db.session.execute(insert(StockLevel).values(sku_id=sku_id, warehouse_id=warehouse_id, on_hand=0, reserved=0,
                                                 incoming=0, safety_stock=0, reorder_point=0, low=False)
                       .on_conflict_do_nothing(index_elements=["sku_id", "warehouse_id"]))


def move(sku_id: int, warehouse_id: int, kind: str, document_type: str, document_ref: str, *,
         on_hand: int = 0, reserved: int = 0, actor=None, note: str = "") -> StockMovement:
    """Change a stock level by (on_hand, reserved) with one conditional UPDATE and write the
    ledger row. Raises OutOfStock (changing nothing) if the result would be negative or
    reserve more than is on hand."""
    row = _conditional_update(sku_id, warehouse_id, on_hand, reserved)
    if row is None and not db.session.scalar(select(StockLevel.id).where(StockLevel.sku_id == sku_id,
                                                                       StockLevel.warehouse_id == warehouse_id)):
        _ensure_level(sku_id, warehouse_id)  # first stock of this SKU here
        row = _conditional_update(sku_id, warehouse_id, on_hand, reserved)
    if row is None:
        raise OutOfStock(_("Not enough stock for this change."), field="quantity")
    new_on_hand, new_reserved, reorder_point, low, level_id = row
    movement = StockMovement(sku_id=sku_id, warehouse_id=warehouse_id, kind=kind, on_hand_change=on_hand,
                             reserved_change=reserved, on_hand_after=new_on_hand, reserved_after=new_reserved,
                             document_type=document_type, document_ref=str(document_ref)[:80], note=(note or "")[:300],
                             actor_name=getattr(actor, "email", None) or "system")
    db.session.add(movement)
    _check_low(level_id, sku_id, warehouse_id, new_on_hand - new_reserved, reorder_point, low)
    return movement


def _check_low(level_id, sku_id, warehouse_id, available: int, reorder_point: int, low: bool) -> None:
    """Emit stock.low once per crossing of the reorder point (and re-arm when back above)."""
    below = reorder_point > 0 and available <= reorder_point
    if below and not low:
        changed = db.session.execute(update(StockLevel).where(StockLevel.id == level_id, StockLevel.low.is_(False))
                                     .values(low=True).execution_options(synchronize_session=False)).rowcount
        if changed:
            emit("stock.low", {"sku_id": sku_id, "warehouse_id": warehouse_id, "available": available,
                               "reorder_point": reorder_point})
    elif not below and low:
        db.session.execute(update(StockLevel).where(StockLevel.id == level_id).values(low=False)
                           .execution_options(synchronize_session=False))


def _conditional_update(sku_id: int, warehouse_id: int, on_hand: int, reserved: int):
    return db.session.execute(
        update(StockLevel)
        .where(StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id,
               StockLevel.on_hand + on_hand >= 0, StockLevel.reserved + reserved >= 0,
               StockLevel.reserved + reserved <= StockLevel.on_hand + on_hand)
        .values(on_hand=StockLevel.on_hand + on_hand, reserved=StockLevel.reserved + reserved)
        .returning(StockLevel.on_hand, StockLevel.reserved, StockLevel.reorder_point, StockLevel.low, StockLevel.id)
        .execution_options(synchronize_session=False)).first()


def adjust(actor, sku_id: int, warehouse_id: int, counted: int | None = None, delta: int | None = None,
           reason: str = "") -> StockMovement:
    """Set on-hand to a counted quantity, or change it by `delta`, as an adjustment."""
    if (counted is None) == (delta is None):
        raise DomainError(_("Give either the counted quantity or a change."), field="counted")
    if not (reason or "").strip():
        raise DomainError(_("Say why stock is adjusted."), field="reason")
    _ensure_level(sku_id, warehouse_id)
    if counted is not None:
        if counted < 0:
            raise DomainError(_("Cannot be negative."), field="counted")
        current = db.session.scalar(select(StockLevel.on_hand).where(StockLevel.sku_id == sku_id,
                                                                     StockLevel.warehouse_id == warehouse_id))
        delta = counted - current
    movement = move(sku_id, warehouse_id, "adjustment", "adjustment", f"adj-{utcnow():%Y%m%d%H%M%S}", on_hand=delta,
                    actor=actor, note=reason)
    audit.record(actor, "stock.adjusted", None, label=f"sku {sku_id} @ wh {warehouse_id}",
                 changes={"on_hand": [movement.on_hand_before, movement.on_hand_after], "reason": [None, reason]})
    return movement


def receive(actor, sku_id: int, warehouse_id: int, quantity: int, document_ref: str, kind: str = "receipt") -> StockMovement:
    if quantity <= 0:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    return move(sku_id, warehouse_id, kind, kind, document_ref, on_hand=quantity, actor=actor)


def set_thresholds(actor, sku_id: int, warehouse_id: int, safety_stock: int, reorder_point: int) -> StockLevel:
    if safety_stock < 0 or reorder_point < 0:
        raise DomainError(_("Cannot be negative."), field="reorder_point")
    _ensure_level(sku_id, warehouse_id)
    level = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id))
    level.safety_stock, level.reorder_point = safety_stock, reorder_point
    changes = audit.changes_of(level, {"safety_stock", "reorder_point"})
    db.session.flush()
    _check_low(level.id, sku_id, warehouse_id, level.available, reorder_point, level.low)
    if changes:
        audit.record(actor, "stock.thresholds", None, label=f"sku {sku_id} @ wh {warehouse_id}", changes=changes)
    return level


# --- reservations ----------------------------------------------------------------------------
#
# Lock order (no deadlocks between checkouts, cancels, shipments and documents): every
# transaction that changes several stock levels touches them sorted by (SKU id, warehouse
# id). A reservation row is locked before any of its stock levels.

def _lock_levels(sku_ids) -> dict[int, list[tuple[int, int]]]:
    """Lock the stock levels of these SKUs in active warehouses, in (SKU, warehouse) order,
    and return (warehouse id, available) per SKU by warehouse priority."""
    rows = db.session.execute(
        select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand - StockLevel.reserved, Warehouse.priority)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id.in_(list(sku_ids)), Warehouse.active)
        .order_by(StockLevel.sku_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel)).all()
    out: dict[int, list] = {}
    for sku_id, warehouse_id, available, priority in rows:
        if available > 0:
            out.setdefault(sku_id, []).append((priority, warehouse_id, available))
    return {sku_id: [(w, a) for _p, w, a in sorted(found)] for sku_id, found in out.items()}


def _allocate(merged: dict[int, int], reference: str, actor=None) -> list[dict]:
    """Reserve `merged` (SKU id → quantity) across warehouses by priority; raises OutOfStock."""
    candidates = _lock_levels(merged)
    plan = []
    for sku_id in sorted(merged):
        remaining = merged[sku_id]
        for warehouse_id, available in candidates.get(sku_id, []):
            take = min(remaining, available)
            if take > 0:
                plan.append({"sku_id": sku_id, "warehouse_id": warehouse_id, "quantity": take})
                remaining -= take
            if remaining == 0:
                break
        if remaining > 0:
            raise OutOfStock(_("Only part of SKU %(sku)s is available.", sku=sku_id), field="quantity")
    with db.session.no_autoflush:  # the ledger rows go in together, as one insert, at the next flush
        for line in sorted(plan, key=lambda l: (l["sku_id"], l["warehouse_id"])):
            move(line["sku_id"], line["warehouse_id"], "reservation", "reservation", reference,
                 reserved=line["quantity"], actor=actor)
    return plan


def _merge(lines) -> dict[int, int]:
    merged: dict[int, int] = {}
    for line in lines:
        if line.quantity <= 0:
            raise DomainError(_("The quantity must be at least 1."), field="quantity")
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    return merged


def reserve(lines: list[Line], reference: str, expires_at: datetime | None = None, actor=None,
            fresh: bool = False) -> Reservation:
    """Reserve every line or nothing, across warehouses by priority and stock. Idempotent per
    `reference`: asking again returns the existing reservation. `fresh` says the caller has
    just made the reference up (a new order), so there is none to look for first."""
    if not fresh:
        existing = db.session.scalar(select(Reservation).where(Reservation.reference == reference))
        if existing is not None:
            return existing
    merged = _merge(lines)
    savepoint = db.session.begin_nested()
    try:
        allocated = _allocate(merged, reference, actor)
        reservation = Reservation(reference=reference, status="active", expires_at=expires_at, lines=allocated)
        db.session.add(reservation)
        db.session.flush()
        savepoint.commit()
        return reservation
    except IntegrityError:
        savepoint.rollback()  # the same reference was reserved concurrently
        return db.session.scalar(select(Reservation).where(Reservation.reference == reference))
    except Exception:
        savepoint.rollback()
        raise


def _locked(reference: str) -> Reservation:
    reservation = db.session.scalar(select(Reservation).where(Reservation.reference == reference)
                                    .with_for_update().execution_options(populate_existing=True))
    if reservation is None:
        raise DomainError(_("No reservation %(ref)s.", ref=reference))
    return reservation


def hold(reference: str, actor=None) -> Reservation:
    """Make the hold on `reference` permanent (an order was paid): it no longer expires and
    lasts until it is committed (shipped) or released (cancelled, closed). A hold that lapsed
    meanwhile is reserved again; if the stock is gone that raises OutOfStock and changes
    nothing, so a paid order never goes without its stock."""
    reservation = _locked(reference)
    if reservation.status == "active":
        reservation.expires_at = None
        return reservation
    if reservation.status == "committed":
        raise IllegalTransition(_("The stock of %(ref)s has shipped already.", ref=_label(reference)))
    merged = _merge([Line(l["sku_id"], l["quantity"]) for l in reservation.lines])
    savepoint = db.session.begin_nested()
    try:
        reservation.lines = _allocate(merged, reference, actor)
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        raise
    reservation.status, reservation.expires_at, reservation.finished_at = "active", None, None
    return reservation


def _label(reference: str) -> str:
    return reference.removeprefix("order:")


def _finish(reference: str, target: str, actor=None) -> Reservation:
    reservation = _locked(reference)
    if reservation.status == target != "committed" or (target == "expired" and reservation.status == "released"):
        return reservation
    if target == "released" and reservation.status == "expired":
        return reservation      # nothing is held any more: nothing to give back
    if reservation.status == "committed":
        raise IllegalTransition(_("The stock of %(ref)s has shipped already; it is deducted only once.",
                                  ref=_label(reference)))
    if reservation.status != "active":
        raise IllegalTransition(_("Nothing is held for %(ref)s any more: its reservation was released or expired.",
                                  ref=_label(reference)))
    for line in sorted(reservation.lines, key=lambda l: (l["sku_id"], l["warehouse_id"])):
        if target == "committed":
            move(line["sku_id"], line["warehouse_id"], "shipment", "reservation", reference,
                 on_hand=-line["quantity"], reserved=-line["quantity"], actor=actor)
        else:
            move(line["sku_id"], line["warehouse_id"], "release", "reservation", reference,
                 reserved=-line["quantity"], actor=actor)
    reservation.status, reservation.finished_at = target, utcnow()
    return reservation


def release(reference: str, actor=None) -> Reservation:
    """Give reserved stock back (an order cancelled or unpaid)."""
    return _finish(reference, "released", actor)


def commit(reference: str, actor=None) -> Reservation:
    """Turn a reservation into a shipment: on hand and reserved both go down, once. Committing
    a reservation that has shipped already raises IllegalTransition and changes nothing."""
    return _finish(reference, "committed", actor)


def shipment_reservation(reference: str) -> Reservation | None:
    """The order reservation an outbound's reference names (``order:NUMBER`` or the bare
    order number), whatever its status."""
    reference = (reference or "").strip()
    if not reference:
        return None
    return db.session.scalar(select(Reservation).where(Reservation.reference.in_([reference, f"order:{reference}"]))
                             .order_by(Reservation.id).limit(1))


def expire_reservations(now: datetime | None = None) -> int:
    """Release the holds whose time ran out. The due reservations are locked first, in id
    order, skipping any another transaction is working on (it will finish it)."""
    now = now or utcnow()
    due = db.session.scalars(select(Reservation).where(Reservation.status == "active", Reservation.expires_at < now)
                             .order_by(Reservation.id).limit(1000).with_for_update(skip_locked=True)).all()
    for reservation in due:
        _finish(reservation.reference, "expired")
    return len(due)


def sellable(sku_ids: list[int]) -> dict[int, int]:
    """Available stock per SKU over active warehouses (for the storefront)."""
    rows = db.session.execute(
        select(StockLevel.sku_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id.in_(sku_ids), Warehouse.active).group_by(StockLevel.sku_id)).all()
    out = {sku_id: 0 for sku_id in sku_ids}
    out.update({sku_id: int(total) for sku_id, total in rows})
    return out


# --- ledger verification --------------------------------------------------------------------

def verify_ledger() -> LedgerCheck:
    """Compare each level with the sum of its ledger rows; record and return the drift."""
    rows = _ledger_rows()
    drift = [{"sku_id": r.sku_id, "warehouse_id": r.warehouse_id, "on_hand": r.on_hand, "ledger_on_hand": r.lo,
              "reserved": r.reserved, "ledger_reserved": r.lr}
             for r in rows if r.on_hand != r.lo or r.reserved != r.lr]
    check = LedgerCheck(levels=len(rows), drift=drift)
    db.session.add(check)
    if drift:
        audit.record(None, "stock.drift_found", None, label=f"{len(drift)} levels", changes={"drift": [None, drift[:20]]})
    return check


def _ledger_rows():
    sums = (select(StockMovement.sku_id, StockMovement.warehouse_id,
                   func.sum(StockMovement.on_hand_change).label("lo"), func.sum(StockMovement.reserved_change).label("lr"))
            .group_by(StockMovement.sku_id, StockMovement.warehouse_id).subquery())
    return db.session.execute(
        select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved,
               func.coalesce(sums.c.lo, 0).label("lo"), func.coalesce(sums.c.lr, 0).label("lr"))
        .outerjoin(sums, (sums.c.sku_id == StockLevel.sku_id) & (sums.c.warehouse_id == StockLevel.warehouse_id))).all()
