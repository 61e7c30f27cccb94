"""Logistics center tables (物流中心): the store's carrier accounts, shipments handed to carriers,
their tracking events (normalised, with the carrier's raw record) and every push as received."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
from app.extensions import db

# a shipment: handed over and waiting for the first scan, then what its newest tracking event says
SHIPMENT_STATUSES = ("awaiting_pickup", "in_transit", "out_for_delivery", "signed", "exception", "returned")
# a tracking event, normalised from whatever the carrier calls it
TRACKING_STATUSES = ("in_transit", "out_for_delivery", "signed", "exception", "returned")
FLAGS = ("stale", "returned", "exception")
TRACKING_SERVICE = "kuaidi100"      # the account row of the tracking service itself (not a carrier)


class CarrierAccount(db.Model):
    """A store's account with a carrier (monthly account for electronic waybills) or with the
    tracking service (`kuaidi100`: key, customer, signing salt). Secrets sealed at rest."""

    __tablename__ = "carrier_accounts"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier: Mapped[str] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict] = mapped_column(JSONB, default=dict)      # non-secret: customer, partner id, branch
    sealed: Mapped[str] = mapped_column(Text, default="")            # secrets, sealed (app.core.secrets)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LogisticsSettings(db.Model):
    """One row: when a shipment without movement is flagged for staff; whether the store ships
    to other countries (their addresses are free-form; the mainland's keep the region cascade)."""

    __tablename__ = "logistics_settings"
    __table_args__ = tenant_args(CheckConstraint("id = 1", name="single"),
                                 CheckConstraint("stale_hours BETWEEN 1 AND 720", name="stale_hours"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    stale_hours: Mapped[int] = mapped_column(Integer, default=72)
    default_carrier: Mapped[str | None] = mapped_column(String(32))
    ships_abroad: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class Shipment(CreatedAt, db.Model):
    """One parcel handed to a carrier: made from a shipped delivery notice, once per notice."""

    __tablename__ = "shipments"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {SHIPMENT_STATUSES}", name="status"),
        CheckConstraint(f"flag IS NULL OR flag IN {FLAGS}", name="flag"),
        UniqueConstraint("carrier_code", "waybill_no", name="uq_shipments_waybill"),
        Index("ix_shipments_status_created", "status", "created_at"),
        Index("ix_shipments_open_activity", "status", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    notice_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)   # dispatch's delivery notice
    notice_number: Mapped[str] = mapped_column(String(32), default="")
    order_id: Mapped[int] = mapped_column(ForeignKey("tenant.orders.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(24))
    warehouse_id: Mapped[int | None] = mapped_column(Integer)
    outbound_number: Mapped[str] = mapped_column(String(32), default="")
    carrier_code: Mapped[str] = mapped_column(String(32))
    waybill_no: Mapped[str] = mapped_column(String(40))
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    lines: Mapped[list] = mapped_column(JSONB, default=list)        # [{order_line_id, sku_id, quantity}]
    status: Mapped[str] = mapped_column(String(20), default="awaiting_pickup")
    subscription: Mapped[str] = mapped_column(String(16), default="pending")   # pending | subscribed | failed | none
    subscription_error: Mapped[str | None] = mapped_column(String(300))
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))    # the carrier's time
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # last movement
    last_queried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flag: Mapped[str | None] = mapped_column(String(16))            # needs staff: stale | returned | exception
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # a parcel a shopper sends back: the after-sales request it belongs to (not one of the order's deliveries)
    return_of: Mapped[str | None] = mapped_column(String(24), index=True)


class ShipmentEvent(TimelineEntry, db.Model):
    """The shipment's own timeline (SHIPMENT_STATES writes it): state changes, flags, who cleared them."""

    __tablename__ = "shipment_events"
    __table_args__ = tenant_args()
    owner_key = "shipment_id"

    shipment_id: Mapped[int] = mapped_column(ForeignKey("tenant.shipments.id", ondelete="CASCADE"), index=True)


class TrackingEvent(db.Model):
    """One scan as the carrier reported it: once per (shipment, time, status)."""

    __tablename__ = "tracking_events"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {TRACKING_STATUSES}", name="status"),
        UniqueConstraint("shipment_id", "at", "status", name="uq_tracking_events_once"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("tenant.shipments.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))          # when the carrier says it happened
    status: Mapped[str] = mapped_column(String(20))
    carrier_status: Mapped[str] = mapped_column(String(40), default="")    # the carrier's own word or code
    description: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    raw: Mapped[dict] = mapped_column(JSONB, default=dict)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrackingPush(db.Model):
    """Every push and query answer as received, verified or not, and what came of it."""

    __tablename__ = "tracking_pushes"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shipment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    source: Mapped[str] = mapped_column(String(16), default="push")      # push | query
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(40))     # applied | duplicate | bad_signature | unknown_waybill | ...
    new_events: Mapped[int] = mapped_column(Integer, default=0)
