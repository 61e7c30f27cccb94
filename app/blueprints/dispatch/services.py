"""Dispatch operations (调度中心): a paid order becomes delivery notices, routed to
warehouses by the store's strategy; each notice is a sales outbound in its warehouse that
ships its part of the order's reservation exactly once. Staff hold and re-route notices,
pick them in waves, pack and ship them with a carrier and waybill. The caller commits."""
from __future__ import annotations

import uuid

from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy import func, select

from app.blueprints.dispatch import routing
from app.blueprints.dispatch.models import STRATEGIES, DeliveryNotice, DeliveryNoticeLine, DispatchSettings, NoticeEvent, Wave
from app.blueprints.inventory import documents, services as inventory
from app.blueprints.orders import queries as orders_queries, services as orders
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.extensions import db

STATUS_LABELS = {"pending": _l("Waiting to pick"), "held": _l("On hold"), "picking": _l("Picking"),
                 "packed": _l("Packed"), "shipped": _lp("order status", "Shipped"), "cancelled": _l("Intercepted")}
STRATEGY_LABELS = {"priority": _l("Warehouse priority"), "single": _l("One warehouse fills the whole order"),
                   "nearest": _l("Nearest warehouse to the delivery province"),
                   "split": _l("Split by stock (each line from the warehouse holding most)")}
ACTION_LABELS = {"created": _l("Notice created for warehouse %(warehouse)s"),
                 "rerouted": _l("Re-routed from %(from_warehouse)s to %(to_warehouse)s"),
                 "waybill": _l("Waybill %(waybill)s issued"),
                 "reduced": _l("%(quantity)s fewer of %(sku)s: refunded before shipment"),
                 "group_hold": _l("Held until the group buy fills"),
                 "group_filled": _l("The group buy filled: released to the warehouse")}
NOTICE_STATES = StateMachine("notice", {
    "pending": {"held", "picking", "cancelled"},
    "held": {"pending", "cancelled"},
    "picking": {"packed", "cancelled"},
    "packed": {"shipped", "cancelled"},
}, STATUS_LABELS, timeline=NoticeEvent, actions=ACTION_LABELS, audit_label="number")
UNSHIPPED = ("pending", "held", "picking", "packed")
MAX_WEIGHT_GRAMS = 100_000


# --- settings ----------------------------------------------------------------------------------

def settings() -> DispatchSettings:
    """The store's dispatch settings (unsaved defaults until someone saves them)."""
    return db.session.get(DispatchSettings, 1) or DispatchSettings(
        id=1, strategy="priority", default_carrier="", sender_name="", sender_phone="", sender_address="")


def save_settings(actor, strategy: str, default_carrier: str = "", sender_name: str = "", sender_phone: str = "",
                  sender_address: str = "") -> DispatchSettings:
    """Choose the routing strategy, the default carrier and the sender printed on waybills."""
    if strategy not in STRATEGIES:
        raise DomainError(_("Choose a routing strategy."), field="strategy")
    default_carrier = (default_carrier or "").strip()
    if default_carrier and not carriers.known(default_carrier):
        raise DomainError(_("Unknown carrier."), field="default_carrier")
    row = db.session.get(DispatchSettings, 1)
    if row is None:
        row = DispatchSettings(id=1)
        db.session.add(row)
    row.strategy, row.default_carrier = strategy, default_carrier
    row.sender_name, row.sender_phone = (sender_name or "").strip()[:80], (sender_phone or "").strip()[:40]
    row.sender_address = (sender_address or "").strip()[:300]
    changes = audit.changes_of(row)
    if changes:
        audit.record(actor, "dispatch.settings_changed", None, label=strategy, changes=changes)
    return row


# --- delivery notices from paid orders -------------------------------------------------------

def notices_of(order_id: int, lock: bool = False) -> list[DeliveryNotice]:
    stmt = select(DeliveryNotice).where(DeliveryNotice.order_id == order_id).order_by(DeliveryNotice.part)
    return list(db.session.scalars(stmt.with_for_update(of=DeliveryNotice) if lock else stmt))


def _address_code(address: dict) -> str:
    """The GB/T 2260 code of the delivery address: its region code, else its province found
    by name in the regions dataset; none for an address abroad (its state is no province)."""
    if str(address.get("country") or "CN").upper() != "CN":
        return ""
    code = str(address.get("region_code") or "").strip()
    if code:
        return code
    province = str(address.get("province") or "").strip()
    if not province:
        return ""
    from app.core import regions

    for region in regions.provinces():
        if province[:2] in (region.name_zh[:2], region.name_en[:4]):
            return region.code
    return ""


def create_notices(order_id: int, actor=None) -> list[DeliveryNotice]:
    """Route a paid order and write its delivery notices, once per order whatever the
    redeliveries of `order.paid` (the order row is locked and existing notices returned).
    Each notice opens a sales outbound in its warehouse. An order that is no longer paid
    (closed, shipped by hand) gets none. Lock order: the order, then its reservation."""
    existing = notices_of(order_id)
    if existing:
        return existing
    order = orders.order_for_update(order_id)          # concurrent deliveries wait here
    existing = notices_of(order_id)
    if order is None or existing:
        return existing
    view = orders_queries.for_fulfilment(order_id)
    if view.status not in ("paid", "allocated"):
        return []
    held = inventory.holds(view.reservation_ref)
    wanted = {line.sku_id: line.to_ship for line in view.lines if line.to_ship > 0}
    if not held or not wanted:
        return []
    strategy = settings().strategy
    plan = _plan(strategy, wanted, held, view.address)
    inventory.rebalance(view.reservation_ref, plan.target, actor)
    sites = inventory.warehouses_by_id(plan.parts)
    by_sku = {line.sku_id: line for line in view.lines}
    notices = []
    ordered = sorted(plan.parts.items(), key=lambda item: (sites[item[0]].priority, item[0]))
    for part, (warehouse_id, quantities) in enumerate(ordered, start=1):
        notice = DeliveryNotice(number=f"{view.number}-{part}", order_id=view.id, order_number=view.number, part=part,
                                status="pending", warehouse_id=warehouse_id, strategy=strategy, address=view.address)
        for sku_id, quantity in sorted(quantities.items()):
            line = by_sku[sku_id]
            notice.lines.append(DeliveryNoticeLine(order_line_id=line.id, sku_id=sku_id, sku_code=line.sku_code,
                                                   title=line.title, quantity=quantity))
        db.session.add(notice)
        db.session.flush()
        NOTICE_STATES.start(notice, actor, warehouse=sites[warehouse_id].code, strategy=strategy,
                            fallback=plan.fallback or None, parts=len(ordered))
        _open_outbound(actor, notice, view.reservation_ref)
        notices.append(notice)
    if view.order_type == "group_buy" and _group_waiting(view.id):
        for notice in notices:     # a group order ships only with its whole group
            notice_reason = _("Group buy: ships when the group is full")
            NOTICE_STATES.move(notice, "held", None, notice_reason, action="group_hold")
            notice.hold_reason = notice_reason[:300]
    return notices


def _group_waiting(order_id: int) -> bool:
    """The promotion center says the order's group has not filled yet (the group row is
    share-locked: a group completing now waits for this transaction and then releases it)."""
    from app.blueprints.promotions import queries as promotions

    return promotions.group_waiting(order_id, lock=True)


def _held_for_group(notice: DeliveryNotice) -> bool:
    held = [e for e in NOTICE_STATES.history(notice) if e.to_status == "held" and e.from_status != "held"]
    return bool(held) and held[-1].action == "group_hold"


def release_group_holds(order_id: int) -> int:
    """The order's group buy filled: its notices held for the group go to the warehouse."""
    released = 0
    for notice in notices_of(order_id, lock=True):
        if notice.status == "held" and _held_for_group(notice):
            NOTICE_STATES.move(notice, "pending", None, action="group_filled")
            notice.hold_reason = ""
            released += 1
    return released


def _plan(strategy: str, wanted: dict[int, int], held: dict[tuple[int, int], int], address: dict,
          exclude: int | None = None) -> routing.Plan:
    """Route `wanted`; what the order holds already counts as available where it is held.
    When no warehouse combination works (stock moved meanwhile) the holds stay where they are."""
    sites = [routing.Site(w.id, w.priority, w.region_code) for w in inventory.active_warehouses() if w.id != exclude]
    can = dict(inventory.available_by_warehouse(wanted))
    for key, quantity in held.items():
        can[key] = can.get(key, 0) + quantity
    try:
        return routing.plan(strategy, wanted, sites, can, _address_code(address))
    except routing.Unroutable:
        parts: dict[int, dict[int, int]] = {}
        for (sku_id, warehouse_id), quantity in held.items():
            parts.setdefault(warehouse_id, {})[sku_id] = quantity
        return routing.Plan(parts, fallback=True)


def _open_outbound(actor, notice: DeliveryNotice, reservation_ref: str) -> None:
    outbound = documents.create_sales_outbound(actor, notice.warehouse_id, reservation_ref, notice.number,
                                               [(line.sku_id, line.quantity) for line in notice.lines],
                                               note=_("Delivery notice %(number)s", number=notice.number))
    notice.outbound_number = outbound.number


def _outbound(notice: DeliveryNotice):
    document = documents.by_number(notice.outbound_number)
    if document is None:
        raise DomainError(_("Delivery notice %(number)s has no outbound order.", number=notice.number))
    return document


# --- hold and re-route ---------------------------------------------------------------------------

def hold(actor, notice: DeliveryNotice, reason: str) -> DeliveryNotice:
    """Stop a notice before picking (address check, risk review); it keeps its stock."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the notice is held."), field="reason")
    NOTICE_STATES.move(notice, "held", actor, reason)
    notice.hold_reason = reason[:300]
    return notice


def release_hold(actor, notice: DeliveryNotice) -> DeliveryNotice:
    if notice.status == "held" and _held_for_group(notice):
        raise IllegalTransition(_("This notice ships when its group buy is full."))
    NOTICE_STATES.move(notice, "pending", actor)
    notice.hold_reason = ""
    return notice


def reroute(actor, notice: DeliveryNotice, warehouse_id: int) -> DeliveryNotice:
    """Ship a notice from another warehouse: its part of the order's reservation moves there
    (refused with OutOfStock, changing nothing, when that warehouse lacks the stock), the old
    outbound is cancelled and a new one opens."""
    if not notice.reroutable:
        raise IllegalTransition(_("Only a notice waiting to pick or on hold can be re-routed."))
    sites = {w.id: w for w in inventory.active_warehouses()}
    if warehouse_id not in sites:
        raise DomainError(_("Choose an active warehouse."), field="warehouse_id")
    if warehouse_id == notice.warehouse_id:
        raise DomainError(_("The notice ships from this warehouse already."), field="warehouse_id")
    order = orders_queries.for_fulfilment(notice.order_id)
    target = dict(inventory.holds(order.reservation_ref))
    for line in notice.lines:
        old, new = (line.sku_id, notice.warehouse_id), (line.sku_id, warehouse_id)
        if target.get(old, 0) < line.quantity:
            raise IllegalTransition(_("The order's stock is no longer held in this warehouse."))
        target[old] -= line.quantity
        target[new] = target.get(new, 0) + line.quantity
    try:
        inventory.rebalance(order.reservation_ref, {k: v for k, v in target.items() if v}, actor)
    except inventory.OutOfStock:
        raise inventory.OutOfStock(_("%(warehouse)s does not have the stock for this notice.",
                                     warehouse=sites[warehouse_id].code), field="warehouse_id")
    before = inventory.warehouses_by_id([notice.warehouse_id]).get(notice.warehouse_id)
    documents.cancel(actor, _outbound(notice), by_notice=True)
    notice.warehouse_id = warehouse_id
    NOTICE_STATES.record(notice, actor, "rerouted", from_warehouse=before.code if before else "",
                         to_warehouse=sites[warehouse_id].code)
    _open_outbound(actor, notice, order.reservation_ref)
    return notice


# --- waves, packing, shipping ---------------------------------------------------------------

def create_wave(actor, notice_ids: list[int]) -> Wave:
    """Pick many notices of one warehouse together: one wave, one pick list sorted by bin."""
    notices = list(db.session.scalars(select(DeliveryNotice).where(DeliveryNotice.id.in_(notice_ids))
                                      .order_by(DeliveryNotice.id).with_for_update(of=DeliveryNotice)))
    if not notices:
        raise DomainError(_("Select the notices to pick first."))
    waiting = [n for n in notices if n.status == "pending"]
    if len(waiting) != len(notices):
        numbers = ", ".join(n.number for n in notices if n.status != "pending")
        raise IllegalTransition(_("Only notices waiting to pick go into a wave (not %(numbers)s).", numbers=numbers))
    if len({n.warehouse_id for n in notices}) > 1:
        raise DomainError(_("A wave picks in one warehouse: select notices of one warehouse."))
    wave = Wave(number=f"~{uuid.uuid4().hex[:23]}", warehouse_id=notices[0].warehouse_id, status="picking",
                created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(wave)
    db.session.flush()
    wave.number = f"WV{wave.id:06d}"
    for notice in notices:
        _start_picking(actor, notice, wave)
    audit.record(actor, "dispatch.wave_created", None, label=wave.number, changes={"notices": [None, len(notices)]})
    return wave


def _start_picking(actor, notice: DeliveryNotice, wave: Wave | None = None) -> None:
    NOTICE_STATES.move(notice, "picking", actor, wave=wave.number if wave else None)
    notice.wave_id = wave.id if wave else None
    documents.start_picking(actor, _outbound(notice), by_notice=True)


def pack(actor, notice: DeliveryNotice, weight_grams: int | None) -> DeliveryNotice:
    """The parcel is packed and weighed (grams)."""
    if weight_grams is None or not 0 < weight_grams <= MAX_WEIGHT_GRAMS:
        raise DomainError(_("Weigh the parcel: between 1 g and 100 kg."), field="weight_grams")
    return _pack(actor, notice, weight_grams)


def _pack(actor, notice: DeliveryNotice, weight_grams: int | None) -> DeliveryNotice:
    if notice.status == "pending":
        _start_picking(actor, notice)
    NOTICE_STATES.move(notice, "packed", actor, weight=weight_grams)
    documents.pack(actor, _outbound(notice), by_notice=True)
    notice.weight_grams, notice.packed_at = weight_grams, utcnow()
    return notice


def ship(actor, notice: DeliveryNotice, carrier_code: str, waybill_no: str,
         weight_grams: int | None = None) -> DeliveryNotice:
    """Hand the parcel to the carrier: the waybill is checked, the notice's outbound ships its
    lines out of the order's reservation (once: a second shipment is refused and changes
    nothing), the order counts the shipped quantities and moves to partially shipped or
    shipped, and `parcel.shipped` tells logistics to track it. A notice not packed yet is
    picked and packed on the way (bulk shipping)."""
    if notice.status == "held":
        raise IllegalTransition(_("Notice %(number)s is on hold: %(reason)s", number=notice.number,
                                  reason=notice.hold_reason))
    if notice.status not in UNSHIPPED:
        raise IllegalTransition(_("Notice %(number)s: %(status)s already.", number=notice.number,
                                  status=STATUS_LABELS[notice.status]))
    carrier_code = (carrier_code or "").strip()
    waybill = carriers.check(carrier_code, waybill_no)
    order = orders.order_for_update(notice.order_id)      # the order before its reservation, as everywhere
    if notice.packable:
        _pack(actor, notice, weight_grams or notice.weight_grams)
    notice.carrier_code, notice.waybill_no = carrier_code, waybill
    outbound = _outbound(notice)
    documents.ship_sales(actor, outbound)
    NOTICE_STATES.move(notice, "shipped", actor, carrier=carriers.name(carrier_code), waybill=waybill)
    notice.shipped_at = notice.finished_at = utcnow()
    lines = {line.order_line_id: line.quantity for line in notice.lines}
    if outbound.reservation_ref == orders_queries.for_fulfilment(notice.order_id).reservation_ref:
        orders.record_parcel(actor, order, notice.number, lines, carrier=carriers.name(carrier_code), waybill=waybill)
    # else a replacement (after-sales exchange) ships from its own reservation: the order counts nothing
    emit("parcel.shipped", {
        "notice_id": notice.id, "notice_number": notice.number, "order_id": notice.order_id,
        "order_number": notice.order_number, "warehouse_id": notice.warehouse_id, "outbound_number": outbound.number,
        "carrier_code": carrier_code, "waybill_no": waybill, "weight_grams": notice.weight_grams,
        "lines": [{"order_line_id": line.order_line_id, "sku_id": line.sku_id, "quantity": line.quantity}
                  for line in notice.lines]})
    _finish_wave(notice.wave_id)
    return notice


def _finish_wave(wave_id: int | None) -> None:
    if wave_id is None:
        return
    left = db.session.scalar(select(func.count()).select_from(DeliveryNotice).where(
        DeliveryNotice.wave_id == wave_id, DeliveryNotice.status.in_(UNSHIPPED)))
    if not left:
        wave = db.session.get(Wave, wave_id)
        if wave.status == "picking":
            wave.status, wave.finished_at = "done", utcnow()


def issue_waybill(actor, notice: DeliveryNotice, carrier_code: str | None = None) -> DeliveryNotice:
    """Ask the carrier for an electronic waybill (电子面单) for the notice, once: a notice
    that has one keeps it. The notice row is locked first, so a second print of the same
    parcels at the same moment (a double click, a wave and an order list) waits for the first
    and finds its number instead of asking the carrier for another."""
    if notice.waybill_no:
        return notice
    db.session.flush()
    db.session.refresh(notice, ["waybill_no", "carrier_code", "status"], with_for_update=True)
    if notice.waybill_no:
        return notice
    if notice.status not in UNSHIPPED or notice.status == "held":
        raise IllegalTransition(_("Notice %(number)s cannot get a waybill now (%(status)s).", number=notice.number,
                                  status=STATUS_LABELS[notice.status]))
    config = settings()
    carrier_code = (carrier_code or config.default_carrier or "").strip()
    if not carriers.known(carrier_code):
        raise DomainError(_("Choose the carrier (or set a default carrier in the dispatch settings)."),
                          field="carrier_code")
    address = notice.address or {}
    receiver = {"name": address.get("name", ""), "phone": address.get("phone", ""),
                "address": " ".join(str(address.get(k) or "") for k in ("province", "city", "district", "street"))}
    sender = {"name": config.sender_name, "phone": config.sender_phone, "address": config.sender_address}
    items = [{"sku_code": line.sku_code, "title": line.title, "quantity": line.quantity} for line in notice.lines]
    notice.waybill_no = carriers.issue(actor, carrier_code, reference=notice.number, sender=sender,
                                       receiver=receiver, items=items)
    notice.carrier_code = carrier_code
    NOTICE_STATES.record(notice, actor, "waybill", carrier=carriers.name(carrier_code), waybill=notice.waybill_no)
    return notice


def ship_with_waybill(actor, notice: DeliveryNotice, weight_grams: int | None = None) -> DeliveryNotice:
    """Ship a notice with the electronic waybill it was issued."""
    if not notice.waybill_no:
        raise DomainError(_("Print the waybill first, or type the carrier and waybill number."), field="waybill_no")
    return ship(actor, notice, notice.carrier_code, notice.waybill_no, weight_grams)


# --- interception ---------------------------------------------------------------------------------

def intercept_order(actor, order_id: int, reason: str = "") -> int:
    """The order was cancelled or closed before it shipped: every notice that has not left is
    intercepted and its outbound cancelled (the order center released the stock). Returns how
    many notices were stopped; running it again stops none."""
    count = 0
    for notice in notices_of(order_id, lock=True):
        if notice.status in UNSHIPPED:
            NOTICE_STATES.move(notice, "cancelled", actor, reason)
            notice.finished_at = utcnow()
            document = documents.by_number(notice.outbound_number)
            if document is not None and document.status not in ("shipped", "cancelled"):
                documents.cancel(actor, document, by_notice=True)
            _finish_wave(notice.wave_id)
            count += 1
    return count


def reduce_order(actor, order_id: int, quantities: dict[int, int], reason: str = "") -> dict[int, int]:
    """Units of a paid order refunded before they shipped (`quantities`: order line id →
    units): the order counts them as never shipping, they come off the delivery notices that
    have not left (and their outbounds), and their part of the order's reservation is released
    in the warehouse that held it, in this transaction. A notice left with nothing is
    intercepted. Units that shipped meanwhile stay shipped (at most what is left to ship is
    taken). Returns what was taken per order line. Lock order: the order, its notices, then
    its reservation."""
    order = orders.order_for_update(order_id)
    view = orders_queries.for_fulfilment(order_id)
    if order is None or view.status not in ("paid", "allocated", "partially_shipped"):
        return {}
    lines = {line.id: line for line in view.lines}
    taken = {line_id: min(quantity, lines[line_id].to_ship) for line_id, quantity in sorted(quantities.items())
             if line_id in lines and min(quantity, lines[line_id].to_ship) > 0}
    if not taken:
        return {}
    notices = []
    for notice in notices_of(order_id, lock=True):      # the order's own parcels, not replacements
        outbound = documents.by_number(notice.outbound_number)
        if notice.status in UNSHIPPED and outbound is not None and outbound.reservation_ref == view.reservation_ref:
            notices.append((notice, outbound))
    # a parcel not picked yet gives its units first, then the latest part
    notices.sort(key=lambda pair: (pair[0].status in ("picking", "packed"), -pair[0].part))
    orders.cancel_units(actor, order, taken, reason)
    for line_id, quantity in taken.items():
        left = quantity
        for notice, outbound in notices:
            for notice_line in [l for l in notice.lines if l.order_line_id == line_id]:
                take = min(left, notice_line.quantity)
                if not take:
                    continue
                notice_line.quantity -= take
                if not notice_line.quantity:
                    notice.lines.remove(notice_line)
                documents.reduce_sales_outbound(actor, outbound, notice_line.sku_id, take)
                inventory.resize(view.reservation_ref, notice_line.sku_id, -take, actor,
                                 warehouse_id=notice.warehouse_id)
                NOTICE_STATES.record(notice, actor, "reduced", reason, sku=notice_line.sku_code, quantity=take)
                left -= take
        if left:        # not routed yet: the reservation gives them back where it holds most
            inventory.resize(view.reservation_ref, lines[line_id].sku_id, -left, actor)
    for notice, outbound in notices:
        if not notice.lines and notice.status in UNSHIPPED:
            NOTICE_STATES.move(notice, "cancelled", actor, reason)
            notice.finished_at = utcnow()
            documents.cancel(actor, outbound, by_notice=True)
            _finish_wave(notice.wave_id)
    return taken


# --- replacements for after-sales exchanges ------------------------------------------------------

def create_replacement_notices(actor, order_id: int, reservation_ref: str, lines: list[tuple[int, int]],
                               address: dict | None = None) -> list[DeliveryNotice]:
    """Delivery notices for replacement goods (an after-sales exchange) of an order: `lines` are
    (order line id, replacement SKU id) of the goods swapped; what ships is what the reservation
    `reservation_ref` holds, one notice per warehouse holding it, each a sales outbound of that
    reservation (the order's own reservation is not touched). Once per reservation."""
    existing = [n for n in notices_of(order_id) if documents.by_number(n.outbound_number) is not None
                and documents.by_number(n.outbound_number).reservation_ref == reservation_ref]
    if existing:
        return existing
    order = orders.order_for_update(order_id)
    view = orders_queries.for_fulfilment(order_id)
    held = inventory.holds(reservation_ref)
    if order is None or not held:
        raise DomainError(_("Nothing is held for this replacement."))
    line_of_sku = {sku_id: line_id for line_id, sku_id in lines}
    order_lines = {line.id: line for line in view.lines}
    parts: dict[int, dict[int, int]] = {}
    for (sku_id, warehouse_id), quantity in sorted(held.items()):
        parts.setdefault(warehouse_id, {})[sku_id] = quantity
    from app.blueprints.catalog import queries as catalog_queries

    skus = catalog_queries.sku_snapshots({sku for per in parts.values() for sku in per})
    first_part = max([n.part for n in notices_of(order_id)] or [0]) + 1
    notices = []
    for offset, (warehouse_id, quantities) in enumerate(sorted(parts.items())):
        part = first_part + offset
        notice = DeliveryNotice(number=f"{view.number}-{part}", order_id=view.id, order_number=view.number, part=part,
                                status="pending", warehouse_id=warehouse_id, strategy=settings().strategy,
                                address=address or view.address)
        for sku_id, quantity in sorted(quantities.items()):
            line_id = line_of_sku.get(sku_id) or lines[0][0]
            sku = skus.get(sku_id)
            notice.lines.append(DeliveryNoticeLine(order_line_id=line_id, sku_id=sku_id,
                                                   sku_code=sku.code if sku else order_lines[line_id].sku_code,
                                                   title=sku.title if sku else order_lines[line_id].title,
                                                   quantity=quantity))
        db.session.add(notice)
        db.session.flush()
        sites = inventory.warehouses_by_id([warehouse_id])
        NOTICE_STATES.start(notice, actor, warehouse=sites[warehouse_id].code, strategy=notice.strategy,
                            replacement=reservation_ref)
        _open_outbound(actor, notice, reservation_ref)
        notices.append(notice)
    return notices


# --- shipping a whole order (the order page, bulk files) --------------------------------------

def next_unshipped(order_id: int) -> DeliveryNotice | None:
    return next((n for n in notices_of(order_id) if n.status in UNSHIPPED), None)


def ship_order(actor, order_id: int, carrier_code: str, waybill_no: str) -> DeliveryNotice:
    """Ship an order's next parcel with this carrier and waybill (routing it first when its
    notices have not been written yet)."""
    notices = create_notices(order_id, actor)
    notice = next((n for n in notices if n.status in UNSHIPPED), None)
    if notice is None:
        raise IllegalTransition(_("This order has nothing left to ship."))
    return ship(actor, notice, carrier_code, waybill_no)


from app.blueprints.dispatch import carriers  # noqa: E402  (the logistics center's registry)
