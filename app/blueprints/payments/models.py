"""Payment center tables (支付中心): one payment record per attempt and every raw notification."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt, tenant_args, utcnow
from app.extensions import db

PAYMENT_STATUSES = ("created", "pending", "succeeded", "failed", "closed", "partially_refunded", "refunded")


class Payment(CreatedAt, db.Model):
    __tablename__ = "payments"
    __table_args__ = tenant_args(CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="status"),
                                 CheckConstraint("amount > 0", name="amount"),
                                 Index("ix_payments_order", "order_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)       # our trade number sent to the gateway
    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.orders.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    gateway: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default="created")
    gateway_trade_no: Mapped[str | None] = mapped_column(String(64))
    flagged: Mapped[str | None] = mapped_column(String(300))           # needs a person: why
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentNotification(db.Model):
    """Every notification as received, verified or not."""

    __tablename__ = "payment_notifications"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSONB, default=dict)
    outcome: Mapped[str] = mapped_column(String(40))    # applied | duplicate | bad_signature | amount_mismatch | ...


class Refund(CreatedAt, db.Model):
    __tablename__ = "refunds"
    __table_args__ = tenant_args(CheckConstraint("amount > 0", name="amount"),
                                 CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("tenant.payments.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)    # idempotency
    amount: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[dict] = mapped_column(JSONB, default=dict)           # {order_line_id: amount}
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
