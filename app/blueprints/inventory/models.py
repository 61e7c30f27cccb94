"""Inventory tables (库存): warehouses, locations, stock levels, the stock ledger and
reservations. Every change to a level is one conditional UPDATE plus one ledger row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
from app.extensions import db

WAREHOUSE_KINDS = ("own", "third_party", "pickup")
MOVEMENT_KINDS = ("receipt", "shipment", "adjustment", "transfer_out", "transfer_in", "stocktake_gain",
                  "stocktake_loss", "reservation", "release", "return")
RESERVATION_STATUSES = ("active", "released", "committed", "expired")


class Warehouse(CreatedAt, db.Model):
    __tablename__ = "warehouses"
    __table_args__ = tenant_args(
        Index("uq_warehouses_code", text("lower(code)"), unique=True),
        CheckConstraint(f"kind IN {WAREHOUSE_KINDS}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16), default="own")
    address: Mapped[str] = mapped_column(String(300), default="")
    priority: Mapped[int] = mapped_column(Integer, default=100)     # lower ships first
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")  # GB/T 2260 code (routing to the nearest)


class Location(CreatedAt, db.Model):
    """A bin: zone / aisle / shelf / bin, coded like A-01-02-03."""

    __tablename__ = "locations"
    __table_args__ = tenant_args(UniqueConstraint("warehouse_id", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("tenant.warehouses.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    zone: Mapped[str] = mapped_column(String(10), default="")
    aisle: Mapped[str] = mapped_column(String(10), default="")
    shelf: Mapped[str] = mapped_column(String(10), default="")
    bin: Mapped[str] = mapped_column(String(10), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StockLevel(db.Model):
    __tablename__ = "stock_levels"
    __table_args__ = tenant_args(
        UniqueConstraint("sku_id", "warehouse_id"),
        CheckConstraint("on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand", name="never_negative"),
        CheckConstraint("safety_stock >= 0 AND reorder_point >= 0 AND incoming >= 0", name="thresholds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("tenant.warehouses.id"), index=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    incoming: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    low: Mapped[bool] = mapped_column(Boolean, default=False)      # below the reorder point since the last crossing

    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
    sku = relationship("Sku", lazy="raise")   # load it explicitly (the stock list joins it)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(db.Model):
    """The stock ledger: one row per change, with the balances before and after."""

    __tablename__ = "stock_movements"
    __table_args__ = tenant_args(
        CheckConstraint(f"kind IN {MOVEMENT_KINDS}", name="kind"),
        Index("ix_stock_movements_sku_wh", "sku_id", "warehouse_id", "id"),
        Index("ix_stock_movements_document", "document_type", "document_ref"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku_id: Mapped[int] = mapped_column(Integer)
    warehouse_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    on_hand_change: Mapped[int] = mapped_column(Integer, default=0)
    reserved_change: Mapped[int] = mapped_column(Integer, default=0)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reserved_after: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str] = mapped_column(String(30))
    document_ref: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(String(300), default="")
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    # read-only, for the ledger list (which joins them); the ledger keeps plain ids
    sku = relationship("Sku", primaryjoin="foreign(StockMovement.sku_id) == Sku.id", viewonly=True, lazy="raise")
    warehouse = relationship(Warehouse, primaryjoin="foreign(StockMovement.warehouse_id) == Warehouse.id",
                             viewonly=True, lazy="raise")

    @property
    def on_hand_before(self) -> int:
        return self.on_hand_after - self.on_hand_change

    @property
    def reserved_before(self) -> int:
        return self.reserved_after - self.reserved_change


class Reservation(CreatedAt, db.Model):
    __tablename__ = "reservations"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {RESERVATION_STATUSES}", name="status"),
        Index("ix_reservations_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # [{"sku_id", "warehouse_id", "quantity", "committed"}]: "committed" counts what shipped already
    lines: Mapped[list] = mapped_column(JSONB, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LedgerCheck(db.Model):
    """The result of each ledger verification (the periodic job and the button)."""

    __tablename__ = "ledger_checks"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    levels: Mapped[int] = mapped_column(Integer, default=0)
    drift: Mapped[list] = mapped_column(JSONB, default=list)


DOCUMENT_TYPES = ("inbound", "outbound", "transfer", "stocktake")


class StockDocument(CreatedAt, db.Model):
    """A warehouse document: inbound order (入库单), outbound order (出库单), transfer or
    stocktake (盘点). Its status moves through the machine of its type (documents.py)."""

    __tablename__ = "stock_documents"
    __table_args__ = tenant_args(CheckConstraint(f"doc_type IN {DOCUMENT_TYPES}", name="doc_type"),
                                 Index("ix_stock_documents_type_status", "doc_type", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    doc_type: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("tenant.warehouses.id"), index=True)
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.warehouses.id"))
    reference: Mapped[str] = mapped_column(String(80), default="")
    # a sales outbound of a delivery notice ships its part of this order reservation (dispatch)
    reservation_ref: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    category_id: Mapped[int | None] = mapped_column(Integer)
    # a purchase inbound: what it receives, by id (purchasing's rows are not this center's)
    purchase_order_id: Mapped[int | None] = mapped_column(Integer)
    supplier_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str] = mapped_column(String(254), default="system")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id], lazy="joined")
    to_warehouse: Mapped[Warehouse | None] = relationship(foreign_keys=[to_warehouse_id], lazy="joined")
    lines: Mapped[list["StockDocumentLine"]] = relationship(back_populates="document", order_by="StockDocumentLine.id",
                                                            cascade="all, delete-orphan")


class StockDocumentLine(db.Model):
    __tablename__ = "stock_document_lines"
    __table_args__ = tenant_args(CheckConstraint("quantity >= 0 AND done >= 0", name="quantities"),
                                 UniqueConstraint("document_id", "sku_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("tenant.stock_documents.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.skus.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)     # expected / planned / book quantity
    done: Mapped[int] = mapped_column(Integer, default=0)         # received / picked / counted
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str] = mapped_column(String(40), default="") # put-away or pick bin
    unit_cost: Mapped[int | None] = mapped_column(BigInteger)    # a purchase line's price (minor units, excl. tax)

    document: Mapped[StockDocument] = relationship(back_populates="lines")
    sku = relationship("Sku", lazy="joined")


class StockDocumentEvent(TimelineEntry, db.Model):
    """A warehouse document's timeline: created, lines added, goods received, every status change."""

    __tablename__ = "stock_document_events"
    __table_args__ = tenant_args()
    owner_key = "document_id"

    document_id: Mapped[int] = mapped_column(ForeignKey("tenant.stock_documents.id", ondelete="CASCADE"), index=True)
