"""Purchasing tables (采购中心): suppliers with their contacts, documents and notes, the
applications suppliers send through the portal, what each supplier supplies (supplier SKUs
with their price history), purchase orders with their lines and timeline, advance shipping
notices (ASNs), returns to suppliers with their debit notes, supplier invoices, replenishment
suggestions and the nightly scorecard.

A supplier names its platform account by id only (``account_id``), never by a foreign key
into the platform schema; stock lives in the inventory center, reached through its services.
Money is in minor units of the store's currency; tax rates in basis points (1300 = 13 %).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
from app.extensions import db

SUPPLIER_STATUSES = ("active", "suspended", "archived")
APPLICATION_STATUSES = ("pending", "approved", "rejected")
DOCUMENT_KINDS = ("licence", "contract", "certificate", "other")
PO_STATUSES = ("draft", "submitted", "approved", "sent", "confirmed", "shipped", "partially_received", "received",
               "closed", "cancelled")
LINE_STATUSES = ("open", "confirmed", "rejected")
ASN_STATUSES = ("shipped", "received", "cancelled")
INVOICE_STATUSES = ("unpaid", "partially_paid", "paid", "disputed")
MATCH_STATUSES = ("pending", "matched", "exception", "accepted")
PAYMENT_METHODS = ("bank_transfer", "cash", "other")
SUGGESTION_STATUSES = ("open", "ordered", "dismissed")


class PurchasingSettings(db.Model):
    """One row per store: how purchasing works here."""

    __tablename__ = "purchasing_settings"
    __table_args__ = tenant_args(CheckConstraint(
        "approval_threshold >= 0 AND over_tolerance_pct BETWEEN 0 AND 100 AND under_tolerance_pct BETWEEN 0 AND 100 "
        "AND velocity_days BETWEEN 1 AND 365 AND cover_days BETWEEN 0 AND 365 AND default_tax_rate BETWEEN 0 AND 10000",
        name="ranges"),
        CheckConstraint("price_tolerance_pct BETWEEN 0 AND 100 AND quantity_tolerance_pct BETWEEN 0 AND 100",
                        name="match_ranges"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    open_to_applications: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_threshold: Mapped[int] = mapped_column(BigInteger, default=500000)   # POs above need approval
    over_tolerance_pct: Mapped[int] = mapped_column(Integer, default=5)
    under_tolerance_pct: Mapped[int] = mapped_column(Integer, default=5)
    velocity_days: Mapped[int] = mapped_column(Integer, default=30)    # average daily sales over this window
    cover_days: Mapped[int] = mapped_column(Integer, default=14)       # days of sales bought beyond the lead time
    default_tax_rate: Mapped[int] = mapped_column(Integer, default=1300)
    # the three-way match: an invoice may bill this much above the PO price / the quantity received
    price_tolerance_pct: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    quantity_tolerance_pct: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Supplier(CreatedAt, db.Model):
    __tablename__ = "suppliers"
    __table_args__ = tenant_args(
        Index("uq_suppliers_code", text("lower(code)"), unique=True),
        Index("uq_suppliers_account", "account_id", unique=True, postgresql_where=text("account_id IS NOT NULL")),
        CheckConstraint(f"status IN {SUPPLIER_STATUSES}", name="status"),
        CheckConstraint("rating BETWEEN 0 AND 5 AND lead_time_days >= 0", name="values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), default="")    # 统一社会信用代码
    status: Mapped[str] = mapped_column(String(16), default="active")
    rating: Mapped[int] = mapped_column(Integer, default=0)
    categories: Mapped[list] = mapped_column(ARRAY(String(80)), default=list)
    email: Mapped[str] = mapped_column(String(254), default="")          # where purchase orders go
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    bank_name: Mapped[str] = mapped_column(String(120), default="")
    bank_account: Mapped[str] = mapped_column(String(40), default="")
    bank_holder: Mapped[str] = mapped_column(String(200), default="")
    lead_time_days: Mapped[int] = mapped_column(Integer, default=7)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")  # a matched invoice is due then
    account_id: Mapped[int | None] = mapped_column(Integer)             # the platform's supplier account (by id)

    contacts: Mapped[list["SupplierContact"]] = relationship(back_populates="supplier", order_by="SupplierContact.id",
                                                             cascade="all, delete-orphan")


class SupplierContact(db.Model):
    __tablename__ = "supplier_contacts"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    supplier: Mapped[Supplier] = relationship(back_populates="contacts")


class SupplierDocument(CreatedAt, db.Model):
    """A file kept about a supplier: business licence, contract, certificate."""

    __tablename__ = "supplier_documents"
    __table_args__ = tenant_args(CheckConstraint(f"kind IN {DOCUMENT_KINDS}", name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")
    filename: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date)
    uploaded_by: Mapped[str] = mapped_column(String(254), default="system")


class SupplierNote(CreatedAt, db.Model):
    __tablename__ = "supplier_notes"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(254), default="system")


class SupplierInvitation(CreatedAt, db.Model):
    """The store invited this email to apply as a supplier."""

    __tablename__ = "supplier_invitations"
    __table_args__ = tenant_args(Index("uq_supplier_invitations_email", text("lower(email)"), unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    invited_by: Mapped[str] = mapped_column(String(254), default="system")


class SupplierApplication(CreatedAt, db.Model):
    """A supplier account asking to supply this store, with what the store needs to decide."""

    __tablename__ = "supplier_applications"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {APPLICATION_STATUSES}", name="status"),
        Index("uq_supplier_applications_pending", "account_id", unique=True, postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    company: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    bank_name: Mapped[str] = mapped_column(String(120), default="")
    bank_account: Mapped[str] = mapped_column(String(40), default="")
    bank_holder: Mapped[str] = mapped_column(String(200), default="")
    categories: Mapped[list] = mapped_column(ARRAY(String(80)), default=list)
    files: Mapped[list] = mapped_column(JSONB, default=list)           # [{"key", "filename", "size"}]
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(254), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.suppliers.id"))

    @property
    def undecided(self) -> bool:
        return self.status == "pending"

    @property
    def is_rejected(self) -> bool:
        return self.status == "rejected"


class SupplierSku(CreatedAt, db.Model):
    """What one supplier supplies of one SKU, at what price and in what quantities."""

    __tablename__ = "supplier_skus"
    __table_args__ = tenant_args(
        UniqueConstraint("supplier_id", "sku_id"),
        Index("uq_supplier_skus_preferred", "sku_id", unique=True, postgresql_where=text("preferred")),
        CheckConstraint("price >= 0 AND moq >= 1 AND pack_size >= 1 AND lead_time_days >= 0", name="values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.skus.id", ondelete="CASCADE"), index=True)
    supplier_code: Mapped[str] = mapped_column(String(64), default="")
    price: Mapped[int] = mapped_column(BigInteger, default=0)           # excluding tax
    moq: Mapped[int] = mapped_column(Integer, default=1)
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=7)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)

    supplier: Mapped[Supplier] = relationship(lazy="joined")


class SupplierPrice(db.Model):
    """The price history of a supplier SKU: one row per price it had."""

    __tablename__ = "supplier_prices"
    __table_args__ = tenant_args(Index("ix_supplier_prices_link_at", "supplier_sku_id", "at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supplier_sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.supplier_skus.id", ondelete="CASCADE"))
    price: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(254), default="system")


class PurchaseOrder(CreatedAt, db.Model):
    __tablename__ = "purchase_orders"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {PO_STATUSES}", name="status"),
        Index("ix_purchase_orders_supplier_status", "supplier_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id"))
    warehouse_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(16), default="manual")    # manual | suggestion
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    lines: Mapped[list["PurchaseOrderLine"]] = relationship(back_populates="order", order_by="PurchaseOrderLine.id",
                                                            cascade="all, delete-orphan")

    # what may be done with it now (pages and services ask these, never the status)
    @property
    def editable(self) -> bool:
        """Lines may be added and removed (a draft)."""
        return self.status == "draft"

    @property
    def awaiting_approval(self) -> bool:
        return self.status == "submitted"

    @property
    def awaiting_answer(self) -> bool:
        """Sent: the supplier confirms or rejects its lines."""
        return self.status == "sent"

    @property
    def receivable_without_notice(self) -> bool:
        return self.status in ("confirmed", "shipped", "partially_received")

    @property
    def returnable(self) -> bool:
        """Goods were received, so some may go back to the supplier."""
        return self.status in ("partially_received", "received", "closed")

    @property
    def invoiceable(self) -> bool:
        """Staff may enter a supplier invoice against it (it went to the supplier and stands)."""
        return self.status not in ("draft", "submitted", "approved", "cancelled")

    @property
    def supplier_may_invoice(self) -> bool:
        """The supplier may send an invoice through the portal (it answered and it stands)."""
        return self.invoiceable and self.status != "sent"

    @property
    def closable(self) -> bool:
        return self.status in ("partially_received", "received")

    @property
    def closing_needs_reason(self) -> bool:
        """Closing before everything arrived says why (what is missing will not come)."""
        return self.status == "partially_received"


class PurchaseOrderLine(db.Model):
    __tablename__ = "purchase_order_lines"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {LINE_STATUSES}", name="status"),
        CheckConstraint("quantity > 0 AND unit_price >= 0 AND tax_rate BETWEEN 0 AND 10000 AND confirmed >= 0 "
                        "AND shipped >= 0 AND received >= 0 AND rejected >= 0 AND returned >= 0 AND billed >= 0",
                        name="quantities"),
        UniqueConstraint("order_id", "sku_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.purchase_orders.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(Integer)       # by id: an ordered SKU stays on the PO's record
    sku_code: Mapped[str] = mapped_column(String(64), default="")
    supplier_code: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger, default=0)       # excluding tax
    tax_rate: Mapped[int] = mapped_column(Integer, default=1300)
    status: Mapped[str] = mapped_column(String(16), default="open")
    confirmed: Mapped[int] = mapped_column(Integer, default=0)          # what the supplier will deliver
    confirmed_date: Mapped[date | None] = mapped_column(Date)
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)           # accepted into stock
    rejected: Mapped[int] = mapped_column(Integer, default=0)           # refused at the quality check
    returned: Mapped[int] = mapped_column(Integer, default=0)           # sent back after receipt
    billed: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"

    @property
    def is_rejected(self) -> bool:
        return self.status == "rejected"

    @property
    def awaiting_answer(self) -> bool:
        return self.status == "open"

    @property
    def returnable_quantity(self) -> int:
        """What was received into stock and not sent back yet."""
        return self.received - self.returned

    @property
    def open_quantity(self) -> int:
        """What is still expected: the confirmed (or ordered) quantity less what arrived."""
        if self.is_rejected:
            return 0
        planned = self.confirmed if self.is_confirmed else self.quantity
        return max(0, planned - self.received - self.rejected)


class PurchaseOrderEvent(TimelineEntry, db.Model):
    __tablename__ = "purchase_order_events"
    __table_args__ = tenant_args()
    owner_key = "order_id"

    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.purchase_orders.id", ondelete="CASCADE"), index=True)


class Asn(CreatedAt, db.Model):
    """An advance shipping notice (发货通知/ASN): what a supplier shipped, from one or more POs."""

    __tablename__ = "asns"
    __table_args__ = tenant_args(CheckConstraint(f"status IN {ASN_STATUSES}", name="status"),
                                 Index("ix_asns_supplier_status", "supplier_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id"))
    warehouse_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="shipped")
    ship_date: Mapped[date] = mapped_column(Date)
    carrier: Mapped[str] = mapped_column(String(80), default="")
    waybill: Mapped[str] = mapped_column(String(60), default="")
    boxes: Mapped[int] = mapped_column(Integer, default=1)
    inbound_number: Mapped[str] = mapped_column(String(20), default="")
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")
    by_store: Mapped[bool] = mapped_column(Boolean, default=False)      # received from a PO without a notice
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_time: Mapped[bool | None] = mapped_column(Boolean)

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    lines: Mapped[list["AsnLine"]] = relationship(back_populates="asn", order_by="AsnLine.id",
                                                  cascade="all, delete-orphan")

    @property
    def in_transit(self) -> bool:
        """Shipped and not received yet: the warehouse may receive it."""
        return self.status == "shipped"

    @property
    def is_received(self) -> bool:
        return self.status == "received"


class AsnLine(db.Model):
    __tablename__ = "asn_lines"
    __table_args__ = tenant_args(CheckConstraint("quantity > 0 AND received >= 0 AND rejected >= 0", name="quantities"),
                                 UniqueConstraint("asn_id", "po_line_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("tenant.asns.id", ondelete="CASCADE"))
    po_line_id: Mapped[int] = mapped_column(ForeignKey("tenant.purchase_order_lines.id"), index=True)
    sku_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)

    asn: Mapped[Asn] = relationship(back_populates="lines")
    po_line: Mapped[PurchaseOrderLine] = relationship(lazy="joined")


class SupplierReturn(CreatedAt, db.Model):
    """Goods sent back to a supplier (an inventory outbound) and the debit note for them."""

    __tablename__ = "supplier_returns"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)         # the debit note's number
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.purchase_orders.id"), index=True)
    outbound_number: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(String(500))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)           # tax included
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    lines: Mapped[list] = mapped_column(JSONB, default=list)            # [{"po_line_id","sku_code","quantity","amount"}]
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    order: Mapped[PurchaseOrder] = relationship(lazy="joined")


class SupplierInvoice(CreatedAt, db.Model):
    __tablename__ = "supplier_invoices"
    __table_args__ = tenant_args(CheckConstraint(f"status IN {INVOICE_STATUSES}", name="status"),
                                 CheckConstraint(f"match_status IN {MATCH_STATUSES}", name="match_status"),
                                 CheckConstraint("paid_amount BETWEEN 0 AND total", name="paid"),
                                 UniqueConstraint("supplier_id", "number"),
                                 Index("ix_supplier_invoices_due", "status", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.purchase_orders.id"), index=True)
    invoice_date: Mapped[date] = mapped_column(Date)
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16), default="unpaid")
    file_key: Mapped[str] = mapped_column(String(300), default="")
    lines: Mapped[list] = mapped_column(JSONB, default=list)            # [{"po_line_id","quantity","unit_price","tax_rate"}]
    source: Mapped[str] = mapped_column(String(16), default="staff")     # staff | portal
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the three-way match against the PO (price) and the receipts (quantity)
    match_status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    match_findings: Mapped[list] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    match_note: Mapped[str] = mapped_column(String(300), default="", server_default="")   # why an exception was accepted
    matched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date | None] = mapped_column(Date)
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    order: Mapped[PurchaseOrder] = relationship(lazy="joined")

    @property
    def outstanding(self) -> int:
        return self.total - self.paid_amount

    @property
    def payable(self) -> bool:
        """Matched (or its exception accepted) and not paid in full."""
        return self.match_status in ("matched", "accepted") and self.outstanding > 0


class SupplierPayment(CreatedAt, db.Model):
    """Money paid to a supplier (付款单), allocated to its matched invoices."""

    __tablename__ = "supplier_payments"
    __table_args__ = tenant_args(CheckConstraint("amount > 0", name="amount"),
                                 CheckConstraint(f"method IN {PAYMENT_METHODS}", name="method"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16), default="bank_transfer")
    reference: Mapped[str] = mapped_column(String(80), default="")      # the bank's transaction number
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    allocations: Mapped[list["SupplierPaymentAllocation"]] = relationship(
        back_populates="payment", order_by="SupplierPaymentAllocation.id", cascade="all, delete-orphan")


class SupplierPaymentAllocation(db.Model):
    """What one payment pays of one invoice (the ledger row beside the invoice's paid amount)."""

    __tablename__ = "supplier_payment_allocations"
    __table_args__ = tenant_args(CheckConstraint("amount > 0", name="amount"), UniqueConstraint("payment_id", "invoice_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("tenant.supplier_payments.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("tenant.supplier_invoices.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    payment: Mapped[SupplierPayment] = relationship(back_populates="allocations")
    invoice: Mapped[SupplierInvoice] = relationship(lazy="joined")


class Suggestion(CreatedAt, db.Model):
    """A replenishment suggestion for one SKU in one warehouse, with the numbers it used."""

    __tablename__ = "replenishment_suggestions"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {SUGGESTION_STATUSES}", name="status"),
        Index("uq_replenishment_suggestions_open", "sku_id", "warehouse_id", unique=True,
              postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.skus.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.suppliers.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    numbers: Mapped[dict] = mapped_column(JSONB, default=dict)
    trigger: Mapped[str] = mapped_column(String(16), default="nightly")   # nightly | stock_low | manual
    order_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.purchase_orders.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier | None] = relationship(lazy="joined")


class SupplierScore(db.Model):
    """A supplier's scorecard as computed one night (rates in basis points of 1)."""

    __tablename__ = "supplier_scores"
    __table_args__ = tenant_args(Index("ix_supplier_scores_supplier_at", "supplier_id", "computed_at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("tenant.suppliers.id", ondelete="CASCADE"))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    window_days: Mapped[int] = mapped_column(Integer, default=90)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    on_time_rate: Mapped[int | None] = mapped_column(Integer)
    fill_rate: Mapped[int | None] = mapped_column(Integer)
    defect_rate: Mapped[int | None] = mapped_column(Integer)
    price_trend: Mapped[int | None] = mapped_column(Integer)           # change of prices over the window, bp
