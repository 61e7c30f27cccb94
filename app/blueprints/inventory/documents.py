"""Warehouse documents: inbound orders, outbound orders, transfers and stocktakes.

Each type has one table of allowed status changes; every change is written to the
document's timeline (and staff status changes to the audit log) and the steps that move stock post
ledger rows through `services.move`.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.blueprints.catalog.models import Product, Sku
from app.blueprints.inventory import services
from app.blueprints.inventory.models import (Location, StockDocument, StockDocumentEvent, StockDocumentLine, StockLevel,
                                             Warehouse)
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.extensions import db

KINDS = {
    "inbound": ("purchase", "return", "transfer_in", "other"),
    "outbound": ("sales", "transfer_out", "return_to_supplier", "other"),
    "transfer": ("transfer",),
    "stocktake": ("full", "category", "zone"),
}
PREFIX = {"inbound": "IN", "outbound": "OUT", "transfer": "TR", "stocktake": "ST"}
FIRST_STATUS = {"inbound": "draft", "outbound": "draft", "transfer": "draft", "stocktake": "counting"}
STATUS_LABELS = {"draft": _l("Draft"), "receiving": _l("Receiving"), "completed": _l("Completed"),
                 "picking": _l("Picking"), "packed": _l("Packed"), "shipped": _l("Shipped"),
                 "in_transit": _l("In transit"), "received": _l("Received"), "counting": _l("Counting"),
                 "review": _l("Variance review"), "approved": _l("Approved"), "cancelled": _l("Cancelled")}
ACTION_LABELS = {"created": _l("Document created"), "line_added": _l("Line added: %(sku)s × %(quantity)s"),
                 "line_reduced": _l("%(quantity)s fewer of %(sku)s: refunded before shipment"),
                 "received": _l("Received %(sku)s: %(received)s in total"),
                 "counted": _l("Counts saved for %(lines)s lines"), "scanned": _l("Scanned counts for %(skus)s SKUs")}
_TABLES = {
    "inbound": {"draft": {"receiving", "cancelled"}, "receiving": {"completed", "cancelled"}},
    # a packed parcel can still be intercepted (the order was cancelled before it left)
    "outbound": {"draft": {"picking", "cancelled"}, "picking": {"packed", "cancelled"},
                 "packed": {"shipped", "cancelled"}},
    "transfer": {"draft": {"in_transit", "cancelled"}, "in_transit": {"received"}},
    "stocktake": {"counting": {"review", "cancelled"}, "review": {"approved", "counting", "cancelled"}},
}
# one machine per document type, all writing the documents' one timeline (and the audit log for staff)
MACHINES = {doc_type: StateMachine(doc_type, table, STATUS_LABELS, actions=ACTION_LABELS, audit_label="number")
            for doc_type, table in _TABLES.items()}
TIMELINE = StateMachine("stock_document", {}, STATUS_LABELS, timeline=StockDocumentEvent, actions=ACTION_LABELS)
for _machine in MACHINES.values():
    _machine.timeline = StockDocumentEvent


# each button on a document's page and the status it moves to
ACTION_TARGETS = {"complete": "completed", "start_picking": "picking", "pack": "packed", "ship": "shipped",
                  "dispatch": "in_transit", "receive_transfer": "received", "submit": "review", "reopen": "counting",
                  "approve": "approved", "cancel": "cancelled"}


def worked_by_notice(document: StockDocument) -> bool:
    """A sales outbound of a delivery notice: dispatch picks, packs and ships it (with the
    carrier and waybill), not the document's own buttons."""
    return bool(document.reservation_ref)


def available_actions(document: StockDocument) -> list[str]:
    """The status buttons this document offers now (its machine decides, not the page)."""
    if worked_by_notice(document):
        return []
    machine = MACHINES[document.doc_type]
    return [action for action, target in ACTION_TARGETS.items() if machine.can(document, target)]


def can_add_lines(document: StockDocument) -> bool:
    return document.status == "draft"


def can_receive(document: StockDocument) -> bool:
    return document.doc_type == "inbound" and document.status in ("draft", "receiving")


def counting(document: StockDocument) -> bool:
    return document.doc_type == "stocktake" and document.status == "counting"


def shows_book(document: StockDocument) -> bool:
    """Whether the page shows the book quantity: not to counters of a blind count."""
    return not (counting(document) and document.blind)


def line_receivable(line: StockDocumentLine) -> bool:
    """Whether more goods can be received against this line (partial receipts add up)."""
    return line.done < line.quantity


def _warehouse(warehouse_id, field="warehouse_id") -> Warehouse:
    warehouse = db.session.get(Warehouse, warehouse_id) if warehouse_id else None
    if warehouse is None or not warehouse.active:
        raise DomainError(_("Choose an active warehouse."), field=field)
    return warehouse


def _transition(actor, document: StockDocument, target: str, **data) -> None:
    MACHINES[document.doc_type].move(document, target, actor, **data)
    if target in ("completed", "shipped", "received", "approved", "cancelled"):
        document.finished_at = utcnow()


def create(actor, doc_type: str, kind: str, warehouse_id: int, to_warehouse_id: int | None = None,
           reference: str = "", note: str = "", blind: bool = False, category_id: int | None = None) -> StockDocument:
    """Open a document. A stocktake snapshots the book quantities of its scope at once."""
    if doc_type not in KINDS or kind not in KINDS[doc_type]:
        raise DomainError(_("Choose a kind."), field="kind")
    warehouse = _warehouse(warehouse_id)
    if doc_type == "transfer":
        target = _warehouse(to_warehouse_id, "to_warehouse_id")
        if target.id == warehouse.id:
            raise DomainError(_("Choose two different warehouses."), field="to_warehouse_id")
    # a placeholder of its own until the id names it: a shared one ("pending") would make every
    # concurrent create wait on the unique index for the first transaction to end (and deadlock)
    document = StockDocument(number=f"~{uuid.uuid4().hex[:19]}", doc_type=doc_type, kind=kind, status=FIRST_STATUS[doc_type],
                             warehouse_id=warehouse.id, to_warehouse_id=to_warehouse_id if doc_type == "transfer" else None,
                             reference=(reference or "").strip()[:80], note=(note or "").strip()[:300], blind=blind,
                             category_id=category_id, created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(document)
    db.session.flush()
    document.number = f"{PREFIX[doc_type]}-{document.id:06d}"
    if doc_type == "stocktake":
        _snapshot(document)
    TIMELINE.start(document, actor, warehouse=warehouse.code)
    return document


def _snapshot(document: StockDocument) -> None:
    """Book quantities at the start: the whole warehouse, a category, or a zone (by the bins
    SKUs were put away in)."""
    from app.blueprints.catalog.services import subtree_ids

    homes: dict[int, str] = {}
    stmt = select(StockLevel.sku_id, StockLevel.on_hand).where(StockLevel.warehouse_id == document.warehouse_id)
    if document.kind == "category":
        if not document.category_id:
            raise DomainError(_("Choose the category to count."), field="category_id")
        stmt = stmt.join(Sku, Sku.id == StockLevel.sku_id).join(Product, Product.id == Sku.product_id).where(
            Product.category_id.in_(subtree_ids(document.category_id)))
    rows = db.session.execute(stmt).all()
    if document.kind == "zone":
        zone = (document.reference or "").strip().upper()
        if not zone:
            raise DomainError(_("Give the zone to count (its code, like A)."), field="reference")
        homes = home_locations(document.warehouse_id, [sku_id for sku_id, _ in rows])
        rows = [(sku_id, on_hand) for sku_id, on_hand in rows
                if homes.get(sku_id, "").split("-")[0] == zone]
    for sku_id, on_hand in rows:
        db.session.add(StockDocumentLine(document_id=document.id, sku_id=sku_id, quantity=on_hand, done=0,
                                         location=homes.get(sku_id, "") if document.kind == "zone" else ""))


def _sku_by_code(code: str) -> Sku:
    sku = db.session.scalar(select(Sku).where(func.lower(Sku.code) == (code or "").strip().lower()))
    if sku is None:
        sku = db.session.scalar(select(Sku).where(Sku.barcode == (code or "").strip(), Sku.barcode != ""))
    if sku is None:
        raise DomainError(_("No SKU with the code or barcode “%(code)s”.", code=code), field="sku_code")
    return sku


def add_line(actor, document: StockDocument, sku_code: str, quantity: int, location: str = "") -> StockDocumentLine:
    """Add (or raise) a line of a draft document."""
    if document.status != "draft":
        raise DomainError(_("Lines can only be added while the document is a draft."))
    if quantity <= 0:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    sku = _sku_by_code(sku_code)
    line = db.session.scalar(select(StockDocumentLine).where(StockDocumentLine.document_id == document.id,
                                                             StockDocumentLine.sku_id == sku.id))
    if line is None:
        line = StockDocumentLine(document_id=document.id, sku_id=sku.id, quantity=0, done=0,
                                 location=(location or "").strip().upper()[:40])
        db.session.add(line)
    line.quantity += quantity
    TIMELINE.record(document, actor, "line_added", sku=sku.code, quantity=quantity)
    return line


def _line(document: StockDocument, line_id: int) -> StockDocumentLine:
    line = db.session.get(StockDocumentLine, line_id)
    if line is None or line.document_id != document.id:
        raise DomainError(_("That line is not on this document."))
    return line


# --- inbound ---------------------------------------------------------------------------------

def receive_line(actor, document: StockDocument, line_id: int, quantity: int, location: str = "") -> StockDocumentLine:
    """Record goods received against a line (partial receipts add up) and where they were put away."""
    if document.doc_type != "inbound":
        raise DomainError(_("Only inbound orders receive goods."))
    if document.status == "draft":
        if not document.lines:
            raise DomainError(_("Add the expected lines first."))
        _transition(actor, document, "receiving")
    if document.status != "receiving":
        raise DomainError(_("This order is not receiving goods."))
    line = _line(document, line_id)
    if quantity <= 0:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    if line.done + quantity > line.quantity:
        raise DomainError(_("That is more than expected (%(left)d left on this line).", left=line.quantity - line.done),
                          field="quantity")
    location = (location or "").strip().upper()
    if location and not db.session.scalar(select(Location.id).where(Location.warehouse_id == document.warehouse_id,
                                                                   Location.code == location)):
        raise DomainError(_("No location %(code)s in this warehouse.", code=location), field="location")
    line.done += quantity
    if location:
        line.location = location
    TIMELINE.record(document, actor, "received", sku=line.sku.code, quantity=quantity, received=line.done,
                    location=location or None)
    return line


def complete_inbound(actor, document: StockDocument) -> StockDocument:
    """Close the order and post the received quantities to stock (short receipts stay short)."""
    if not any(line.done for line in document.lines):
        raise DomainError(_("Nothing was received yet."))
    _transition(actor, document, "completed")
    movement_kind = {"transfer_in": "transfer_in", "return": "return"}.get(document.kind, "receipt")
    for line in sorted(document.lines, key=lambda l: l.sku_id):
        if line.done:
            services.move(line.sku_id, document.warehouse_id, movement_kind, "inbound", document.number,
                          on_hand=line.done, actor=actor, note=line.location)
    emit("inbound.completed", completed_payload(document))
    return document


def completed_payload(document: StockDocument) -> dict:
    """What ``inbound.completed`` tells the other centers: the goods posted and their unit cost
    (the purchase order's price, else the SKU's cost price, else null), in minor units."""
    from app.core.tenancy import current_store

    posted = sorted((line for line in document.lines if line.done), key=lambda l: l.sku_id)
    missing = [line.sku_id for line in posted if line.unit_cost is None]
    cost_prices = dict(db.session.execute(select(Sku.id, Sku.cost_price).where(Sku.id.in_(missing))).all()) \
        if missing else {}
    return {"inbound_id": document.id, "number": document.number, "kind": document.kind,
            "warehouse_id": document.warehouse_id, "reference": document.reference,
            "purchase_order_id": document.purchase_order_id, "supplier_id": document.supplier_id,
            "completed_at": (document.finished_at or utcnow()).isoformat(),
            "lines": [{"sku_id": line.sku_id, "quantity": line.done,
                       "unit_cost": line.unit_cost if line.unit_cost is not None else (cost_prices.get(line.sku_id) or None)}
                      for line in posted],
            "currency": current_store().currency}


# --- outbound --------------------------------------------------------------------------------

def home_locations(warehouse_id: int, sku_ids: list[int]) -> dict[int, str]:
    """Where each SKU was last put away in this warehouse (for pick lists)."""
    rows = db.session.execute(
        select(StockDocumentLine.sku_id, StockDocumentLine.location)
        .join(StockDocument, StockDocument.id == StockDocumentLine.document_id)
        .where(StockDocument.doc_type == "inbound", StockDocument.warehouse_id == warehouse_id,
               StockDocumentLine.sku_id.in_(sku_ids), StockDocumentLine.location != "")
        .order_by(StockDocumentLine.id)).all()
    return {sku_id: location for sku_id, location in rows}


def pick_list(document: StockDocument) -> list[tuple[str, StockDocumentLine]]:
    """The lines sorted by bin, bins first, unplaced last."""
    homes = home_locations(document.warehouse_id, [line.sku_id for line in document.lines])
    rows = [(line.location or homes.get(line.sku_id, ""), line) for line in document.lines]
    return sorted(rows, key=lambda r: (r[0] == "", r[0], r[1].sku.code))


def _not_a_notice(document: StockDocument, by_notice: bool) -> None:
    if worked_by_notice(document) and not by_notice:
        raise IllegalTransition(_("%(number)s belongs to delivery notice %(notice)s: work it from the notice.",
                                  number=document.number, notice=document.reference))


def create_sales_outbound(actor, warehouse_id: int, reservation_ref: str, reference: str,
                          lines: list[tuple[int, int]], note: str = "") -> StockDocument:
    """A sales outbound (销售出库单) for one delivery notice: `lines` are (SKU id, quantity)
    taken from the order reservation `reservation_ref` in this warehouse when it ships, each
    with its pick bin."""
    if not lines:
        raise DomainError(_("Add the lines to ship first."))
    document = create(actor, "outbound", "sales", warehouse_id, reference=reference, note=note)
    document.reservation_ref = reservation_ref
    homes = home_locations(warehouse_id, [sku_id for sku_id, _q in lines])
    for sku_id, quantity in sorted(lines):
        db.session.add(StockDocumentLine(document_id=document.id, sku_id=sku_id, quantity=quantity, done=0,
                                         location=homes.get(sku_id, "")))
    return document


def reduce_sales_outbound(actor, document: StockDocument, sku_id: int, quantity: int) -> StockDocument:
    """Ship `quantity` fewer units of a SKU with a delivery notice's outbound that has not left
    (units refunded before shipment); a line brought to nothing goes. The reservation is the
    caller's (dispatch gives the units back). More than the line plans is refused."""
    if not worked_by_notice(document):
        raise DomainError(_("%(number)s is not a delivery notice's outbound.", number=document.number))
    if document.status in ("shipped", "cancelled"):
        raise IllegalTransition(_("%(number)s has left already.", number=document.number))
    line = next((l for l in document.lines if l.sku_id == sku_id), None)
    if line is None or not 0 < quantity <= line.quantity:
        raise DomainError(_("%(number)s does not ship that many units.", number=document.number))
    code = line.sku.code
    line.quantity -= quantity
    line.done = min(line.done, line.quantity)
    if not line.quantity:
        document.lines.remove(line)        # delete-orphan
    TIMELINE.record(document, actor, "line_reduced", sku=code, quantity=quantity)
    return document


def by_number(number: str) -> StockDocument | None:
    return db.session.scalar(select(StockDocument).where(StockDocument.number == number)) if number else None


def ship_sales(actor, document: StockDocument) -> StockDocument:
    """Ship a delivery notice's outbound: its lines leave the warehouse out of the order's
    reservation, exactly once (a second shipment is refused by the document's machine and by
    the reservation, and changes nothing)."""
    if not worked_by_notice(document):
        raise DomainError(_("%(number)s is not a delivery notice's outbound.", number=document.number))
    _transition(actor, document, "shipped")
    services.commit_part(document.reservation_ref, document.warehouse_id,
                         {line.sku_id: line.quantity for line in document.lines}, document.number, actor)
    for line in document.lines:
        line.done = line.quantity
    return document


def start_picking(actor, document: StockDocument, by_notice: bool = False) -> StockDocument:
    _not_a_notice(document, by_notice)
    if not document.lines:
        raise DomainError(_("Add the lines to ship first."))
    _transition(actor, document, "picking")
    return document


def pack(actor, document: StockDocument, by_notice: bool = False) -> StockDocument:
    _not_a_notice(document, by_notice)
    for line in document.lines:
        line.done = line.quantity
    _transition(actor, document, "packed")
    return document


def ship(actor, document: StockDocument) -> StockDocument:
    """Confirm the shipment: stock leaves the warehouse. A shipment whose reference names an
    order's reservation (``order:NUMBER`` or the order number) commits that reservation instead
    of taking stock twice, and is refused if the order has shipped already; the order follows
    through the ``stock.shipped`` event. A delivery notice's outbound ships from its notice."""
    _not_a_notice(document, False)
    reservation = services.shipment_reservation(document.reference)
    if reservation is not None:
        if reservation.status == "active" and reservation.expires_at is not None:
            raise IllegalTransition(_("%(ref)s is not paid yet: its stock is only held until the payment deadline, "
                                      "so it cannot ship.", ref=reservation.reference.removeprefix("order:")))
        services.commit(reservation.reference, actor)   # refuses a second shipment, changing nothing
        _transition(actor, document, "shipped")
        emit("stock.shipped", {"reference": reservation.reference, "document": document.number})
        return document
    _transition(actor, document, "shipped")
    # goods back to a supplier are not sales: replenishment reads "shipment" rows as demand
    kind = {"transfer_out": "transfer_out", "return_to_supplier": "return"}.get(document.kind, "shipment")
    for line in sorted(document.lines, key=lambda l: l.sku_id):
        services.move(line.sku_id, document.warehouse_id, kind, "outbound", document.number, on_hand=-line.quantity,
                      actor=actor)
    return document


# --- transfers -------------------------------------------------------------------------------

def dispatch_transfer(actor, document: StockDocument) -> StockDocument:
    if not document.lines:
        raise DomainError(_("Add the lines to move first."))
    _transition(actor, document, "in_transit")
    for line in sorted(document.lines, key=lambda l: l.sku_id):
        services.move(line.sku_id, document.warehouse_id, "transfer_out", "transfer", document.number,
                      on_hand=-line.quantity, actor=actor)
    return document


def receive_transfer(actor, document: StockDocument) -> StockDocument:
    _transition(actor, document, "received")
    for line in sorted(document.lines, key=lambda l: l.sku_id):
        line.done = line.quantity
        services.move(line.sku_id, document.to_warehouse_id, "transfer_in", "transfer", document.number,
                      on_hand=line.quantity, actor=actor)
    return document


# --- stocktake -------------------------------------------------------------------------------

def record_counts(actor, document: StockDocument, counts: dict[int, int]) -> int:
    """Counted quantities by line id (from the grid)."""
    if document.status != "counting":
        raise DomainError(_("Counts can only be entered while counting."))
    for line_id, counted in counts.items():
        if counted < 0:
            raise DomainError(_("Cannot be negative."), field="counts")
        line = _line(document, line_id)
        line.done, line.counted = counted, True
    TIMELINE.record(document, actor, "counted", lines=len(counts))
    return len(counts)


@dataclass
class ScanResult:
    skus: int = 0                                           # SKUs counted from the good lines
    rejected: list[str] = field(default_factory=list)       # the lines not counted, each with why


def record_scans(actor, document: StockDocument, scans: list[str], replace: bool = False) -> ScanResult:
    """Counts from a barcode scanner (one code per scan adds 1) or a list of code,quantity rows.
    A line that cannot be read or names no SKU is left out and reported; the others count."""
    if document.status != "counting":
        raise DomainError(_("Counts can only be entered while counting."))
    totals: dict[int, int] = {}
    result = ScanResult()
    for number, raw in enumerate(scans, start=1):
        raw = raw.strip()
        if not raw:
            continue
        code, _sep, qty = raw.partition(",")
        try:
            quantity = int(qty) if qty.strip() else 1
            if quantity < 0:
                raise ValueError
        except ValueError:
            result.rejected.append(_("line %(n)d “%(row)s”: write code,quantity", n=number, row=raw[:60]))
            continue
        try:
            sku = _sku_by_code(code)
        except DomainError:
            result.rejected.append(_("line %(n)d “%(row)s”: no SKU has this code or barcode", n=number, row=raw[:60]))
            continue
        totals[sku.id] = totals.get(sku.id, 0) + quantity
    lines = {line.sku_id: line for line in document.lines}
    for sku_id, quantity in totals.items():
        line = lines.get(sku_id)
        if line is None:  # found stock the book did not know about
            line = StockDocumentLine(document_id=document.id, sku_id=sku_id, quantity=0, done=0)
            db.session.add(line)
            lines[sku_id] = line
        line.done = quantity if replace or not line.counted else line.done + quantity
        line.counted = True
    result.skus = len(totals)
    TIMELINE.record(document, actor, "scanned", skus=len(totals), rejected=len(result.rejected))
    return result


def submit_count(actor, document: StockDocument) -> StockDocument:
    _transition(actor, document, "review")
    return document


def approve_count(actor, document: StockDocument) -> StockDocument:
    """Post the variances (counted − book at the snapshot) as stocktake gains and losses.
    Lines never counted are taken as zero."""
    _transition(actor, document, "approved")
    for line in sorted(document.lines, key=lambda l: l.sku_id):
        variance = line.done - line.quantity
        if variance:
            try:
                services.move(line.sku_id, document.warehouse_id,
                              "stocktake_gain" if variance > 0 else "stocktake_loss", "stocktake", document.number,
                              on_hand=variance, actor=actor)
            except services.OutOfStock:
                level = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == line.sku_id,
                                                                   StockLevel.warehouse_id == document.warehouse_id))
                free = max(0, level.on_hand - level.reserved) if level else 0
                raise services.OutOfStock(_(
                    "SKU %(code)s: the count takes away %(loss)d, but only %(free)d are on hand and not reserved "
                    "(short by %(short)d). Count it again or release stock first.", code=line.sku.code,
                    loss=-variance, free=free, short=-variance - free), field="counts")
    return document


def reopen_count(actor, document: StockDocument) -> StockDocument:
    _transition(actor, document, "counting")
    return document


def cancel(actor, document: StockDocument, by_notice: bool = False) -> StockDocument:
    _not_a_notice(document, by_notice)
    _transition(actor, document, "cancelled")
    return document


# --- purchasing: inbound orders from suppliers' shipments, outbound returns to suppliers ----------

def create_purchase_inbound(actor, warehouse_id: int, reference: str, lines: list[tuple[int, int]],
                            note: str = "", *, purchase_order_id: int | None = None, supplier_id: int | None = None,
                            unit_costs: dict[int, int] | None = None) -> StockDocument:
    """A purchase inbound order (采购入库单) expecting `lines` (SKU id, quantity) under
    `reference` (the ASN or purchase order it receives); each line gets its put-away bin and
    its unit cost (`unit_costs`: SKU id → the purchase price, minor units excl. tax), and the
    document remembers the purchase order (when it receives one) and supplier by id."""
    if not lines:
        raise DomainError(_("Add the expected lines first."))
    document = create(actor, "inbound", "purchase", warehouse_id, reference=reference, note=note)
    document.purchase_order_id, document.supplier_id = purchase_order_id, supplier_id
    merged: dict[int, int] = {}
    for sku_id, quantity in lines:
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    homes = home_locations(warehouse_id, list(merged))
    for sku_id, quantity in sorted(merged.items()):
        db.session.add(StockDocumentLine(document_id=document.id, sku_id=sku_id, quantity=quantity, done=0,
                                         location=homes.get(sku_id, ""), unit_cost=(unit_costs or {}).get(sku_id)))
    return document


def receive_purchase(actor, document: StockDocument, received: dict[int, tuple[int, str]]) -> StockDocument:
    """Receive a purchase inbound at once and post it to stock, exactly once: `received` is
    SKU id → (quantity accepted after the quality check, put-away bin). The purchasing center
    has checked the quantities against the store's over/under tolerance, so a line may take
    more than it expected (the expected quantity follows)."""
    if document.doc_type != "inbound" or document.kind != "purchase":
        raise DomainError(_("%(number)s is not a purchase inbound order.", number=document.number))
    if document.status not in ("draft", "receiving"):
        raise IllegalTransition(_("%(number)s was received already; stock is posted only once.",
                                  number=document.number))
    lines = {line.sku_id: line for line in document.lines}
    if document.status == "draft":
        _transition(actor, document, "receiving")
    for sku_id, (quantity, location) in sorted(received.items()):
        line = lines.get(sku_id)
        if line is None:
            raise DomainError(_("That line is not on this document."))
        if quantity <= 0:
            continue
        if line.done + quantity > line.quantity:
            line.quantity = line.done + quantity
        receive_line(actor, document, line.id, quantity, location)
    if not any(line.done for line in document.lines):
        _transition(actor, document, "cancelled", reason="nothing accepted")
        return document
    return complete_inbound(actor, document)


def create_supplier_return(actor, warehouse_id: int, reference: str, lines: list[tuple[int, int]],
                           note: str = "") -> StockDocument:
    """An outbound order returning goods to a supplier (退供应商出库单); the warehouse picks,
    packs and ships it like any outbound, and stock leaves when it ships."""
    if not lines:
        raise DomainError(_("Add the lines to ship first."))
    document = create(actor, "outbound", "return_to_supplier", warehouse_id, reference=reference, note=note)
    merged: dict[int, int] = {}
    for sku_id, quantity in lines:
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    homes = home_locations(warehouse_id, list(merged))
    for sku_id, quantity in sorted(merged.items()):
        db.session.add(StockDocumentLine(document_id=document.id, sku_id=sku_id, quantity=quantity, done=0,
                                         location=homes.get(sku_id, "")))
    return document


def document_status(number: str) -> str | None:
    """The status of the document with this number, or None."""
    return db.session.scalar(select(StockDocument.status).where(StockDocument.number == number)) if number else None
# --- returns from after-sales --------------------------------------------------------------------

def open_return_inbound(actor, warehouse_id: int, reference: str, lines: list[tuple[int, int]],
                        note: str = "") -> StockDocument:
    """A return inbound (退货入库单) for goods a shopper sent back: `lines` are (SKU id, quantity)
    expected; each good unit is received into a bin and `complete_inbound` posts them once."""
    if not lines:
        raise DomainError(_("Add the lines to receive first."))
    document = create(actor, "inbound", "return", warehouse_id, reference=reference, note=note)
    merged: dict[int, int] = {}
    for sku_id, quantity in lines:
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    for sku_id, quantity in sorted(merged.items()):
        db.session.add(StockDocumentLine(document_id=document.id, sku_id=sku_id, quantity=quantity, done=0))
    db.session.flush()
    db.session.refresh(document)
    return document


def receive_return_unit(actor, document: StockDocument, sku_id: int, location: str) -> StockDocumentLine:
    """One good unit of a return inbound received into `location` (a bin of its warehouse)."""
    line = next((l for l in document.lines if l.sku_id == sku_id), None)
    if line is None:
        raise DomainError(_("That SKU is not on this inbound order."))
    if not (location or "").strip():
        raise DomainError(_("Choose the bin the unit goes to."), field="location")
    return receive_line(actor, document, line.id, 1, location)


def finish_return_inbound(actor, document: StockDocument) -> StockDocument:
    """Post what was received (once: the document's machine refuses a second completion), or
    cancel the document when nothing good came back."""
    if document.status in ("completed", "cancelled"):
        return document
    if any(line.done for line in document.lines):
        return complete_inbound(actor, document)
    return cancel(actor, document)


def locations_of(warehouse_id: int) -> list[str]:
    """The active bins of a warehouse, by code."""
    return list(db.session.scalars(select(Location.code).where(Location.warehouse_id == warehouse_id, Location.active)
                                   .order_by(Location.code)))
