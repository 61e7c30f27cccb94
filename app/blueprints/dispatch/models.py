"""Dispatch tables (调度中心): delivery notices (发货通知单) with their lines and timeline,
picking waves, and the store's dispatch settings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args
from app.core.timeline import TimelineEntry
from app.extensions import db

STRATEGIES = ("priority", "single", "nearest", "split")
NOTICE_STATUSES = ("pending", "held", "picking", "packed", "shipped", "cancelled")
WAVE_STATUSES = ("picking", "done", "cancelled")


class DispatchSettings(db.Model):
    """One row per store: how notices are routed and who sends the parcels."""

    __tablename__ = "dispatch_settings"
    __table_args__ = tenant_args(CheckConstraint(f"strategy IN {STRATEGIES}", name="strategy"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16), default="priority")
    default_carrier: Mapped[str] = mapped_column(String(32), default="")
    sender_name: Mapped[str] = mapped_column(String(80), default="")
    sender_phone: Mapped[str] = mapped_column(String(40), default="")
    sender_address: Mapped[str] = mapped_column(String(300), default="")


class Wave(CreatedAt, db.Model):
    """A picking wave (波次): many notices of one warehouse picked from one list."""

    __tablename__ = "dispatch_waves"
    __table_args__ = tenant_args(CheckConstraint(f"status IN {WAVE_STATUSES}", name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    warehouse_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(16), default="picking")
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def picking(self) -> bool:
        """Still being picked: its waybills may be printed."""
        return self.status == "picking"


class DeliveryNotice(CreatedAt, db.Model):
    """What one warehouse ships for one order: part `part` of the order's routing."""

    __tablename__ = "delivery_notices"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {NOTICE_STATUSES}", name="status"),
        UniqueConstraint("order_id", "part"),
        Index("ix_delivery_notices_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    part: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    warehouse_id: Mapped[int] = mapped_column(Integer, index=True)
    strategy: Mapped[str] = mapped_column(String(16), default="priority")
    hold_reason: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[dict] = mapped_column(JSONB, default=dict)          # snapshot of the order's address
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.dispatch_waves.id"), index=True)
    outbound_number: Mapped[str] = mapped_column(String(20), default="")
    carrier_code: Mapped[str] = mapped_column(String(32), default="")
    waybill_no: Mapped[str] = mapped_column(String(40), default="")
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    packed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list["DeliveryNoticeLine"]] = relationship(back_populates="notice", order_by="DeliveryNoticeLine.id",
                                                             cascade="all, delete-orphan")
    wave: Mapped[Wave | None] = relationship(lazy="joined")

    @property
    def open(self) -> bool:
        """Still to ship: not shipped and not cancelled."""
        return self.status not in ("shipped", "cancelled")

    @property
    def reroutable(self) -> bool:
        """It may ship from another warehouse: nobody has started picking it."""
        return self.status in ("pending", "held")

    @property
    def held(self) -> bool:
        return self.status == "held"

    @property
    def is_packed(self) -> bool:
        """Packed and waiting for the carrier."""
        return self.status == "packed"

    @property
    def packable(self) -> bool:
        """Waiting to pick or being picked (a held notice is not worked on)."""
        return self.status in ("pending", "picking")


class DeliveryNoticeLine(db.Model):
    __tablename__ = "delivery_notice_lines"
    __table_args__ = tenant_args(CheckConstraint("quantity > 0", name="quantity"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("tenant.delivery_notices.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(Integer)
    sku_code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)

    notice: Mapped[DeliveryNotice] = relationship(back_populates="lines")


class NoticeEvent(TimelineEntry, db.Model):
    """A delivery notice's timeline: routed, held, re-routed, waved, packed, shipped, intercepted."""

    __tablename__ = "delivery_notice_events"
    __table_args__ = tenant_args()
    owner_key = "notice_id"

    notice_id: Mapped[int] = mapped_column(ForeignKey("tenant.delivery_notices.id", ondelete="CASCADE"), index=True)


from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import column_property  # noqa: E402

# how many notices a wave picks (the wave list shows it without a query per row)
Wave.notice_count = column_property(select(func.count(DeliveryNotice.id)).where(DeliveryNotice.wave_id == Wave.id)
                                    .correlate_except(DeliveryNotice).scalar_subquery())
