"""Read side of purchasing: choice lists, the dashboard's figures, what a PO page shows, and
the snapshots other centers may read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select

from app.blueprints.purchasing.models import (Asn, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierApplication,
                                              SupplierInvoice, SupplierPayment, SupplierPaymentAllocation)
from app.core.db import utcnow
from app.core.tenancy import current_store
from app.extensions import db


def supplier_choices(active_only: bool = True) -> list[tuple[int, str]]:
    stmt = select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code)
    if active_only:
        stmt = stmt.where(Supplier.status == "active")
    return [(i, f"{c} {n}") for i, c, n in db.session.execute(stmt)]


def supplier_of_account(account_id: int) -> Supplier | None:
    """The bound store's supplier record of a platform supplier (its first account's id)."""
    return db.session.scalar(select(Supplier).where(Supplier.account_id == account_id,
                                                    Supplier.status != "archived"))


def sku_titles(sku_ids) -> dict[int, str]:
    from app.blueprints.catalog import queries as catalog

    return {i: f"{s.title} {s.label if s.options else ''}".strip() for i, s in catalog.sku_snapshots(sku_ids).items()}


def warehouse_names() -> dict[int, str]:
    """Every warehouse's code and name by id, read once per request (list pages name them per row)."""
    from flask import g, has_request_context

    from app.blueprints.inventory import services as inventory

    if has_request_context() and "purchasing_warehouses" in g:
        return g.purchasing_warehouses
    names = {w.id: f"{w.code} {w.name}" for w in inventory.all_warehouses()}
    if has_request_context():
        g.purchasing_warehouses = names
    return names


def pending_applications() -> int:
    return db.session.scalar(select(func.count()).select_from(SupplierApplication)
                             .where(SupplierApplication.status == "pending")) or 0


def dashboard(months: int = 6) -> dict:
    """Open POs by status, late deliveries (confirmed lines past their date and still open),
    and spend by supplier per month (total of POs sent, by the month they were sent)."""
    from app.blueprints.purchasing.orders import OPEN

    by_status = dict(db.session.execute(select(PurchaseOrder.status, func.count())
                                        .where(PurchaseOrder.status.in_(OPEN)).group_by(PurchaseOrder.status)).all())
    tz = current_store().timezone or "Asia/Shanghai"
    today = utcnow().astimezone(ZoneInfo(tz)).date()      # a confirmed date and the months are the store's, not UTC's
    late = db.session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, Supplier.code, PurchaseOrderLine.sku_code,
               PurchaseOrderLine.confirmed_date, PurchaseOrderLine.confirmed - PurchaseOrderLine.received
               - PurchaseOrderLine.rejected)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.status.in_(("confirmed", "shipped", "partially_received")),
               PurchaseOrderLine.status == "confirmed", PurchaseOrderLine.confirmed_date < today,
               PurchaseOrderLine.confirmed > PurchaseOrderLine.received + PurchaseOrderLine.rejected)
        .order_by(PurchaseOrderLine.confirmed_date).limit(20)).all()
    since = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    local_sent = func.timezone(tz, PurchaseOrder.sent_at)
    month = func.to_char(local_sent, "YYYY-MM")
    spend_rows = db.session.execute(
        select(month, Supplier.code, func.sum(PurchaseOrder.total))
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.sent_at.is_not(None), cast(local_sent, Date) >= since,
               PurchaseOrder.status != "cancelled")
        .group_by(month, Supplier.code).order_by(month, Supplier.code)).all()
    months_list, m = [], since
    while m <= today:
        months_list.append(m.strftime("%Y-%m"))
        m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
    spend: dict[str, dict[str, int]] = {}
    for mon, code, total in spend_rows:
        spend.setdefault(code, {})[mon] = int(total)
    return {"by_status": by_status, "late": late, "months": months_list, "spend": spend,
            "month_totals": [(mon, sum(s.get(mon, 0) for s in spend.values())) for mon in months_list],
            "applications": pending_applications(),
            "unpaid": int(db.session.scalar(select(func.coalesce(func.sum(SupplierInvoice.total - SupplierInvoice.paid_amount), 0))
                                            .where(SupplierInvoice.status.in_(("unpaid", "partially_paid")))) or 0),
            "in_transit": db.session.scalar(select(func.count()).select_from(Asn).where(Asn.status == "shipped")) or 0}


def portal_summary(supplier_id: int) -> dict:
    """What a supplier's home in one store shows: POs to confirm, notices in transit, unpaid invoices."""
    to_confirm = db.session.scalar(select(func.count()).select_from(PurchaseOrder).where(
        PurchaseOrder.supplier_id == supplier_id, PurchaseOrder.status == "sent")) or 0
    to_ship = db.session.scalar(select(func.count()).select_from(PurchaseOrder).where(
        PurchaseOrder.supplier_id == supplier_id, PurchaseOrder.status.in_(("confirmed", "shipped",
                                                                            "partially_received")))) or 0
    in_transit = db.session.scalar(select(func.count()).select_from(Asn).where(
        Asn.supplier_id == supplier_id, Asn.status == "shipped")) or 0
    unpaid = db.session.scalar(select(func.coalesce(func.sum(SupplierInvoice.total - SupplierInvoice.paid_amount), 0)).where(
        SupplierInvoice.supplier_id == supplier_id, SupplierInvoice.status.in_(("unpaid", "partially_paid")))) or 0
    return {"to_confirm": to_confirm, "to_ship": to_ship, "in_transit": in_transit, "unpaid": int(unpaid)}


def shippable_lines(supplier_id: int) -> list[PurchaseOrderLine]:
    """The confirmed PO lines of a supplier with something left to announce (for a new ASN)."""
    from sqlalchemy.orm import contains_eager

    return list(db.session.scalars(
        select(PurchaseOrderLine).join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .options(contains_eager(PurchaseOrderLine.order))
        .where(PurchaseOrder.supplier_id == supplier_id,
               PurchaseOrder.status.in_(("confirmed", "shipped", "partially_received")),
               PurchaseOrderLine.status == "confirmed", PurchaseOrderLine.confirmed > PurchaseOrderLine.shipped)
        .order_by(PurchaseOrder.id, PurchaseOrderLine.id)))


@dataclass(frozen=True)
class InvoicePayment:
    payment_id: int
    number: str
    paid_on: object
    amount: int            # what this payment paid of the invoice
    method: str
    reference: str


def invoice_payments(invoice_id: int) -> list[InvoicePayment]:
    """The payments that paid (part of) an invoice, oldest first, in one statement."""
    rows = db.session.execute(
        select(SupplierPayment.id, SupplierPayment.number, SupplierPayment.paid_on, SupplierPaymentAllocation.amount,
               SupplierPayment.method, SupplierPayment.reference)
        .join(SupplierPaymentAllocation, SupplierPaymentAllocation.payment_id == SupplierPayment.id)
        .where(SupplierPaymentAllocation.invoice_id == invoice_id).order_by(SupplierPayment.id)).all()
    return [InvoicePayment(*row) for row in rows]


@dataclass(frozen=True)
class OpenPayable:
    """What the store still owes on one matched supplier invoice (finance's AP ageing)."""

    supplier_id: int
    supplier: str
    number: str
    invoice_date: object
    due_on: object           # None: no payment terms
    outstanding: int
    currency: str


def open_payables(as_of: date) -> list[OpenPayable]:
    """What was owed at the end of the store's day `as_of`, by supplier and due date (one query):
    invoices matched (or accepted) by then, less the payments paid on or before `as_of`. An
    invoice matched later was still goods received not invoiced (暂估) on that day, and a
    payment dated later was still owed, whatever has happened since."""
    from app.blueprints.purchasing.payables import PAYABLE

    tz = ZoneInfo(current_store().timezone or "Asia/Shanghai")
    day_ends = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=tz)
    paid = (select(SupplierPaymentAllocation.invoice_id, func.sum(SupplierPaymentAllocation.amount).label("amount"))
            .join(SupplierPayment, SupplierPayment.id == SupplierPaymentAllocation.payment_id)
            .where(SupplierPayment.paid_on <= as_of).group_by(SupplierPaymentAllocation.invoice_id).subquery())
    left = SupplierInvoice.total - func.coalesce(paid.c.amount, 0)
    rows = db.session.execute(
        select(SupplierInvoice.supplier_id, Supplier.name, SupplierInvoice.number, SupplierInvoice.invoice_date,
               SupplierInvoice.due_on, left, SupplierInvoice.currency)
        .join(Supplier, Supplier.id == SupplierInvoice.supplier_id)
        .outerjoin(paid, paid.c.invoice_id == SupplierInvoice.id)
        .where(SupplierInvoice.match_status.in_(PAYABLE), SupplierInvoice.matched_at < day_ends, left > 0)
        .order_by(Supplier.name, SupplierInvoice.due_on, SupplierInvoice.id))
    return [OpenPayable(s, name, number, day, due, int(owed), currency)
            for s, name, number, day, due, owed, currency in rows]
