"""After-sales operations (售后): a shopper asks for a refund, a return or an exchange of some
units of an order's lines inside the order type's window; staff (or the store's rules, or a
deadline) approve or reject; goods come back, are inspected unit by unit and restocked once;
the payment center pays back the lines' paid share. Every step is on the request's timeline
and the order's, and emits `aftersales.updated` (and `aftersales.closed` at the end). The
caller commits."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy import func, select

from app.blueprints.aftersales.models import (KINDS, PAYERS, SHIPPING_REFUNDS, AfterSalesRequest, AfterSalesSettings,
                                              Evidence, Inspection, Reason, RequestEvent, RequestLine, ReturnAddress)
from app.blueprints.catalog import queries as catalog_queries
from app.blueprints.orders import queries as order_queries, services as orders
from app.blueprints.payments import refunds as payments
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.extensions import db

KIND_LABELS = {"refund_only": _l("Refund only"), "return_refund": _l("Return and refund"), "exchange": _l("Exchange")}
STATUS_LABELS = {"requested": _lp("after-sales status", "Requested"), "approved": _lp("after-sales status", "Approved"),
                 "rejected": _lp("after-sales status", "Rejected"), "escalated": _lp("after-sales status", "Escalated"),
                 "awaiting_return": _l("Awaiting return"), "returned": _l("Returned (in transit)"),
                 "received": _lp("after-sales status", "Received"), "inspected": _l("Inspected"),
                 "refunded": _lp("after-sales status", "Refunded"), "exchange_shipped": _l("Exchange shipped"),
                 "closed": _lp("after-sales status", "Closed"), "cancelled": _lp("after-sales status", "Cancelled")}
OUTCOME_LABELS = {"refunded": _lp("after-sales status", "Refunded"), "exchanged": _l("Exchanged"),
                  "rejected": _lp("after-sales status", "Rejected"), "cancelled": _lp("after-sales status", "Cancelled"),
                  "expired": _l("Goods not sent back in time"), "closed": _lp("after-sales status", "Closed")}
PAYER_LABELS = {"shopper": _l("The shopper"), "store": _l("The store")}
SHIPPING_LABELS = {"never": _l("Never"), "whole_order": _l("When the whole order is refunded"),
                   "store_fault": _l("When the whole order is refunded for a reason the store pays for")}
CONDITION_LABELS = {"good": _l("Good"), "damaged": _l("Damaged")}
DISPOSITION_LABELS = {"restock": _l("Back to sellable stock"), "quarantine": _l("To quarantine"),
                      "scrap": _l("Scrapped")}
ACTION_LABELS = {"asked_refund_only": _l("Asked for a refund only"),
                 "asked_return_refund": _l("Asked to return the goods for a refund"),
                 "asked_exchange": _l("Asked to exchange the goods"), "note": _l("Internal note"),
                 "refund_asked": _l("Refund of %(amount)s asked from the payment center"),
                 "refund_succeeded": _l("Refund of %(amount)s succeeded"),
                 "refund_failed": _l("Refund of %(amount)s failed"),
                 "refund_retried": _l("Refund of %(amount)s asked again from the payment center"),
                 "intercepted": _l("Unshipped parcels intercepted, stock released"),
                 "reduced": _l("Refunded units taken off the unshipped parcels, their stock released"),
                 "parcel_signed": _l("Return parcel signed for: the warehouse was told"),
                 "return_waybill_issued": _l("The store booked the return parcel: waybill %(waybill)s"),
                 "inspected_restock": _l("Unit %(unit)s of %(sku)s is good: back to sellable stock"),
                 "inspected_quarantine": _l("Unit %(unit)s of %(sku)s is damaged: to quarantine"),
                 "inspected_scrap": _l("Unit %(unit)s of %(sku)s is damaged: scrapped"),
                 "exchange_reserved": _l("Replacement stock reserved")}
REQUEST_STATES = StateMachine("aftersales", {
    "requested": {"approved", "rejected", "cancelled"},
    "rejected": {"escalated", "closed"},
    "escalated": {"approved", "closed"},
    "approved": {"awaiting_return", "refunded", "cancelled", "closed"},
    "awaiting_return": {"returned", "received", "cancelled", "closed"},
    "returned": {"received"},
    "received": {"inspected"},
    "inspected": {"refunded", "exchange_shipped", "closed"},
    "refunded": {"closed"},
    "exchange_shipped": {"closed"},
}, STATUS_LABELS, timeline=RequestEvent, actions=ACTION_LABELS, audit_label="number", internal={"note"})
OPEN = ("requested", "approved", "escalated", "awaiting_return", "returned", "received", "inspected", "refunded",
        "exchange_shipped")
# what a request takes of its lines (no other request may ask for those units meanwhile)
HOLDING = ("requested", "approved", "escalated", "awaiting_return", "returned", "received", "inspected", "refunded",
           "exchange_shipped", "closed")
AFTER_PAYMENT = ("paid", "allocated", "partially_shipped", "shipped", "delivered", "completed")
BEFORE_SHIPMENT = ("paid", "allocated")
MAX_IMAGES = 6
MAX_DESCRIPTION = 1000
# the order's timeline gets these steps (orders.record_aftersales)
ORDER_STEPS = {"requested", "approved", "rejected", "returned", "received", "refunded", "exchange_shipped", "closed",
               "cancelled"}


class OutsideWindow(DomainError):
    """The order's after-sales window has ended (or not begun: the order is not paid)."""


# --- settings, reasons, return addresses --------------------------------------------------------

def settings() -> AfterSalesSettings:
    """The store's after-sales rules (unsaved defaults until someone saves them)."""
    return db.session.get(AfterSalesSettings, 1) or AfterSalesSettings(
        id=1, auto_approve_unshipped=True, auto_approve_under=None, refund_shipping="whole_order", reply_hours=48,
        ship_back_days=7, quarantine_warehouse_id=None)


def save_settings(actor, *, auto_approve_unshipped: bool, auto_approve_under: int | None, refund_shipping: str,
                  reply_hours: int, ship_back_days: int, quarantine_warehouse_id: int | None = None) -> AfterSalesSettings:
    """Change the rules: auto-approval, whether shipping is refunded, the two deadlines."""
    from app.blueprints.inventory import services as inventory

    if refund_shipping not in SHIPPING_REFUNDS:
        raise DomainError(_("Choose when shipping is refunded."), field="refund_shipping")
    if auto_approve_under is not None and auto_approve_under < 0:
        raise DomainError(_("Cannot be negative."), field="auto_approve_under")
    if not isinstance(reply_hours, int) or not 1 <= reply_hours <= 720:
        raise DomainError(_("Between 1 and 720 hours."), field="reply_hours")
    if not isinstance(ship_back_days, int) or not 1 <= ship_back_days <= 60:
        raise DomainError(_("Between 1 and 60 days."), field="ship_back_days")
    if quarantine_warehouse_id is not None and quarantine_warehouse_id not in inventory.warehouses_by_id(
            [quarantine_warehouse_id]):
        raise DomainError(_("Choose a warehouse."), field="quarantine_warehouse_id")
    row = db.session.get(AfterSalesSettings, 1)
    if row is None:
        row = AfterSalesSettings(id=1)
        db.session.add(row)
    row.auto_approve_unshipped, row.auto_approve_under = bool(auto_approve_unshipped), auto_approve_under
    row.refund_shipping, row.reply_hours, row.ship_back_days = refund_shipping, reply_hours, ship_back_days
    row.quarantine_warehouse_id = quarantine_warehouse_id
    changes = audit.changes_of(row)
    if changes:
        audit.record(actor, "aftersales.settings_changed", None, label="aftersales", changes=changes)
    return row


def reasons(active_only: bool = True) -> list[Reason]:
    """The store's reasons in their order (each store starts with the usual six, see the migration)."""
    stmt = select(Reason).order_by(Reason.position, Reason.id)
    return list(db.session.scalars(stmt.where(Reason.active) if active_only else stmt))


def reason_label(reason: Reason, locale: str | None = None) -> str:
    from flask_babel import get_locale

    lang = str(locale or get_locale() or "zh")
    return (reason.name_en or reason.name) if lang.startswith("en") else reason.name


def save_reason(actor, reason: Reason | None, name: str, name_en: str, payer: str, position: int,
                active: bool) -> Reason:
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name or len(name) > 80:
        raise DomainError(_("Give the reason in up to 80 characters."), field="name")
    if len(name_en) > 80:
        raise DomainError(_("Up to 80 characters."), field="name_en")
    if payer not in PAYERS:
        raise DomainError(_("Choose who pays the return shipping."), field="return_shipping_payer")
    created = reason is None
    reason = reason or Reason()
    reason.name, reason.name_en, reason.return_shipping_payer = name, name_en, payer
    reason.position, reason.active = position or 0, bool(active)
    if created:
        db.session.add(reason)
        audit.record(actor, "aftersales.reason_created", None, label=name)
    else:
        changes = audit.changes_of(reason)
        if changes:
            audit.record(actor, "aftersales.reason_changed", None, label=name, changes=changes)
    return reason


def save_return_address(actor, warehouse_id: int, name: str, phone: str, address: str) -> ReturnAddress:
    """Where goods shipped from this warehouse are sent back to."""
    from app.blueprints.inventory import services as inventory

    if warehouse_id not in inventory.warehouses_by_id([warehouse_id]):
        raise DomainError(_("Choose a warehouse."), field="warehouse_id")
    name, phone, address = (name or "").strip()[:80], (phone or "").strip()[:40], (address or "").strip()[:300]
    if not address:
        raise DomainError(_("Give the address goods are sent back to."), field="address")
    row = db.session.get(ReturnAddress, warehouse_id)
    if row is None:
        row = ReturnAddress(warehouse_id=warehouse_id)
        db.session.add(row)
    row.name, row.phone, row.address = name, phone, address
    audit.record(actor, "aftersales.return_address_saved", None, label=str(warehouse_id))
    return row


# --- moving a request ----------------------------------------------------------------------------

def _move(req: AfterSalesRequest, target: str, actor=None, reason: str = "", *, outcome: str | None = None, **data):
    """One step: the machine checks it and writes the timeline; the order's timeline and the
    outbox (`aftersales.updated`, and `aftersales.closed` when it ends) follow."""
    REQUEST_STATES.move(req, target, actor, reason, **data)
    req.updated_at = utcnow()
    emit("aftersales.updated", {"request_id": req.id, "number": req.number, "status": target})
    if target in ORDER_STEPS:
        order = orders.order_for_update(req.order_id)
        orders.record_aftersales(actor, order, target, req.number, reason)
    if target in ("closed", "cancelled"):
        req.outcome = outcome or ("cancelled" if target == "cancelled" else req.outcome or "closed")
        req.closed_at = utcnow()
        emit("aftersales.closed", {"request_id": req.id, "number": req.number, "outcome": req.outcome})


def _locked(request_id: int) -> AfterSalesRequest:
    req = db.session.get(AfterSalesRequest, request_id, with_for_update=True, populate_existing=True)
    if req is None:
        raise DomainError(_("No such after-sales request."))
    return req


# --- asking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ask:
    """What a shopper asks for: `lines` is order line id → quantity; `exchange` order line id →
    the SKU wanted instead (exchange only); `images` the evidence photos as bytes."""

    kind: str
    lines: dict
    reason_id: int | None
    description: str = ""
    images: tuple = ()
    exchange: dict | None = None


def window_end(order) -> object | None:
    """When the order's after-sales window ends: N days (order settings) after delivery or
    completion; None while the goods have not arrived (always open then)."""
    arrived = order.delivered_at or (order.finished_at if order.status == "completed" else None)
    if arrived is None:
        return None
    return arrived + timedelta(days=order_queries.after_sales_days(order.order_type))


def held_quantities(order_id: int, exclude: int | None = None) -> dict[int, int]:
    """Order line id → units already taken by requests that were not rejected or cancelled."""
    stmt = (select(RequestLine.order_line_id, func.sum(RequestLine.quantity))
            .join(AfterSalesRequest, AfterSalesRequest.id == RequestLine.request_id)
            .where(AfterSalesRequest.order_id == order_id, AfterSalesRequest.status.in_(HOLDING),
                   AfterSalesRequest.outcome.is_(None) | AfterSalesRequest.outcome.not_in(("rejected", "cancelled",
                                                                                            "expired")))
            .group_by(RequestLine.order_line_id))
    if exclude is not None:
        stmt = stmt.where(AfterSalesRequest.id != exclude)
    return {line_id: int(q) for line_id, q in db.session.execute(stmt)}


def _share(total: int, quantity: int, before: int, count: int) -> int:
    """The paid share of units before+1 .. before+count of a line worth `total` for `quantity`
    units: unit k is worth total*k//q - total*(k-1)//q, so the last unit takes the remainder
    and all units add up to the line's paid share exactly (the payment center's rule)."""
    return total * (before + count) // quantity - total * before // quantity


def _check_lines(order, ask: Ask, exclude: int | None = None) -> list[tuple]:
    lines = {line.id: line for line in order.lines}
    wanted = {}
    for raw_id, raw_qty in (ask.lines or {}).items():
        try:
            line_id, quantity = int(raw_id), int(raw_qty or 0)
        except (TypeError, ValueError):
            raise DomainError(_("Give whole numbers of units."), field="lines")
        if quantity:
            wanted[line_id] = quantity
    if not wanted:
        raise DomainError(_("Choose at least one unit of an item."), field="lines")
    held = held_quantities(order.id, exclude)
    out = []
    for line_id, quantity in sorted(wanted.items()):
        line = lines.get(line_id)
        if line is None:
            raise DomainError(_("That item is not part of this order."), field="lines")
        left = line.quantity - held.get(line_id, 0)
        if ask.kind != "refund_only":      # goods to send back must have reached the shopper
            left = min(left, line.shipped_quantity - held.get(line_id, 0))
        if quantity < 0 or quantity > left:
            if left <= 0:
                raise DomainError(_("%(sku)s: every unit is in another request already (or has not shipped).",
                                    sku=line.sku_code), field=f"qty_{line_id}")
            raise DomainError(_("%(sku)s: between 1 and %(n)d.", sku=line.sku_code, n=left), field=f"qty_{line_id}")
        out.append((line, quantity, held.get(line_id, 0)))
    return out


def _exchange_skus(order, chosen: list[tuple], wanted: dict | None) -> dict[int, object]:
    wanted = {int(k): int(v) for k, v in (wanted or {}).items() if v}
    snapshots = catalog_queries.sku_snapshots(set(wanted.values()))
    out = {}
    for line, _quantity, _held in chosen:
        sku = snapshots.get(wanted.get(line.id))
        if sku is None:
            raise DomainError(_("Choose the item you want instead of %(sku)s.", sku=line.sku_code),
                              field=f"exchange_{line.id}")
        if sku.product_id != line.product_id or sku.sku_id == line.sku_id or not sku.sellable:
            raise DomainError(_("An exchange is for another option of the same product on sale."),
                              field=f"exchange_{line.id}")
        out[line.id] = sku
    return out


def create_request(actor, shopper_id: int | None, order_number: str, ask: Ask) -> AfterSalesRequest:
    """A shopper's request on one of their orders (another shopper's order is refused like a
    missing one). Checked: paid, inside the window, the kind fits what has shipped, at most
    the units not already in a request, a reason, the photos (type and size). The paid share
    of the units is computed now; the store's rules may approve it at once."""
    from app.core.storage import BadFile, get_storage, image_suffix

    order = order_queries.for_aftersales(number=(order_number or "").strip())
    if order is None or (shopper_id is not None and order.shopper_id != shopper_id):
        raise DomainError(_("No such order."), field="order")
    if ask.kind not in KINDS:
        raise DomainError(_("Choose refund only, return and refund, or exchange."), field="kind")
    if order.status not in AFTER_PAYMENT:
        raise OutsideWindow(_("After-sales requests open once the order is paid."))
    end = window_end(order)
    if end is not None and utcnow() > end:
        day = end.strftime("%Y-%m-%d")
        raise OutsideWindow(_("The after-sales window of this order ended on %(day)s.", day=day))
    before_shipment = order.status in BEFORE_SHIPMENT
    if ask.kind != "refund_only" and before_shipment:
        raise DomainError(_("Nothing has shipped yet: ask for a refund only."), field="kind")
    reason = db.session.get(Reason, ask.reason_id) if ask.reason_id else None
    if reason is None or not reason.active:
        raise DomainError(_("Choose a reason."), field="reason_id")
    description = (ask.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(_("Up to %(n)d characters.", n=MAX_DESCRIPTION), field="description")
    if len(ask.images) > MAX_IMAGES:
        raise DomainError(_("At most %(n)d photos.", n=MAX_IMAGES), field="images")
    suffixes = []
    for data in ask.images:
        try:
            suffixes.append(image_suffix(data))
        except BadFile:
            raise DomainError(_("Photos must be PNG, JPEG, GIF or WebP images of at most 5 MB."), field="images")
    chosen = _check_lines(order, ask)
    exchange = _exchange_skus(order, chosen, ask.exchange) if ask.kind == "exchange" else {}
    req = AfterSalesRequest(number=f"~{uuid.uuid4().hex[:20]}", order_id=order.id,
                            order_number=order.number, shopper_id=order.shopper_id,
                            shopper_name=str(order.shopper.get("name") or order.shopper.get("email") or "")[:120],
                            kind=ask.kind, status="requested", reason_id=reason.id, reason=reason.name,
                            return_shipping_payer=reason.return_shipping_payer, description=description,
                            before_shipment=before_shipment, currency=order.currency,
                            reply_due_at=utcnow() + timedelta(hours=settings().reply_hours))
    for line, quantity, held in chosen:
        swap = exchange.get(line.id)
        amount = 0 if ask.kind == "exchange" else _share(line.total, line.quantity, held, quantity)
        req.lines.append(RequestLine(order_line_id=line.id, sku_id=line.sku_id, sku_code=line.sku_code,
                                     title=line.title, quantity=quantity, amount=amount,
                                     exchange_sku_id=swap.sku_id if swap else None,
                                     exchange_sku_code=swap.code if swap else ""))
    req.amount = sum(line.amount for line in req.lines)
    req.shipping_refund = _shipping_refund(order, req, chosen)
    db.session.add(req)
    db.session.flush()
    req.number = f"AS{utcnow():%y%m%d}{req.id:06d}"
    req.search_text = " ".join([req.number, order.number, req.shopper_name,
                                *[f"{l.sku_code} {l.title}" for l in req.lines]]).lower()
    storage = get_storage()
    for data, suffix in zip(ask.images, suffixes):
        req.evidence.append(Evidence(key=storage.save("aftersales", data, suffix), size=len(data)))
    REQUEST_STATES.start(req, actor, description[:300], action=f"asked_{ask.kind}", amount=req.total,
                         currency=req.currency)
    orders.record_aftersales(actor, orders.order_for_update(order.id), "requested", req.number)
    emit("aftersales.requested", {"request_id": req.id, "number": req.number, "order_id": order.id,
                                  "order_number": order.number, "shopper_id": order.shopper_id, "kind": req.kind,
                                  "amount": req.total})
    _apply_rules(req)
    return req


def _shipping_refund(order, req: AfterSalesRequest, chosen: list[tuple]) -> int:
    """The shipping fee goes back with the request that completes a refund of the whole order,
    when the store's rule says so."""
    rule = settings().refund_shipping
    if req.kind == "exchange" or not order.shipping_fee or rule == "never":
        return 0
    if rule == "store_fault" and req.return_shipping_payer != "store":
        return 0
    this = {line.id: quantity for line, quantity, _held in chosen}
    taken = {line.id: held for line, _quantity, held in chosen}
    held = held_quantities(order.id)
    whole = all(held.get(line.id, taken.get(line.id, 0)) + this.get(line.id, 0) >= line.quantity
                for line in order.lines)
    return order.shipping_fee if whole else 0


def _apply_rules(req: AfterSalesRequest) -> None:
    rules = settings()
    if req.kind == "refund_only" and req.before_shipment and rules.auto_approve_unshipped:
        approve(None, req, _("refund before shipment, approved by the store's rule"))
    elif rules.auto_approve_under is not None and req.total <= rules.auto_approve_under:
        approve(None, req, _("under the store's automatic approval amount"))


# --- staff answers -------------------------------------------------------------------------------

def approve(actor, req: AfterSalesRequest, reason: str = "") -> AfterSalesRequest:
    """Approve: a refund only is paid back now (an unshipped whole order is intercepted and its
    stock released first); a return or exchange waits for the goods at the return address, by
    the ship-back deadline."""
    if req.status not in ("requested", "escalated"):
        REQUEST_STATES.check(req.status, "approved")
    if req.status == "escalated":
        order = order_queries.for_aftersales(req.order_id)
        held = held_quantities(req.order_id, exclude=req.id)
        for line in req.lines:
            ordered = next((l.quantity for l in order.lines if l.id == line.order_line_id), 0)
            if held.get(line.order_line_id, 0) + line.quantity > ordered:
                raise DomainError(_("%(sku)s is in another request now.", sku=line.sku_code))
    _move(req, "approved", actor, reason)
    if req.kind == "refund_only":
        if req.before_shipment:
            _take_off_shipment(actor, req)
        start_refund(actor, req)
    else:
        _await_return(actor, req)
    return req


def _take_off_shipment(actor, req: AfterSalesRequest) -> None:
    """A refund only asked before shipment: its units must not ship. When nothing of the order
    would be left to ship, the order closes (its stock goes back) and dispatch stops its notices
    and outbounds; otherwise dispatch takes these units off the notices that have not left and
    releases their part of the reservation. In this transaction; units that shipped meanwhile
    stay shipped (the refund is for them all the same, as the shopper asked)."""
    from app.blueprints.dispatch import services as dispatch

    order_view = order_queries.for_aftersales(req.order_id)
    if order_view.status not in ("paid", "allocated", "partially_shipped"):
        return
    mine = {line.order_line_id: line.quantity for line in req.lines}
    reason = _("refunded before shipment (after-sales %(number)s)", number=req.number)
    whole = order_view.status in BEFORE_SHIPMENT and all(
        line.shipped_quantity == 0 and line.to_ship <= mine.get(line.id, 0) for line in order_view.lines)
    if whole:
        orders.close_order(actor, orders.order_for_update(req.order_id), reason)
        dispatch.intercept_order(actor, req.order_id, reason)
        REQUEST_STATES.record(req, actor, "intercepted")
    elif dispatch.reduce_order(actor, req.order_id, mine, reason):
        REQUEST_STATES.record(req, actor, "reduced")


def _await_return(actor, req: AfterSalesRequest) -> None:
    from app.blueprints.dispatch import queries as dispatch_queries
    from app.blueprints.inventory import services as inventory

    origin = dispatch_queries.shipped_from(req.order_id)
    warehouse_id = next((origin[l.order_line_id] for l in req.lines if l.order_line_id in origin), None)
    if warehouse_id is None:
        active = inventory.active_warehouses()
        warehouse_id = active[0].id if active else None
    req.return_warehouse_id = warehouse_id
    address = db.session.get(ReturnAddress, warehouse_id) if warehouse_id else None
    if address is not None:
        req.return_address = " ".join(p for p in (address.name, address.phone, address.address) if p)[:400]
    elif warehouse_id:
        info = inventory.warehouses_by_id([warehouse_id]).get(warehouse_id)
        req.return_address = (info.address or info.name)[:400] if info else ""
    req.ship_back_due_at = utcnow() + timedelta(days=settings().ship_back_days)
    if req.kind == "exchange":
        reserve_exchange(actor, req)
    _move(req, "awaiting_return", actor)


def reject(actor, req: AfterSalesRequest, reason: str) -> AfterSalesRequest:
    """Refuse, with the reason the shopper reads (they may escalate)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Tell the shopper why."), field="reason")
    _move(req, "rejected", actor, reason)
    req.reject_reason = reason[:300]
    return req


def cancel(actor, req: AfterSalesRequest) -> AfterSalesRequest:
    """The shopper withdraws the request (before the goods are on their way back)."""
    if req.status not in ("requested", "approved", "awaiting_return"):
        REQUEST_STATES.check(req.status, "cancelled")
    release_exchange(actor, req)
    _move(req, "cancelled", actor, outcome="cancelled")
    return req


def escalate(actor, req: AfterSalesRequest, reason: str = "") -> AfterSalesRequest:
    """The shopper disagrees with a rejection: the request goes back to staff as escalated."""
    _move(req, "escalated", actor, (reason or "").strip()[:300])
    req.reply_due_at = utcnow() + timedelta(hours=settings().reply_hours)
    return req


def accept_rejection(actor, req: AfterSalesRequest) -> AfterSalesRequest:
    """The shopper (or staff after an escalation) lets a rejected request close."""
    _move(req, "closed", actor, outcome="rejected")
    return req


def add_note(actor, req: AfterSalesRequest, text: str) -> None:
    if not (text or "").strip():
        raise DomainError(_("Write the note first."), field="note")
    REQUEST_STATES.record(req, actor, "note", text.strip())


# --- refunds -----------------------------------------------------------------------------------

def _refund_ids(req: AfterSalesRequest) -> dict[str, str]:
    """The payment center's request id of each part of the request's refund (goods, shipping)
    now: `NUMBER-goods` at first, `NUMBER-goods-r2`, `-r3`... after each retry of a failed one."""
    ids = {part: f"{req.number}-{part}" for part, due in (("goods", req.amount), ("shipping", req.shipping_refund))
           if due}
    for entry in REQUEST_STATES.history(req):
        if entry.action == "refund_retried":
            ids.update({part: ref for part, ref in (entry.data.get("ids") or {}).items() if part in ids})
    return ids


def refund_request_ids(req: AfterSalesRequest) -> list[str]:
    return list(_refund_ids(req).values())


def refund_failed(req: AfterSalesRequest) -> bool:
    """Whether a part of the request's refund failed at the gateway (staff may send it again)."""
    return req.status in ("approved", "inspected") and any(
        payments.refund_state(ref) == "failed" for ref in refund_request_ids(req))


def retry_refund(actor, req: AfterSalesRequest) -> AfterSalesRequest:
    """Ask the payment center again for each part of the refund that failed, under a new request
    id (a failed refund is final there); the parts that went through or are pending are left
    alone. The request closes when every part has succeeded, as at the first attempt."""
    if not refund_failed(req):
        raise DomainError(_("No refund of this request failed: there is nothing to send again."))
    current = _refund_ids(req)
    attempt = 1 + sum(1 for e in REQUEST_STATES.history(req) if e.action == "refund_retried")
    fresh, asked = {}, 0
    for part, ref in current.items():
        if payments.refund_state(ref) != "failed":
            continue
        fresh[part] = f"{req.number}-{part}-r{attempt + 1}"
        if part == "goods":
            refund = payments.refund_order(actor, req.order_id, fresh[part],
                                           lines={line.order_line_id: line.quantity for line in req.lines},
                                           reason=_("after-sales %(number)s (again)", number=req.number))
        else:
            refund = payments.refund_order(actor, req.order_id, fresh[part], amount=req.shipping_refund,
                                           reason=_("after-sales %(number)s: shipping (again)", number=req.number))
        asked += refund.amount
    REQUEST_STATES.record(req, actor, "refund_retried", amount=asked, currency=req.currency, ids=fresh)
    return req


def start_refund(actor, req: AfterSalesRequest) -> None:
    """Ask the payment center to pay back the request's lines (their paid share, unit by unit)
    and the shipping fee when it goes back; idempotent per request (same refund request ids).
    Nothing to pay back (all damaged by the shopper and refused): straight to refunded."""
    lines = {line.order_line_id: line.quantity for line in req.lines}
    asked = 0
    if req.amount:
        refund = payments.refund_order(actor, req.order_id, f"{req.number}-goods", lines=lines,
                                       reason=_("after-sales %(number)s", number=req.number))
        req.amount, asked = refund.amount, asked + refund.amount
    if req.shipping_refund:
        refund = payments.refund_order(actor, req.order_id, f"{req.number}-shipping", amount=req.shipping_refund,
                                       reason=_("after-sales %(number)s: shipping", number=req.number))
        asked += refund.amount
    if asked:
        REQUEST_STATES.record(req, actor, "refund_asked", amount=asked, currency=req.currency)
    else:
        _refunded(actor, req)


def record_refund_result(request_id: str, refund_id: int, amount: int, succeeded: bool) -> AfterSalesRequest | None:
    """The payment center's answer on one of our refunds (once per refund and result): when
    every refund of the request went through, the request is refunded and closes."""
    number = request_id.split("-", 1)[0]          # NUMBER-goods, NUMBER-goods-r2 (numbers have no dash)
    req = db.session.scalar(select(AfterSalesRequest).where(AfterSalesRequest.number == number).with_for_update())
    if req is None or request_id not in refund_request_ids(req):
        return None
    action = "refund_succeeded" if succeeded else "refund_failed"
    if any(e.action == action and e.data.get("refund_id") == refund_id for e in REQUEST_STATES.history(req)):
        return req
    REQUEST_STATES.record(req, None, action, amount=amount, refund_id=refund_id, currency=req.currency)
    if succeeded:
        req.refunded += amount
        states = [payments.refund_state(ref) for ref in refund_request_ids(req)]
        if all(state == "succeeded" for state in states) and REQUEST_STATES.can(req, "refunded"):
            _refunded(None, req)
    return req


def _refunded(actor, req: AfterSalesRequest) -> None:
    _move(req, "refunded", actor)
    _move(req, "closed", actor, outcome="refunded")
    _close_order_if_all_refunded(actor, req)


def _close_order_if_all_refunded(actor, req: AfterSalesRequest) -> None:
    """Every unit of the order was refunded through after-sales: the order closes."""
    order_view = order_queries.for_aftersales(req.order_id)
    done = dict(db.session.execute(
        select(RequestLine.order_line_id, func.sum(RequestLine.quantity))
        .join(AfterSalesRequest, AfterSalesRequest.id == RequestLine.request_id)
        .where(AfterSalesRequest.order_id == req.order_id, AfterSalesRequest.outcome == "refunded",
               AfterSalesRequest.kind != "exchange")
        .group_by(RequestLine.order_line_id)).all())
    if all(int(done.get(line.id, 0)) >= line.quantity for line in order_view.lines):
        orders.close_refunded(actor, orders.order_for_update(req.order_id),
                              _("refunded in full (after-sales %(number)s)", number=req.number))


# --- deadlines ---------------------------------------------------------------------------------

def approve_unanswered(now=None, limit: int = 200) -> int:
    """Merchant silence: requests (and escalations) not answered by their reply deadline are
    approved by the system, as Taobao does. Returns how many."""
    now = now or utcnow()
    ids = db.session.scalars(select(AfterSalesRequest.id).where(
        AfterSalesRequest.status.in_(("requested", "escalated")), AfterSalesRequest.reply_due_at < now)
        .order_by(AfterSalesRequest.reply_due_at).limit(limit)).all()
    done = 0
    for request_id in ids:
        with db.session.begin_nested():
            req = _locked(request_id)
            if req.status in ("requested", "escalated") and req.reply_due_at < now:
                approve(None, req, _("the store did not answer in time"))
                done += 1
    return done


def close_unreturned(now=None, limit: int = 200) -> int:
    """Shopper silence: approved returns whose goods were not sent back by the deadline close."""
    now = now or utcnow()
    ids = db.session.scalars(select(AfterSalesRequest.id).where(
        AfterSalesRequest.status == "awaiting_return", AfterSalesRequest.ship_back_due_at < now)
        .order_by(AfterSalesRequest.ship_back_due_at).limit(limit)).all()
    done = 0
    for request_id in ids:
        with db.session.begin_nested():
            req = _locked(request_id)
            if req.status == "awaiting_return" and req.ship_back_due_at < now:
                release_exchange(None, req)
                _move(req, "closed", None, _("the goods were not sent back in time"), outcome="expired")
                done += 1
    return done


# --- exchanges (filled in with dispatch) -----------------------------------------------------------

def exchange_reference(req: AfterSalesRequest) -> str:
    return f"aftersales:{req.number}"


def reserve_exchange(actor, req: AfterSalesRequest) -> None:
    """Hold the replacement SKUs at approval (OutOfStock refuses the approval, changing nothing)."""
    from app.blueprints.inventory import services as inventory

    merged: dict[int, int] = {}
    for line in req.lines:
        merged[line.exchange_sku_id] = merged.get(line.exchange_sku_id, 0) + line.quantity
    try:
        inventory.reserve([inventory.Line(s, q) for s, q in merged.items()], exchange_reference(req), actor=actor,
                          fresh=True)
    except inventory.OutOfStock:
        raise inventory.OutOfStock(_("The replacement is out of stock: offer a refund instead."))
    REQUEST_STATES.record(req, actor, "exchange_reserved")


def release_exchange(actor, req: AfterSalesRequest) -> None:
    from app.blueprints.inventory import services as inventory

    if req.kind == "exchange" and inventory.holds(exchange_reference(req)):
        inventory.release(exchange_reference(req), actor)


# --- shopper and staff reads of one request --------------------------------------------------------

def shopper_request(shopper_id: int, number: str, lock: bool = False) -> AfterSalesRequest | None:
    """The shopper's own request; another shopper's is None, like a missing one."""
    stmt = select(AfterSalesRequest).where(AfterSalesRequest.number == number,
                                           AfterSalesRequest.shopper_id == shopper_id)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def request_for_update(request_id: int) -> AfterSalesRequest | None:
    return db.session.get(AfterSalesRequest, request_id, with_for_update=True)


def shopper_can_cancel(req: AfterSalesRequest) -> bool:
    return req.status in ("requested", "approved", "awaiting_return") and not (
        req.kind == "refund_only" and req.status == "approved")


def shopper_can_escalate(req: AfterSalesRequest) -> bool:
    return req.status == "rejected"


def awaits_waybill(req: AfterSalesRequest) -> bool:
    return req.status == "awaiting_return" and not req.return_waybill


# the evidence a request carries, checked against the bound store's storage
def evidence_key(req: AfterSalesRequest, evidence_id: int) -> str | None:
    return next((e.key for e in req.evidence if e.id == evidence_id), None)



# --- return parcels ------------------------------------------------------------------------------

def send_back(actor, req: AfterSalesRequest, carrier_code: str, waybill_no: str) -> AfterSalesRequest:
    """The shopper sent the goods back with this carrier and waybill: the request is returned
    (in transit) and the logistics center tracks the parcel; its signature tells the warehouse."""
    from app.blueprints.logistics import services as logistics

    if req.status != "awaiting_return":
        REQUEST_STATES.check(req.status, "returned")
    carrier_code = (carrier_code or "").strip().lower()
    waybill = logistics.check_waybill(carrier_code, waybill_no)
    req.return_carrier, req.return_waybill = carrier_code, waybill
    shipment = logistics.track_return(actor, reference=req.number, order_id=req.order_id,
                                      order_number=req.order_number, carrier_code=carrier_code, waybill_no=waybill,
                                      warehouse_id=req.return_warehouse_id)
    req.return_shipment_id = shipment.id
    _move(req, "returned", actor, carrier=carrier_code, waybill=waybill)
    return req


def issue_return_waybill(actor, req: AfterSalesRequest, carrier_code: str) -> AfterSalesRequest:
    """The store books the return parcel instead of the shopper (上门取件): an electronic waybill
    from the carrier through the logistics center's adapter, from the order's delivery address to
    the return address of the request's warehouse, on the store's account. The request is then
    returned (in transit) and tracked exactly as a waybill the shopper typed. Once: a request
    with a return waybill keeps it."""
    from app.blueprints.logistics import services as logistics

    if req.status != "awaiting_return" or req.return_waybill:
        raise DomainError(_("Only a return waiting for its parcel gets a waybill."))
    carrier_code = (carrier_code or "").strip().lower()
    order = order_queries.for_aftersales(req.order_id)
    address = order.address or {}
    sender = {"name": str(address.get("name") or req.shopper_name), "phone": str(address.get("phone") or ""),
              "address": " ".join(str(address.get(k) or "") for k in ("province", "city", "district", "street"))
              .strip()}
    back = db.session.get(ReturnAddress, req.return_warehouse_id) if req.return_warehouse_id else None
    if back is None or not (back.name and back.phone and back.address):
        raise DomainError(_("Give the return address of this warehouse with a name and phone number in the "
                            "after-sales settings first."), field="carrier")
    receiver = {"name": back.name, "phone": back.phone, "address": back.address}
    items = [{"sku_code": line.sku_code, "title": line.title, "quantity": line.quantity} for line in req.lines]
    waybill = logistics.issue_waybill(actor, carrier_code, reference=req.number, sender=sender, receiver=receiver,
                                      items=items)
    REQUEST_STATES.record(req, actor, "return_waybill_issued", carrier=carrier_code, waybill=waybill)
    return send_back(actor, req, carrier_code, waybill)


def record_return_signed(number: str) -> AfterSalesRequest | None:
    """The return parcel was signed for (once: a signed request moved on already)."""
    req = db.session.scalar(select(AfterSalesRequest).where(AfterSalesRequest.number == number).with_for_update())
    if req is None or req.status not in ("returned", "awaiting_return"):
        return req
    REQUEST_STATES.record(req, None, "parcel_signed")
    _move(req, "received", None)
    return req


# --- receiving and inspecting returned goods ----------------------------------------------------

def receive(actor, req: AfterSalesRequest) -> AfterSalesRequest:
    """The warehouse has the parcel (signed for, or handed in without tracking): the request is
    received and a return inbound opens in its warehouse for the units to inspect."""
    if req.status not in ("returned", "awaiting_return"):
        REQUEST_STATES.check(req.status, "received")
    _move(req, "received", actor)
    return req


def _return_inbound(actor, req: AfterSalesRequest):
    from app.blueprints.inventory import documents

    if req.return_inbound:
        return documents.by_number(req.return_inbound)
    if req.return_warehouse_id is None:
        raise DomainError(_("This request has no return warehouse."))
    document = documents.open_return_inbound(actor, req.return_warehouse_id, req.number,
                                             [(line.sku_id, line.quantity) for line in req.lines],
                                             note=_("after-sales %(number)s", number=req.number))
    req.return_inbound = document.number
    return document


@dataclass(frozen=True)
class UnitResult:
    """What the warehouse found for one unit: `line_id` is the request line's id, `unit` 1..n."""

    line_id: int
    unit: int
    condition: str
    location: str = ""
    disposition: str = ""


def inspect_units(actor, req: AfterSalesRequest, results: list[UnitResult]) -> AfterSalesRequest:
    """Inspect returned units one by one, each once: a good unit goes back to sellable stock in the
    chosen bin (through the return inbound), a damaged one to the quarantine warehouse or is
    scrapped (a ledger row of its own). When every unit is inspected the inbound posts, the
    request is inspected and the refund (or the replacement) follows."""
    from app.blueprints.aftersales.models import CONDITIONS, DISPOSITIONS
    from app.blueprints.inventory import documents, services as inventory

    if req.status != "received":
        raise DomainError(_("Inspect once the goods are received."))
    lines = {line.id: line for line in req.lines}
    done = {(i.request_line_id, i.unit) for i in db.session.scalars(
        select(Inspection).where(Inspection.request_id == req.id))}
    document = _return_inbound(actor, req)
    rules = settings()
    for result in results:
        line = lines.get(result.line_id)
        if line is None or not 1 <= result.unit <= line.quantity:
            raise DomainError(_("That unit is not part of this request."))
        if (line.id, result.unit) in done:
            continue            # inspected already: posted once
        if result.condition not in CONDITIONS:
            raise DomainError(_("Say whether unit %(unit)d of %(sku)s is good or damaged.", unit=result.unit,
                                sku=line.sku_code), field=f"unit_{line.id}_{result.unit}")
        disposition = "restock" if result.condition == "good" else (result.disposition or "quarantine")
        if disposition not in DISPOSITIONS or (result.condition == "damaged" and disposition == "restock"):
            raise DomainError(_("A damaged unit goes to quarantine or is scrapped."),
                              field=f"unit_{line.id}_{result.unit}")
        warehouse_id, location = req.return_warehouse_id, ""
        if disposition == "restock":
            location = (result.location or "").strip().upper()
            documents.receive_return_unit(actor, document, line.sku_id, location)
        elif disposition == "quarantine":
            if rules.quarantine_warehouse_id is None:
                raise DomainError(_("Choose the quarantine warehouse in the after-sales settings first, or scrap "
                                    "the unit."), field=f"unit_{line.id}_{result.unit}")
            warehouse_id = rules.quarantine_warehouse_id
            inventory.post_return(actor, line.sku_id, warehouse_id, 1, req.number,
                                  note=_("damaged, after-sales %(number)s", number=req.number))
        else:
            inventory.post_return(actor, line.sku_id, req.return_warehouse_id, 0, req.number,
                                  note=_("scrapped, after-sales %(number)s", number=req.number))
        db.session.add(Inspection(request_id=req.id, request_line_id=line.id, unit=result.unit,
                                  condition=result.condition, disposition=disposition, warehouse_id=warehouse_id,
                                  location=location, inspected_by=getattr(actor, "email", None) or "system"))
        done.add((line.id, result.unit))
        REQUEST_STATES.record(req, actor, f"inspected_{disposition}", unit=result.unit, sku=line.sku_code,
                              location=location or None)
    db.session.flush()
    if all((line.id, unit) in done for line in req.lines for unit in range(1, line.quantity + 1)):
        documents.finish_return_inbound(actor, document)
        _move(req, "inspected", actor)
        if req.kind == "exchange":
            ship_exchange(actor, req)
        else:
            start_refund(actor, req)
    return req


def ship_exchange(actor, req: AfterSalesRequest) -> None:
    """The returned goods were inspected: dispatch gets delivery notices for the replacement,
    shipped from the stock reserved at approval (the warehouse packs and ships them as any
    notice; the request follows when the parcel leaves)."""
    from app.blueprints.dispatch import services as dispatch

    notices = dispatch.create_replacement_notices(actor, req.order_id, exchange_reference(req),
                                                  [(line.order_line_id, line.exchange_sku_id) for line in req.lines])
    req.exchange_notice = ", ".join(n.number for n in notices)[:40]


def record_replacement_shipped(notice_number: str, outbound_reservation: str) -> AfterSalesRequest | None:
    """A replacement parcel left the warehouse (once): the exchange is shipped and closes."""
    if not outbound_reservation.startswith("aftersales:"):
        return None
    number = outbound_reservation.removeprefix("aftersales:")
    req = db.session.scalar(select(AfterSalesRequest).where(AfterSalesRequest.number == number).with_for_update())
    if req is None or req.status != "inspected":
        return req
    _move(req, "exchange_shipped", None, notice=notice_number)
    _move(req, "closed", None, outcome="exchanged")
    return req
