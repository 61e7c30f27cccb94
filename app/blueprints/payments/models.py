"""Payment center tables (支付中心): one payment record per attempt and every raw notification."""
from __future__ import annotations

from datetime import datetime

from datetime import date

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
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
    gateway_trade_no: Mapped[str | None] = mapped_column(String(64), index=True)
    last_queried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flagged: Mapped[str | None] = mapped_column(String(300))           # needs a person: why
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))             # when we heard
    gateway_paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))     # the gateway's time

    @property
    def awaiting_gateway(self) -> bool:
        """Started and not answered yet: staff can ask the gateway now."""
        return self.status in ("created", "pending")


class PaymentEvent(TimelineEntry, db.Model):
    """The payment's timeline: every state change, who or what made it, and why (PAYMENT_STATES writes it)."""

    __tablename__ = "payment_events"
    __table_args__ = tenant_args()
    owner_key = "payment_id"

    payment_id: Mapped[int] = mapped_column(ForeignKey("tenant.payments.id", ondelete="CASCADE"), index=True)


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
    lines: Mapped[dict] = mapped_column(JSONB, default=dict)           # {order_line_id: {quantity, amount}}
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    gateway_refund_no: Mapped[str | None] = mapped_column(String(64), index=True)
    failure: Mapped[str | None] = mapped_column(String(300))
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))            # when we heard
    gateway_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))    # the gateway's time

    payment: Mapped[Payment] = relationship(lazy="raise_on_sql")

    @property
    def resendable(self) -> bool:
        """A refund the gateway has not answered can be sent again (same request id)."""
        return self.status == "pending"


class RefundEvent(TimelineEntry, db.Model):
    """The refund's timeline: requested, sent, what the gateway answered (REFUND_STATES writes it)."""

    __tablename__ = "refund_events"
    __table_args__ = tenant_args()
    owner_key = "refund_id"

    refund_id: Mapped[int] = mapped_column(ForeignKey("tenant.refunds.id", ondelete="CASCADE"), index=True)


class GatewayAccount(db.Model):
    """A store's account with one gateway: plain settings beside credentials sealed by
    app.core.secrets (never shown back in full)."""

    __tablename__ = "payment_gateways"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict] = mapped_column(JSONB, default=dict)
    sealed: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class PaymentOptions(db.Model):
    """Store-wide payment choices (one row)."""

    __tablename__ = "payment_options"
    __table_args__ = tenant_args(CheckConstraint("id = 1", name="single"),
                                 CheckConstraint("late_payment IN ('refund', 'flag')", name="late_payment"))

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    late_payment: Mapped[str] = mapped_column(String(10), default="flag")


class SandboxTrade(db.Model):
    """The sandbox gateway's own books (what a real gateway keeps on its side): what it
    took or paid back, and its notifications to the shop. Its daily statement comes from here."""

    __tablename__ = "sandbox_trades"
    __table_args__ = tenant_args(Index("ix_sandbox_trades_day", "happened_at"),
                                 Index("ix_sandbox_trades_reference", "reference"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))                  # payment | refund
    reference: Mapped[str] = mapped_column(String(64))             # out_trade_no / out_request_no
    trade_no: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))                # TRADE_SUCCESS | TRADE_FAILED | REFUND_SUCCESS
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


RECON_KINDS = ("missing_ours", "missing_gateway", "amount_mismatch")


class ReconciliationRun(db.Model):
    """One gateway's statement for one day, matched against our payments and refunds."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = tenant_args(UniqueConstraint("gateway", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="running")   # running | done | failed
    statement_rows: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    differences: Mapped[int] = mapped_column(Integer, default=0)
    gateway_total: Mapped[int] = mapped_column(BigInteger, default=0)
    our_total: Mapped[int] = mapped_column(BigInteger, default=0)
    # the gateway's fees of the day: kept on its payments less those given back on its refunds
    fee_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReconciliationItem(db.Model):
    """One difference between the statement and our books, open until staff resolve it."""

    __tablename__ = "reconciliation_items"
    __table_args__ = tenant_args(CheckConstraint(f"kind IN {RECON_KINDS}", name="kind"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("tenant.reconciliation_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    record: Mapped[str] = mapped_column(String(10))                 # payment | refund
    reference: Mapped[str] = mapped_column(String(64))
    trade_no: Mapped[str | None] = mapped_column(String(64))
    our_amount: Mapped[int | None] = mapped_column(BigInteger)
    gateway_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payment_id: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(Text)
