"""Purchase orders on the shared timeline, and what follows them: the supplier's confirmation
per line, advance shipping notices (ASNs), receiving through the inventory center's inbound
orders with the store's tolerance and a quality check, returns to the supplier with a debit
note, and supplier invoices.

    draft → submitted → approved → sent → confirmed → shipped → partially_received → received → closed
    (a PO at or under the store's approval amount is approved on submit; cancel with a reason
    from draft, submitted, approved, sent and confirmed)

Money is in minor units; a line's tax is its amount × its rate (basis points), rounded half up.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.blueprints.purchasing.models import (Asn, AsnLine, PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine,
                                              Supplier, SupplierInvoice, SupplierReturn, SupplierSku)
from app.blueprints.purchasing.services import settings
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition, NotFound
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

STATUS_LABELS = {
    "draft": _l("Draft"), "submitted": _l("Awaiting approval"), "approved": _l("Approved"), "sent": _l("Sent"),
    "confirmed": _l("Confirmed"), "shipped": _l("Shipped"), "partially_received": _l("Partially received"),
    "received": _l("Received"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}
LINE_STATUS_LABELS = {"open": _l("Awaiting confirmation"), "confirmed": _l("Confirmed"), "rejected": _l("Rejected")}
ASN_STATUS_LABELS = {"shipped": _l("In transit"), "received": _l("Received"), "cancelled": _l("Cancelled")}
ACTION_LABELS = {
    "created": _l("Purchase order created"), "line_confirmed": _l("Supplier confirmed %(sku)s: %(quantity)s by %(date)s"),
    "line_rejected": _l("Supplier rejected %(sku)s"), "asn": _l("Shipped on notice %(asn)s"),
    "receipt": _l("Received on %(document)s"), "returned": _l("Returned to the supplier on debit note %(note)s"),
    "invoiced": _l("Supplier invoice %(invoice)s entered"), "edited": _l("Lines edited"),
}
TRANSITIONS = {
    "draft": {"submitted", "cancelled"},
    "submitted": {"approved", "draft", "cancelled"},
    "approved": {"sent", "cancelled"},
    "sent": {"confirmed", "cancelled"},
    "confirmed": {"shipped", "partially_received", "received", "cancelled"},
    "shipped": {"partially_received", "received"},
    "partially_received": {"received", "closed"},
    "received": {"closed"},
}
MACHINE = StateMachine("purchase_order", TRANSITIONS, STATUS_LABELS, timeline=PurchaseOrderEvent,
                       actions=ACTION_LABELS, audit_label="number")
CANCELLABLE = {s for s, targets in TRANSITIONS.items() if "cancelled" in targets}
# statuses in which a PO is the supplier's business (the portal shows it)
SUPPLIER_VISIBLE = ("sent", "confirmed", "shipped", "partially_received", "received", "closed", "cancelled")
OPEN = ("draft", "submitted", "approved", "sent", "confirmed", "shipped", "partially_received")


def line_tax(amount: int, rate: int) -> int:
    """The tax of a line amount at `rate` basis points, rounded half up (minor units)."""
    return (amount * rate + 5000) // 10000


def recompute(po: PurchaseOrder) -> None:
    po.subtotal = sum(line.unit_price * line.quantity for line in po.lines)
    po.tax_total = sum(line_tax(line.unit_price * line.quantity, line.tax_rate) for line in po.lines)
    po.total = po.subtotal + po.tax_total


def _number(prefix: str, obj) -> str:
    return f"{prefix}-{obj.id:06d}"


def _editable(po: PurchaseOrder) -> None:
    if po.status != "draft":
        raise IllegalTransition(_("Only a draft purchase order can be edited."))


# --- creating and editing --------------------------------------------------------------------

def create_order(actor, supplier_id: int, warehouse_id: int, expected_date: date | None = None, note: str = "",
                 source: str = "manual") -> PurchaseOrder:
    from app.blueprints.inventory import services as inventory

    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    if supplier is None or supplier.status != "active":
        raise DomainError(_("Choose an active supplier."), field="supplier_id")
    if warehouse_id not in {w.id for w in inventory.active_warehouses()}:
        raise DomainError(_("Choose an active warehouse."), field="warehouse_id")
    import uuid

    po = PurchaseOrder(number=f"~{uuid.uuid4().hex[:20]}", supplier_id=supplier.id, warehouse_id=warehouse_id,
                       status="draft", currency=current_store().currency, expected_date=expected_date,
                       note=(note or "").strip()[:500], source=source,
                       created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(po)
    db.session.flush()
    po.number = _number("PO", po)
    MACHINE.start(po, actor, supplier=supplier.code)
    return po


def add_line(actor, po: PurchaseOrder, sku_id: int, quantity: int, unit_price: int | None = None,
             tax_rate: int | None = None) -> PurchaseOrderLine:
    """Add a SKU to a draft (or raise its quantity). The price defaults to the supplier's
    price for it, the tax rate to the store's."""
    from app.blueprints.catalog import queries as catalog

    _editable(po)
    if quantity is None or quantity <= 0:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    snap = catalog.sku_snapshots([sku_id]).get(sku_id)
    if snap is None:
        raise DomainError(_("No such SKU."), field="sku_code")
    link = db.session.scalar(select(SupplierSku).where(SupplierSku.supplier_id == po.supplier_id,
                                                       SupplierSku.sku_id == sku_id))
    if unit_price is None:
        if link is None:
            raise DomainError(_("This supplier has no price for %(code)s: give the unit price.", code=snap.code),
                              field="unit_price")
        unit_price = link.price
    if unit_price < 0:
        raise DomainError(_("Cannot be negative."), field="unit_price")
    tax_rate = settings().default_tax_rate if tax_rate is None else tax_rate
    if not 0 <= tax_rate <= 10000:
        raise DomainError(_("Give a tax rate from 0 to 100 %."), field="tax_rate")
    line = next((l for l in po.lines if l.sku_id == sku_id), None)
    if line is None:
        line = PurchaseOrderLine(sku_id=sku_id, sku_code=snap.code, supplier_code=link.supplier_code if link else "",
                                 quantity=0, unit_price=unit_price, tax_rate=tax_rate, status="open")
        po.lines.append(line)
    line.quantity += quantity
    line.unit_price, line.tax_rate = unit_price, tax_rate
    recompute(po)
    return line


def add_line_by_code(actor, po: PurchaseOrder, sku_code: str, quantity: int, unit_price: int | None = None,
                     tax_rate: int | None = None) -> PurchaseOrderLine:
    from app.blueprints.catalog import queries as catalog

    sku_id = catalog.sku_id_by_code(sku_code)
    if sku_id is None:
        raise DomainError(_("No SKU with the code “%(code)s”.", code=sku_code), field="sku_code")
    return add_line(actor, po, sku_id, quantity, unit_price, tax_rate)


def remove_line(actor, po: PurchaseOrder, line_id: int) -> None:
    _editable(po)
    line = next((l for l in po.lines if l.id == line_id), None)
    if line is None:
        raise NotFound(_("That line is not on this purchase order."))
    po.lines.remove(line)
    recompute(po)


# --- the approval path ---------------------------------------------------------------------------

def needs_approval(po: PurchaseOrder) -> bool:
    return po.total > settings().approval_threshold


def submit(actor, po: PurchaseOrder) -> PurchaseOrder:
    """Submit a draft. At or under the store's approval amount it is approved at once;
    above, it waits for someone with `purchasing.approve`."""
    if not po.lines:
        raise DomainError(_("Add the lines to order first."))
    MACHINE.move(po, "submitted", actor)
    if not needs_approval(po):
        MACHINE.move(po, "approved", "system", _("Within the amount that needs no approval."))
    return po


def approve(actor, po: PurchaseOrder) -> PurchaseOrder:
    """Approve a submitted PO; the caller checked `purchasing.approve`."""
    MACHINE.move(po, "approved", actor)
    return po


def return_to_draft(actor, po: PurchaseOrder, reason: str) -> PurchaseOrder:
    if not (reason or "").strip():
        raise DomainError(_("Say why it goes back to draft."), field="reason")
    MACHINE.move(po, "draft", actor, reason)
    return po


def send(actor, po: PurchaseOrder) -> PurchaseOrder:
    """Send an approved PO to the supplier: mail with the order and a link to print it (after commit)."""
    from flask import url_for

    from app.core.mail import queue_mail
    from app.core.money import format_money

    supplier = po.supplier
    if not supplier.email:
        raise DomainError(_("The supplier has no email to send the order to: add one first."))
    MACHINE.move(po, "sent", actor)
    po.sent_at = utcnow()
    store = current_store()
    lines = "\n".join(f"  {l.sku_code} {l.supplier_code or ''} × {l.quantity} @ {format_money(l.unit_price, po.currency)}"
                      for l in po.lines)
    try:
        link = url_for("portal_store.order", slug=store.slug, id=po.id, _external=True)
    except RuntimeError:     # no request (a job): the supplier finds it in the portal
        link = ""
    queue_mail(supplier.email, _("Purchase order %(number)s from %(store)s", number=po.number, store=store.name),
               _("%(store)s orders from you:\n\n%(lines)s\n\nTotal (tax included): %(total)s\n\n"
                 "Confirm each line, announce shipments and print the order in the supplier portal:\n%(link)s",
                 store=store.name, lines=lines, total=format_money(po.total, po.currency), link=link))
    return po


def cancel(actor, po: PurchaseOrder, reason: str) -> PurchaseOrder:
    if not (reason or "").strip():
        raise DomainError(_("Say why the purchase order is cancelled."), field="reason")
    if po.status not in CANCELLABLE:
        raise IllegalTransition(_("A purchase order that has shipped cannot be cancelled; close it instead."))
    MACHINE.move(po, "cancelled", actor, reason)
    po.cancel_reason, po.finished_at = reason.strip()[:500], utcnow()
    _release_suggestions(po)
    return po


def close(actor, po: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """Close a received PO (or one received short: what is missing will not come)."""
    if po.closing_needs_reason and not (reason or "").strip():
        raise DomainError(_("Say why it closes before everything arrived."), field="reason")
    MACHINE.move(po, "closed", actor, reason)
    po.finished_at = utcnow()
    return po


def _release_suggestions(po: PurchaseOrder) -> None:
    from sqlalchemy import update

    from app.blueprints.purchasing.models import Suggestion

    db.session.execute(update(Suggestion).where(Suggestion.order_id == po.id, Suggestion.status == "ordered")
                       .values(status="dismissed").execution_options(synchronize_session=False))


# --- the supplier confirms ----------------------------------------------------------------------

def confirm_lines(actor, po: PurchaseOrder, answers: dict[int, tuple]) -> PurchaseOrder:
    """The supplier answers lines: line id → ("confirm", quantity, date) or ("reject", reason).
    A confirmed quantity may be less than ordered (partial), not more. Once every line is
    answered the PO is confirmed (or cancelled when every line was rejected)."""
    if po.status != "sent":
        raise IllegalTransition(_("Only a sent purchase order can be confirmed."))
    lines = {line.id: line for line in po.lines}
    for line_id, answer in answers.items():
        line = lines.get(line_id)
        if line is None:
            raise NotFound(_("That line is not on this purchase order."))
        if line.status != "open":
            raise IllegalTransition(_("%(sku)s was answered already.", sku=line.sku_code))
        if answer[0] == "reject":
            reason = (answer[1] or "").strip()
            if not reason:
                raise DomainError(_("Say why %(sku)s is rejected.", sku=line.sku_code), field=f"reason_{line_id}")
            line.status, line.reject_reason, line.confirmed = "rejected", reason[:300], 0
            MACHINE.record(po, actor, "line_rejected", reason, sku=line.sku_code)
            continue
        _kind, quantity, when = answer
        if quantity is None or quantity < 1 or quantity > line.quantity:
            raise DomainError(_("Confirm 1 to %(n)d of %(sku)s, or reject the line.", n=line.quantity, sku=line.sku_code),
                              field=f"quantity_{line_id}")
        if when is None:
            raise DomainError(_("Give the date %(sku)s will arrive.", sku=line.sku_code), field=f"date_{line_id}")
        line.status, line.confirmed, line.confirmed_date = "confirmed", quantity, when
        MACHINE.record(po, actor, "line_confirmed", sku=line.sku_code, quantity=quantity, date=when.isoformat())
    if all(line.status != "open" for line in po.lines):
        if all(line.status == "rejected" for line in po.lines):
            MACHINE.move(po, "confirmed", actor)
            MACHINE.move(po, "cancelled", actor, _("The supplier rejected every line."))
            po.cancel_reason, po.finished_at = _("The supplier rejected every line."), utcnow()
            _release_suggestions(po)
        else:
            MACHINE.move(po, "confirmed", actor)
            po.confirmed_at = utcnow()
    return po


# --- advance shipping notices ---------------------------------------------------------------------

def shippable(line: PurchaseOrderLine) -> int:
    """What may still be announced on a line: its confirmed quantity less what shipped."""
    return max(0, line.confirmed - line.shipped) if line.status == "confirmed" else 0


def create_asn(actor, supplier_id: int, quantities: dict[int, int], ship_date: date | None, carrier: str = "",
               waybill: str = "", boxes: int = 1, by_store: bool = False) -> Asn:
    """Announce a shipment: PO line id → quantity, from one or more confirmed POs of this
    supplier going to one warehouse. The warehouse gets an inbound order expecting it."""
    from app.blueprints.inventory import documents

    quantities = {k: v for k, v in quantities.items() if v}
    if not quantities:
        raise DomainError(_("Give the quantity shipped of at least one line."), field="lines")
    if ship_date is None:
        raise DomainError(_("Give the ship date."), field="ship_date")
    if boxes is None or not 1 <= boxes <= 999:
        raise DomainError(_("Give a number from %(low)d to %(high)d.", low=1, high=999), field="boxes")
    lines = db.session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.id.in_(list(quantities)))
                               .with_for_update()).all()
    if len(lines) != len(quantities):
        raise NotFound(_("A line is not on one of your purchase orders."))
    orders = {line.order for line in lines}
    if any(po.supplier_id != supplier_id for po in orders):
        raise NotFound(_("A line is not on one of your purchase orders."))
    if any(po.status not in ("confirmed", "shipped", "partially_received") for po in orders):
        raise IllegalTransition(_("Only confirmed purchase orders can ship."))
    if len({po.warehouse_id for po in orders}) > 1:
        raise DomainError(_("One notice goes to one warehouse: announce the other orders separately."), field="lines")
    for line in lines:
        quantity = quantities[line.id]
        if quantity < 0 or quantity > shippable(line):
            raise DomainError(_("%(sku)s: %(n)d can still ship, not %(q)d.", sku=line.sku_code, n=shippable(line),
                                q=quantity), field=f"quantity_{line.id}")
    import uuid

    warehouse_id = next(iter(orders)).warehouse_id
    asn = Asn(number=f"~{uuid.uuid4().hex[:20]}", supplier_id=supplier_id, warehouse_id=warehouse_id, status="shipped",
              ship_date=ship_date, carrier=(carrier or "").strip()[:80], waybill=(waybill or "").strip()[:60],
              boxes=boxes, by_store=by_store, created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(asn)
    db.session.flush()
    asn.number = _number("ASN", asn)
    for line in sorted(lines, key=lambda l: l.id):
        asn.lines.append(AsnLine(po_line_id=line.id, sku_id=line.sku_id, quantity=quantities[line.id]))
        line.shipped += quantities[line.id]
    for po in sorted(orders, key=lambda o: o.id):
        if po.status == "confirmed":
            MACHINE.move(po, "shipped", actor, asn=asn.number)
        else:
            MACHINE.record(po, actor, "asn", asn=asn.number)
    document = documents.create_purchase_inbound(
        actor, warehouse_id, asn.number, [(line.sku_id, quantities[line.id]) for line in lines],
        note=_("Supplier %(code)s", code=next(iter(orders)).supplier.code),
        purchase_order_id=next(iter(orders)).id if len(orders) == 1 else None, supplier_id=supplier_id,
        unit_costs=_unit_costs(lines, quantities))
    asn.inbound_number = document.number
    return asn


def _unit_costs(lines: list[PurchaseOrderLine], quantities: dict[int, int]) -> dict[int, int]:
    """SKU id → its purchase price on this notice (minor units, excl. tax); a SKU shipped from
    two orders at two prices costs their quantity-weighted average, rounded half up."""
    amounts: dict[int, list[int]] = {}
    for line in lines:
        total = amounts.setdefault(line.sku_id, [0, 0])
        total[0] += line.unit_price * quantities[line.id]
        total[1] += quantities[line.id]
    return {sku_id: (2 * amount + quantity) // (2 * quantity) for sku_id, (amount, quantity) in amounts.items()}


def receive_directly(actor, po: PurchaseOrder) -> Asn:
    """Goods of a confirmed PO arrived without a notice: the store announces them itself."""
    quantities = {line.id: shippable(line) for line in po.lines if shippable(line)}
    if not quantities:
        raise DomainError(_("Nothing on this purchase order is left to arrive."))
    return create_asn(actor, po.supplier_id, quantities, utcnow().date(), by_store=True)


def tolerance(shipped: int) -> tuple[int, int]:
    """The lowest and highest quantity accepted against `shipped` under the store's tolerance."""
    row = settings()
    low = shipped - (shipped * row.under_tolerance_pct) // 100
    high = shipped + (shipped * row.over_tolerance_pct) // 100
    return low, high


def receive_asn(actor, asn: Asn, counts: dict[int, tuple[int, int, str]], accept_short: bool = False) -> Asn:
    """Receive an ASN: ASN line id → (counted, rejected at the quality check, put-away bin).
    A count above the store's over-tolerance is refused; one below the under-tolerance is
    refused unless `accept_short`. Accepted goods (counted − rejected) go to stock once,
    through the inventory inbound order; the POs' received and rejected quantities follow."""
    from app.blueprints.inventory import documents

    if asn.status != "shipped":
        raise IllegalTransition(_("%(number)s was received already; stock is posted only once.", number=asn.number))
    lines = {line.id: line for line in asn.lines}
    for line_id in counts:
        if line_id not in lines:
            raise NotFound(_("That line is not on this notice."))
    received: dict[int, tuple[int, str]] = {}
    for line in asn.lines:
        counted, rejected, location = counts.get(line.id, (0, 0, ""))
        if counted < 0 or rejected < 0 or rejected > counted:
            raise DomainError(_("%(sku)s: the rejected quantity cannot be more than the count.",
                                sku=line.po_line.sku_code), field=f"rejected_{line.id}")
        low, high = tolerance(line.quantity)
        if counted > high:
            raise DomainError(_("%(sku)s: %(counted)d counted is more than the %(high)d the tolerance allows "
                                "(%(shipped)d shipped).", sku=line.po_line.sku_code, counted=counted, high=high,
                                shipped=line.quantity), field=f"counted_{line.id}")
        if counted < low and not accept_short:
            raise DomainError(_("%(sku)s: %(counted)d counted is short of the %(low)d the tolerance allows "
                                "(%(shipped)d shipped). Check again, or accept the short delivery.",
                                sku=line.po_line.sku_code, counted=counted, low=low, shipped=line.quantity),
                              field=f"counted_{line.id}")
        line.received, line.rejected = counted - rejected, rejected
        if line.received:
            quantity, bin_ = received.get(line.sku_id, (0, location))
            received[line.sku_id] = (quantity + line.received, location or bin_)
    document = documents.by_number(asn.inbound_number)
    if document is None:
        raise NotFound(_("The inbound order of this notice is missing."))
    documents.receive_purchase(actor, document, received)
    _post_receipt(actor, asn, document.number)
    return asn


def follow_inbound(actor, inbound_number: str, lines: list[dict]) -> Asn | None:
    """The warehouse completed a notice's inbound order on its own pages: the notice and its
    purchase orders follow what was posted (`lines`: SKU id and quantity, from the
    ``inbound.completed`` event), once. A notice received here already changes nothing."""
    asn = db.session.scalar(select(Asn).where(Asn.inbound_number == inbound_number).with_for_update(of=Asn))
    if asn is None or asn.status != "shipped":
        return None
    posted = {}
    for row in lines:
        posted[row["sku_id"]] = posted.get(row["sku_id"], 0) + row["quantity"]
    by_sku: dict[int, list[AsnLine]] = {}
    for line in asn.lines:
        by_sku.setdefault(line.sku_id, []).append(line)
    for sku_id, asn_lines in by_sku.items():
        left = posted.get(sku_id, 0)
        for index, line in enumerate(asn_lines):     # a SKU on two orders: fill the first, the rest to the last
            take = left if index == len(asn_lines) - 1 else min(left, line.quantity)
            line.received, line.rejected = take, 0
            left -= take
    _post_receipt(actor, asn, inbound_number)
    return asn


def _post_receipt(actor, asn: Asn, document_number: str) -> None:
    """The notice is received (on time against the confirmed dates, or late); its orders'
    received and rejected quantities follow and they move to (partially) received; their
    invoices waiting for these goods are matched again."""
    from app.blueprints.purchasing import payables

    asn.status, asn.received_at = "received", utcnow()
    due = [line.po_line.confirmed_date for line in asn.lines if line.po_line.confirmed_date]
    asn.on_time = asn.received_at.date() <= max(due) if due else None
    for po in sorted({line.po_line.order for line in asn.lines}, key=lambda o: o.id):
        for line in asn.lines:
            if line.po_line.order_id == po.id:
                line.po_line.received += line.received
                line.po_line.rejected += line.rejected
        MACHINE.record(po, actor, "receipt", document=document_number)
        _follow_receipts(actor, po)
        payables.rematch_order(actor, po)


def _follow_receipts(actor, po: PurchaseOrder) -> None:
    """received when every line that was not rejected has arrived in full, else partially."""
    done = all(line.open_quantity == 0 for line in po.lines)
    target = "received" if done else "partially_received"
    if po.status != target and MACHINE.can(po, target):
        MACHINE.move(po, target, actor)


def asn_for(supplier_id: int, asn_id: int) -> Asn:
    asn = db.session.get(Asn, asn_id)
    if asn is None or asn.supplier_id != supplier_id:
        raise NotFound(_("No such notice."))
    return asn


# --- returns to the supplier --------------------------------------------------------------------

def return_to_supplier(actor, po: PurchaseOrder, quantities: dict[int, int], reason: str) -> SupplierReturn:
    """Send received goods back: PO line id → quantity (at most what was received and not
    returned yet). They leave stock at once on a shipped outbound order (refused, changing
    nothing, when that much is no longer free); the supplier gets a debit note for the goods'
    price with tax, and `purchasing.returned_to_supplier` tells finance (each line's price, tax
    and how many of its units had been invoiced already)."""
    from app.blueprints.inventory import documents

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the goods go back."), field="reason")
    quantities = {k: v for k, v in quantities.items() if v}
    if not quantities:
        raise DomainError(_("Give the quantity to return of at least one line."), field="lines")
    lines = {line.id: line for line in po.lines}
    out, booked, amount = [], [], 0
    for line_id, quantity in sorted(quantities.items()):
        line = lines.get(line_id)
        if line is None:
            raise NotFound(_("That line is not on this purchase order."))
        left = line.returnable_quantity
        if quantity < 0 or quantity > left:
            raise DomainError(_("%(sku)s: %(n)d can be returned, not %(q)d.", sku=line.sku_code, n=left, q=quantity),
                              field=f"quantity_{line.id}")
        tax = line_tax(line.unit_price * quantity, line.tax_rate)
        line_amount = line.unit_price * quantity + tax
        out.append({"po_line_id": line.id, "sku_code": line.sku_code, "quantity": quantity, "amount": line_amount})
        # units go back first from those not billed yet (still goods received, not invoiced)
        unbilled = max(0, line.received - line.returned - line.billed)
        booked.append({"sku_id": line.sku_id, "quantity": quantity, "unit_price": line.unit_price, "tax": tax,
                       "invoiced": quantity - min(quantity, unbilled)})
        amount += line_amount
        line.returned += quantity
    import uuid

    debit = SupplierReturn(number=f"~{uuid.uuid4().hex[:20]}", supplier_id=po.supplier_id, order_id=po.id,
                           reason=reason[:500], amount=amount, currency=po.currency, lines=out,
                           created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(debit)
    db.session.flush()
    debit.number = _number("DN", debit)
    document = documents.create_supplier_return(actor, po.warehouse_id, debit.number,
                                                [(lines[l["po_line_id"]].sku_id, l["quantity"]) for l in out],
                                                note=reason[:300])
    debit.outbound_number = document.number
    # the goods leave now, on their outbound order (picked, packed and shipped to the supplier);
    # not enough free stock left refuses the whole return, changing nothing
    documents.start_picking(actor, document)
    documents.pack(actor, document)
    documents.ship(actor, document)
    MACHINE.record(po, actor, "returned", reason, note=debit.number)
    emit("purchasing.returned_to_supplier", {
        "return_id": debit.id, "number": debit.number, "supplier_id": po.supplier_id, "purchase_order_id": po.id,
        "outbound_number": document.number, "amount": amount, "currency": po.currency, "lines": booked})
    return debit


# --- invoices ----------------------------------------------------------------------------------------

def enter_invoice(actor, po: PurchaseOrder, number: str, invoice_date: date | None, quantities: dict[int, int],
                  file: tuple[str, bytes] | None = None, source: str = "staff",
                  prices: dict[int, int] | None = None) -> SupplierInvoice:
    """A supplier invoice against one PO: PO line id → quantity billed, at the price billed
    (`prices`, PO line id → unit price excl. tax; the PO's price when not given) and the PO
    line's tax rate. A line may not bill more than was ordered or received, whichever is more;
    within that the invoice goes to the three-way match (``payables.match``), which decides
    whether it is due or an exception."""
    from app.blueprints.purchasing import payables
    from app.blueprints.purchasing.services import _store_file

    number = (number or "").strip()
    if not number:
        raise DomainError(_("Give the invoice number."), field="number")
    if invoice_date is None:
        raise DomainError(_("Give the invoice date."), field="invoice_date")
    if po.status in ("draft", "submitted", "approved", "cancelled"):
        raise IllegalTransition(_("Only a purchase order the supplier has can be invoiced."))
    if db.session.scalar(select(SupplierInvoice.id).where(SupplierInvoice.supplier_id == po.supplier_id,
                                                          func.lower(SupplierInvoice.number) == number.lower())):
        raise DomainError(_("An invoice with this number was entered already."), field="number")
    quantities = {k: v for k, v in quantities.items() if v}
    if not quantities:
        raise DomainError(_("Give the quantity billed of at least one line."), field="lines")
    lines = {line.id: line for line in po.lines}
    out, subtotal, tax = [], 0, 0
    for line_id, quantity in sorted(quantities.items()):
        line = lines.get(line_id)
        if line is None:
            raise NotFound(_("That line is not on this purchase order."))
        left = max(line.quantity, line.received) - line.billed
        if quantity < 0 or quantity > left:
            raise DomainError(_("%(sku)s: %(n)d can still be billed (ordered or received), not %(q)d.",
                                sku=line.sku_code, n=max(0, left), q=quantity), field=f"quantity_{line.id}")
        price = (prices or {}).get(line.id)
        price = line.unit_price if price is None else price
        if price < 0:
            raise DomainError(_("Cannot be negative."), field=f"unit_price_{line.id}")
        amount = price * quantity
        out.append({"po_line_id": line.id, "sku_code": line.sku_code, "quantity": quantity,
                    "unit_price": price, "tax_rate": line.tax_rate, "po_price": line.unit_price})
        subtotal += amount
        tax += line_tax(amount, line.tax_rate)
        line.billed += quantity
    file_key = _store_file("invoices", file[1], file[0], "file")["key"] if file and file[1] else ""
    invoice = SupplierInvoice(number=number[:40], supplier_id=po.supplier_id, order_id=po.id, invoice_date=invoice_date,
                              subtotal=subtotal, tax=tax, total=subtotal + tax, currency=po.currency, status="unpaid",
                              file_key=file_key, lines=out, source=source,
                              created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(invoice)
    db.session.flush()
    MACHINE.record(po, actor, "invoiced", invoice=invoice.number, amount=invoice.total)
    payables.match(actor, invoice)
    return invoice


def mark_invoice_paid(actor, invoice: SupplierInvoice) -> SupplierInvoice:
    """Pay what a matched invoice still owes, today (one payment)."""
    from app.blueprints.purchasing import payables

    payables.pay_in_full(actor, invoice, today_in_store())
    return invoice


def today_in_store() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(current_store().timezone)).date()
