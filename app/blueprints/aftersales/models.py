"""After-sales tables (售后): requests per order with their lines, evidence images, per-unit
inspections of returned goods, the timeline, the store's reasons, rules and return addresses."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
from app.extensions import db

KINDS = ("refund_only", "return_refund", "exchange")
STATUSES = ("requested", "approved", "rejected", "escalated", "awaiting_return", "returned", "received", "inspected",
            "refunded", "exchange_shipped", "closed", "cancelled")
OUTCOMES = ("refunded", "exchanged", "rejected", "cancelled", "expired", "closed")
PAYERS = ("shopper", "store")
CONDITIONS = ("good", "damaged")
DISPOSITIONS = ("restock", "quarantine", "scrap")
SHIPPING_REFUNDS = ("never", "whole_order", "store_fault")


class AfterSalesSettings(db.Model):
    """One row per store: what is approved by itself, deadlines, shipping refunds."""

    __tablename__ = "aftersales_settings"
    __table_args__ = tenant_args(CheckConstraint("id = 1", name="single"),
                                 CheckConstraint(f"refund_shipping IN {SHIPPING_REFUNDS}", name="refund_shipping"),
                                 CheckConstraint("reply_hours BETWEEN 1 AND 720 AND ship_back_days BETWEEN 1 AND 60",
                                                 name="deadlines"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    auto_approve_unshipped: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_approve_under: Mapped[int | None] = mapped_column(BigInteger)       # minor units; None: never
    refund_shipping: Mapped[str] = mapped_column(String(16), default="whole_order")
    reply_hours: Mapped[int] = mapped_column(Integer, default=48)            # merchant silence -> approved
    ship_back_days: Mapped[int] = mapped_column(Integer, default=7)          # shopper silence -> closed
    quarantine_warehouse_id: Mapped[int | None] = mapped_column(Integer)     # damaged goods (not sold from)


class Reason(db.Model):
    """A reason a shopper picks (store-editable), and who pays the return shipping for it."""

    __tablename__ = "aftersales_reasons"
    __table_args__ = tenant_args(CheckConstraint(f"return_shipping_payer IN {PAYERS}", name="payer"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    return_shipping_payer: Mapped[str] = mapped_column(String(10), default="shopper")
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# every store starts with the usual reasons (staff edit them under After-sales › Reasons); the
# tenant migration that added the table inserts the same rows into stores that existed before
DEFAULT_REASONS = (("不想要了", "No longer wanted", "shopper"), ("尺码或颜色不合适", "Wrong size or colour", "shopper"),
                   ("商品质量问题", "Quality problem", "store"), ("与描述不符", "Not as described", "store"),
                   ("发错货或少发", "Wrong or missing item", "store"), ("商品损坏", "Arrived damaged", "store"))


def default_reason_rows() -> list[dict]:
    return [{"name": name, "name_en": name_en, "return_shipping_payer": payer, "position": position * 10,
             "active": True} for position, (name, name_en, payer) in enumerate(DEFAULT_REASONS, start=1)]


@event.listens_for(Reason.__table__, "after_create")
def _seed_reasons(table, connection, **kw) -> None:
    """A new store schema (created from the models, see app/core/schemas.py) gets the defaults."""
    connection.execute(table.insert(), default_reason_rows())


class ReturnAddress(db.Model):
    """Where shoppers send goods back to, per warehouse."""

    __tablename__ = "aftersales_return_addresses"
    __table_args__ = tenant_args()

    warehouse_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")


class RequestStage:
    """Where a request stands, asked by the pages instead of its status (the model and the
    shopper's snapshot both have `status` and `kind`)."""

    @property
    def awaiting_answer(self) -> bool:
        """The store has to answer: asked, or escalated after a refusal."""
        return self.status in ("requested", "escalated")

    @property
    def awaiting_return(self) -> bool:
        """Approved for a return: the shopper is to send the goods back."""
        return self.status == "awaiting_return"

    @property
    def goods_on_the_way(self) -> bool:
        """The goods are to come back or on their way (the return address still matters)."""
        return self.status in ("awaiting_return", "returned")

    @property
    def receivable(self) -> bool:
        """The warehouse may book the returned goods in (a refund only has no goods)."""
        return self.goods_on_the_way and self.kind != "refund_only"

    @property
    def awaiting_inspection(self) -> bool:
        return self.status == "received"

    @property
    def closable_after_refusal(self) -> bool:
        """Refused (or escalated after a refusal): staff may close it."""
        return self.status in ("rejected", "escalated")


class AfterSalesRequest(RequestStage, CreatedAt, db.Model):
    __tablename__ = "aftersales_requests"
    __table_args__ = tenant_args(
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES}", name="outcome"),
        CheckConstraint("amount >= 0 AND shipping_refund >= 0", name="amounts"),
        Index("ix_aftersales_requests_status_created", "status", "created_at"),
        Index("ix_aftersales_requests_reply_due", "status", "reply_due_at"),
        Index("ix_aftersales_requests_ship_back_due", "status", "ship_back_due_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    shopper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    shopper_name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(80), default="")          # the reason's words when asked
    return_shipping_payer: Mapped[str] = mapped_column(String(10), default="shopper")
    description: Mapped[str] = mapped_column(Text, default="")
    before_shipment: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount: Mapped[int] = mapped_column(BigInteger, default=0)           # goods to refund (paid share)
    shipping_refund: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)         # what the gateway paid back so far
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    return_warehouse_id: Mapped[int | None] = mapped_column(Integer)
    return_address: Mapped[str] = mapped_column(String(400), default="")
    return_carrier: Mapped[str] = mapped_column(String(32), default="")
    return_waybill: Mapped[str] = mapped_column(String(40), default="")
    return_shipment_id: Mapped[int | None] = mapped_column(BigInteger)
    return_inbound: Mapped[str] = mapped_column(String(20), default="")   # the WMS return inbound's number
    exchange_notice: Mapped[str] = mapped_column(String(40), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    reply_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ship_back_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list["RequestLine"]] = relationship(back_populates="request", order_by="RequestLine.id",
                                                      cascade="all, delete-orphan")
    evidence: Mapped[list["Evidence"]] = relationship(order_by="Evidence.id", cascade="all, delete-orphan")

    @property
    def total(self) -> int:
        return self.amount + self.shipping_refund


class RequestLine(db.Model):
    __tablename__ = "aftersales_request_lines"
    __table_args__ = tenant_args(CheckConstraint("quantity > 0 AND amount >= 0", name="values"),
                                 UniqueConstraint("request_id", "order_line_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("tenant.aftersales_requests.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(BigInteger, index=True)
    sku_id: Mapped[int] = mapped_column(Integer)
    sku_code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)           # this line's paid share of those units
    exchange_sku_id: Mapped[int | None] = mapped_column(Integer)
    exchange_sku_code: Mapped[str] = mapped_column(String(64), default="")

    request: Mapped[AfterSalesRequest] = relationship(back_populates="lines")


class Evidence(CreatedAt, db.Model):
    """A photo the shopper attached (served only to the store's staff and that shopper)."""

    __tablename__ = "aftersales_evidence"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("tenant.aftersales_requests.id", ondelete="CASCADE"),
                                            index=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    size: Mapped[int] = mapped_column(Integer)


class Inspection(CreatedAt, db.Model):
    """One returned unit as the warehouse found it; posted once to the stock ledger."""

    __tablename__ = "aftersales_inspections"
    __table_args__ = tenant_args(CheckConstraint(f"condition IN {CONDITIONS}", name="condition"),
                                 CheckConstraint(f"disposition IN {DISPOSITIONS}", name="disposition"),
                                 UniqueConstraint("request_line_id", "unit"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("tenant.aftersales_requests.id", ondelete="CASCADE"),
                                            index=True)
    request_line_id: Mapped[int] = mapped_column(ForeignKey("tenant.aftersales_request_lines.id",
                                                            ondelete="CASCADE"))
    unit: Mapped[int] = mapped_column(Integer)                           # 1..quantity of the line
    condition: Mapped[str] = mapped_column(String(10))
    disposition: Mapped[str] = mapped_column(String(12))
    warehouse_id: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    inspected_by: Mapped[str] = mapped_column(String(254), default="system")


class RequestEvent(TimelineEntry, db.Model):
    """The request's timeline: every step, who, when, why (REQUEST_STATES writes it)."""

    __tablename__ = "aftersales_events"
    __table_args__ = tenant_args()
    owner_key = "request_id"

    request_id: Mapped[int] = mapped_column(ForeignKey("tenant.aftersales_requests.id", ondelete="CASCADE"),
                                            index=True)
