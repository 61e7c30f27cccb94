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
                   priority: int, active: bool, region_code: str | None = None) -> Warehouse:
    """`region_code`: the GB/T 2260 code of the warehouse's province, city or district (six
    digits), which the nearest-warehouse routing compares with the delivery address."""
    code, name = (code or "").strip().upper(), (name or "").strip()
    region_code = (region_code or "").strip()
    if region_code and not (len(region_code) == 6 and region_code.isdigit()):
        raise DomainError(_("A region code has six digits, like 310115."), field="region_code")
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
    if region_code is not None or created:
        warehouse.region_code = region_code
    if created:
        db.session.add(warehouse)
        audit.record(actor, "warehouse.created", warehouse, label=code)
    else:
        changes = audit.changes_of(warehouse, {"code", "name", "kind", "priority", "active", "address", "region_code"})
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
    just made the reference up (a new order), so there is none to look for first, nor a
    concurrent twin to catch: no savepoint either, since OutOfStock is raised before the
    first stock row changes (the levels are locked and the whole plan made first)."""
    if not fresh:
        existing = db.session.scalar(select(Reservation).where(Reservation.reference == reference))
        if existing is not None:
            return existing
    merged = _merge(lines)
    if fresh:
        reservation = Reservation(reference=reference, status="active", expires_at=expires_at,
                                  lines=_allocate(merged, reference, actor))
        db.session.add(reservation)
        db.session.flush()
        return reservation
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
        left = _left(line)      # a part that shipped already (a delivery notice) stays shipped
        if left <= 0:
            continue
        if target == "committed":
            move(line["sku_id"], line["warehouse_id"], "shipment", "reservation", reference,
                 on_hand=-left, reserved=-left, actor=actor)
        else:
            move(line["sku_id"], line["warehouse_id"], "release", "reservation", reference,
                 reserved=-left, actor=actor)
    if target == "committed":
        reservation.lines = [{**line, "committed": line["quantity"]} for line in reservation.lines]
    reservation.status, reservation.finished_at = target, utcnow()
    return reservation


def _left(line: dict) -> int:
    """What a reservation line still holds: its quantity less what shipped from it."""
    return line["quantity"] - line.get("committed", 0)


def release(reference: str, actor=None) -> Reservation:
    """Give reserved stock back (an order cancelled or unpaid)."""
    return _finish(reference, "released", actor)


def commit(reference: str, actor=None) -> Reservation:
    """Turn a reservation into a shipment: on hand and reserved both go down, once. Committing
    a reservation that has shipped already raises IllegalTransition and changes nothing."""
    return _finish(reference, "committed", actor)


# --- delivery notices: an order's reservation shipped in parts, warehouse by warehouse ------------

@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    code: str
    name: str
    priority: int
    region_code: str
    address: str = ""


def active_warehouses() -> list[WarehouseInfo]:
    """The active warehouses, by priority (lower first), for routing."""
    rows = db.session.scalars(select(Warehouse).where(Warehouse.active).order_by(Warehouse.priority, Warehouse.id))
    return [WarehouseInfo(w.id, w.code, w.name, w.priority, w.region_code or "", w.address or "") for w in rows]


def all_warehouses() -> list[WarehouseInfo]:
    """Every warehouse, active or not, by priority."""
    rows = db.session.scalars(select(Warehouse).order_by(Warehouse.priority, Warehouse.id))
    return [WarehouseInfo(w.id, w.code, w.name, w.priority, w.region_code or "", w.address or "") for w in rows]


def warehouses_by_id(ids) -> dict[int, WarehouseInfo]:
    """Any warehouses (active or not) by id, for pages that name them."""
    ids = list(set(ids))
    if not ids:
        return {}
    rows = db.session.scalars(select(Warehouse).where(Warehouse.id.in_(ids)))
    return {w.id: WarehouseInfo(w.id, w.code, w.name, w.priority, w.region_code or "", w.address or "") for w in rows}


def available_by_warehouse(sku_ids) -> dict[tuple[int, int], int]:
    """Available stock (on hand less reserved) per (SKU, active warehouse)."""
    rows = db.session.execute(
        select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand - StockLevel.reserved)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id.in_(list(sku_ids)), Warehouse.active)).all()
    return {(sku_id, warehouse_id): int(available) for sku_id, warehouse_id, available in rows}


def holds(reference: str) -> dict[tuple[int, int], int]:
    """What an active reservation still holds, per (SKU, warehouse); empty when none."""
    reservation = db.session.scalar(select(Reservation).where(Reservation.reference == reference))
    if reservation is None or reservation.status != "active":
        return {}
    out: dict[tuple[int, int], int] = {}
    for line in reservation.lines:
        if _left(line) > 0:
            key = (line["sku_id"], line["warehouse_id"])
            out[key] = out.get(key, 0) + _left(line)
    return out


def rebalance(reference: str, target: dict[tuple[int, int], int], actor=None) -> Reservation:
    """Move what an order's reservation holds to the warehouses routing chose: `target` is
    the quantity to hold per (SKU, warehouse), for what has not shipped yet; each SKU's total
    stays the same. A warehouse that lacks the stock raises OutOfStock and nothing changes."""
    reservation = _locked(reference)
    if reservation.status != "active":
        raise IllegalTransition(_("Nothing is held for %(ref)s any more: its reservation was released or expired.",
                                  ref=_label(reference)))
    current: dict[tuple[int, int], int] = {}
    committed: dict[tuple[int, int], int] = {}
    for line in reservation.lines:
        key = (line["sku_id"], line["warehouse_id"])
        current[key] = current.get(key, 0) + _left(line)
        committed[key] = committed.get(key, 0) + line.get("committed", 0)
    per_sku = lambda d: {s: sum(q for (k, _w), q in d.items() if k == s) for s in {k for k, _w in d}}  # noqa: E731
    if {s: q for s, q in per_sku(current).items() if q} != {s: q for s, q in per_sku(target).items() if q}:
        raise DomainError(_("The new routing does not hold the same quantities as the order."))
    savepoint = db.session.begin_nested()
    try:
        with db.session.no_autoflush:
            for key in sorted(set(current) | set(target)):
                change = target.get(key, 0) - current.get(key, 0)
                if change:
                    move(key[0], key[1], "reservation" if change > 0 else "release", "reservation", reference,
                         reserved=change, actor=actor, note="routing")
        db.session.flush()
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        raise
    lines = []
    for key in sorted(set(committed) | set(target)):
        done, left = committed.get(key, 0), target.get(key, 0)
        if done + left:
            lines.append({"sku_id": key[0], "warehouse_id": key[1], "quantity": done + left, "committed": done})
    reservation.lines = lines
    return reservation


def commit_part(reference: str, warehouse_id: int, quantities: dict[int, int], document_ref: str,
                actor=None) -> Reservation:
    """Ship part of an order's reservation: `quantities` (SKU id → quantity) leave
    `warehouse_id`, on hand and reserved both go down, once. More than the reservation still
    holds there (it shipped already, or it is held elsewhere) raises IllegalTransition and
    changes nothing. When every part has shipped the reservation is committed."""
    reservation = _locked(reference)
    if reservation.status == "committed":
        raise IllegalTransition(_("The stock of %(ref)s has shipped already; it is deducted only once.",
                                  ref=_label(reference)))
    if reservation.status != "active":
        raise IllegalTransition(_("Nothing is held for %(ref)s any more: its reservation was released or expired.",
                                  ref=_label(reference)))
    if reservation.expires_at is not None:
        raise IllegalTransition(_("%(ref)s is not paid yet: its stock is only held until the payment deadline, "
                                  "so it cannot ship.", ref=_label(reference)))
    lines = [dict(line) for line in reservation.lines]
    for sku_id, quantity in sorted(quantities.items()):
        left = sum(_left(l) for l in lines if l["sku_id"] == sku_id and l["warehouse_id"] == warehouse_id)
        if quantity <= 0 or quantity > left:
            raise IllegalTransition(_("%(ref)s: SKU %(sku)s has %(left)d left to ship from this warehouse, not "
                                      "%(quantity)d; it is deducted only once.", ref=_label(reference), sku=sku_id,
                                      left=left, quantity=quantity))
    with db.session.no_autoflush:
        for sku_id, quantity in sorted(quantities.items()):
            move(sku_id, warehouse_id, "shipment", "outbound", document_ref, on_hand=-quantity, reserved=-quantity,
                 actor=actor)
            for line in lines:
                if line["sku_id"] == sku_id and line["warehouse_id"] == warehouse_id and quantity:
                    take = min(quantity, _left(line))
                    line["committed"] = line.get("committed", 0) + take
                    quantity -= take
    reservation.lines = lines
    if all(_left(line) <= 0 for line in lines):
        reservation.status, reservation.finished_at = "committed", utcnow()
    return reservation


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


# --- read side for purchasing (replenishment) --------------------------------------------------

@dataclass(frozen=True)
class LevelFigures:
    sku_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    safety_stock: int
    reorder_point: int


def level_figures(sku_ids=None, warehouse_id: int | None = None) -> dict[tuple[int, int], LevelFigures]:
    """On hand, reserved, safety stock and reorder point per (SKU, active warehouse); all SKUs
    when `sku_ids` is None."""
    stmt = (select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved,
                   StockLevel.safety_stock, StockLevel.reorder_point)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id).where(Warehouse.active))
    if sku_ids is not None:
        stmt = stmt.where(StockLevel.sku_id.in_(list(sku_ids)))
    if warehouse_id is not None:
        stmt = stmt.where(StockLevel.warehouse_id == warehouse_id)
    return {(r[0], r[1]): LevelFigures(*r) for r in db.session.execute(stmt)}


def shipped_since(since: datetime, sku_ids=None) -> dict[tuple[int, int], int]:
    """Units shipped (sales leaving the warehouse) per (SKU, warehouse) since `since`, from the
    stock ledger."""
    stmt = (select(StockMovement.sku_id, StockMovement.warehouse_id, func.sum(-StockMovement.on_hand_change))
            .where(StockMovement.kind == "shipment", StockMovement.on_hand_change < 0, StockMovement.at >= since)
            .group_by(StockMovement.sku_id, StockMovement.warehouse_id))
    if sku_ids is not None:
        stmt = stmt.where(StockMovement.sku_id.in_(list(sku_ids)))
    return {(s, w): int(q) for s, w, q in db.session.execute(stmt)}
def post_return(actor, sku_id: int, warehouse_id: int, quantity: int, reference: str, note: str = "") -> StockMovement:
    """Returned goods that do not go back on sale: into a quarantine warehouse (a warehouse the
    store does not sell or route from: it must be inactive), or, with `quantity` 0, a ledger row
    that records the unit came back and was scrapped. One ledger row per call."""
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise DomainError(_("Choose a warehouse."), field="warehouse_id")
    if quantity and warehouse.active:
        raise DomainError(_("Damaged returns go to a quarantine warehouse that is not sold from: make %(code)s "
                            "inactive, or choose another.", code=warehouse.code), field="warehouse_id")
    if quantity < 0:
        raise DomainError(_("Cannot be negative."), field="quantity")
    return move(sku_id, warehouse_id, "return", "return", reference, on_hand=quantity, actor=actor, note=note)


def resize(reference: str, sku_id: int, change: int, actor=None, warehouse_id: int | None = None) -> Reservation:
    """Hold `change` more units of a SKU (or, negative, fewer) under an active reservation: a
    flash sale's stock pool hands units to the orders its claims become, and takes back the
    units of claims left unpaid; an order gives back the units refunded before shipment. Fewer
    come from `warehouse_id` when given (the delivery notice that held them), else from the
    warehouses holding most; more are reserved where the reservation holds the SKU already.
    OutOfStock when the stock is not there (more) or the reservation holds less (fewer);
    nothing changes then."""
    reservation = _locked(reference)
    if reservation.status != "active":
        raise IllegalTransition(_("Nothing is held for %(ref)s any more: its reservation was released or expired.",
                                  ref=_label(reference)))
    lines = [dict(line) for line in reservation.lines]
    mine = [line for line in lines if line["sku_id"] == sku_id
            and (warehouse_id is None or change > 0 or line["warehouse_id"] == warehouse_id)]
    savepoint = db.session.begin_nested()
    try:
        if change < 0:
            need = -change
            for line in sorted(mine, key=lambda l: -_left(l)):
                take = min(need, _left(line))
                if take:
                    move(sku_id, line["warehouse_id"], "release", "reservation", reference, reserved=-take, actor=actor,
                         note="pool")
                    line["quantity"] -= take
                    need -= take
            if need:
                raise OutOfStock(_("The reservation holds less than that."), field="quantity")
        elif change > 0:
            for line in mine:
                try:
                    with db.session.begin_nested():
                        move(sku_id, line["warehouse_id"], "reservation", "reservation", reference, reserved=change,
                             actor=actor, note="pool")
                except OutOfStock:
                    continue
                line["quantity"] += change
                break
            else:
                raise OutOfStock(_("Not enough stock for this change."), field="quantity")
        db.session.flush()
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        raise
    reservation.lines = lines    # a line emptied stays: units handed back are reserved where it was
    return reservation
