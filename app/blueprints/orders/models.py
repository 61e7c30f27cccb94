"""Order center tables (订单中心): orders with snapshots, lines, the timeline and settings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args
from app.core.timeline import TimelineEntry
from app.extensions import db

ORDER_TYPES = ("normal", "flash_sale", "group_buy", "presale", "pickup", "wholesale")
ADDRESS_CHANGEABLE = ("pending_payment", "paid", "allocated")
AWAITING_SHIPMENT = ("paid", "allocated", "partially_shipped")
ORDER_STATUSES = ("pending_payment", "paid", "allocated", "partially_shipped", "shipped", "delivered", "completed",
                  "cancelled", "closed")


class OrderSettings(db.Model):
    """Per order type: payment timeout, automatic receipt confirmation, after-sales window,
    flat shipping fee (until logistics brings freight templates)."""

    __tablename__ = "order_settings"
    __table_args__ = tenant_args(CheckConstraint(f"order_type IN {ORDER_TYPES}", name="order_type"))

    order_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    payment_timeout_minutes: Mapped[int] = mapped_column(Integer, default=30)
    auto_confirm_days: Mapped[int] = mapped_column(Integer, default=10)
    after_sales_days: Mapped[int] = mapped_column(Integer, default=7)
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    free_shipping_over: Mapped[int | None] = mapped_column(BigInteger)
    max_quantity_per_line: Mapped[int] = mapped_column(Integer, default=99)
    # shoppers may buy without an account and find the order again by its number and their phone
    guest_checkout: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class Order(CreatedAt, db.Model):
    __tablename__ = "orders"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="status"),
        CheckConstraint(f"order_type IN {ORDER_TYPES}", name="order_type"),
        CheckConstraint("goods_total >= 0 AND discount_total >= 0 AND shipping_fee >= 0 AND payable >= 0",
                        name="amounts"),
        CheckConstraint("tax_total >= 0", name="tax_total"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_payment_deadline", "status", "payment_deadline"),
        # an idempotency key belongs to one shopper (staff orders, with no shopper, share one scope)
        Index("uq_orders_shopper_idempotency_key", text("COALESCE(shopper_id, 0)"), text("idempotency_key"),
              unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    order_type: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="pending_payment")
    shopper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    shopper: Mapped[dict] = mapped_column(JSONB, default=dict)       # snapshot: name, email, phone
    address: Mapped[dict] = mapped_column(JSONB, default=dict)       # snapshot
    delivery_method: Mapped[str] = mapped_column(String(20), default="express")
    note: Mapped[str] = mapped_column(String(500), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    goods_total: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)     # cross-border tax collected with the order
    payable: Mapped[int] = mapped_column(BigInteger, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="storefront")    # storefront | api | staff
    payment_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_text: Mapped[str] = mapped_column(Text, default="")       # number, shopper, SKU codes, titles

    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                    cascade="all, delete-orphan")

    @property
    def reservation_ref(self) -> str:
        return f"order:{self.number}"

    @property
    def awaiting_payment(self) -> bool:
        return self.status == "pending_payment"

    @property
    def awaiting_shipment(self) -> bool:
        """Paid and not all gone yet: it ships from its delivery notices."""
        return self.status in AWAITING_SHIPMENT

    @property
    def address_changeable(self) -> bool:
        """The address can change until the goods leave."""
        return self.status in ADDRESS_CHANGEABLE


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = tenant_args(CheckConstraint("quantity > 0 AND unit_price >= 0 AND discount >= 0", name="values"),
                                 CheckConstraint("shipped_quantity >= 0 AND shipped_quantity <= quantity",
                                                 name="shipped"),
                                 CheckConstraint("cancelled_quantity >= 0 AND shipped_quantity + cancelled_quantity "
                                                 "<= quantity", name="cancelled"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(Integer, index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    sku_code: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict] = mapped_column(JSONB, default=dict)
    image: Mapped[str | None] = mapped_column(String(300))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)      # this line's share of all discounts
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)  # what left in parcels so far
    cancelled_quantity: Mapped[int] = mapped_column(Integer, default=0)  # refunded before shipment: never ships
    price_rule: Mapped[str] = mapped_column(String(120), default="")

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity - self.discount

    @property
    def to_ship(self) -> int:
        """Units still to leave: ordered, less shipped, less refunded before shipment."""
        return self.quantity - self.shipped_quantity - self.cancelled_quantity


class OrderEvent(TimelineEntry, db.Model):
    """The order's timeline: who, when, from, to, why (written by ORDER_STATES in services)."""

    __tablename__ = "order_events"
    __table_args__ = tenant_args()
    owner_key = "order_id"

    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.orders.id", ondelete="CASCADE"), index=True)
