"""Cross-border tables (跨境): the store's customs registration (a store sells cross-border
when it is on) and one customs declaration per cross-border order: the payer (订购人 and
支付人, one person), the dutiable value, the tax assessed at checkout and the lines' customs
data as they were when the order was placed. The identity number is sealed; a keyed hash of
it finds the payer's orders of the year for the ¥26,000 limit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt, tenant_args
from app.extensions import db

REGIMES = ("cross_border", "general_trade")


class CrossBorderSettings(db.Model):
    """One row per store: whether it sells cross-border, and the customs registration codes
    (海关注册登记编号) its declarations carry."""

    __tablename__ = "crossborder_settings"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    ebp_code: Mapped[str] = mapped_column(String(18), default="")          # e-commerce platform
    ebp_name: Mapped[str] = mapped_column(String(100), default="")
    ebc_code: Mapped[str] = mapped_column(String(18), default="")          # e-commerce enterprise
    ebc_name: Mapped[str] = mapped_column(String(100), default="")
    pay_code: Mapped[str] = mapped_column(String(18), default="")          # payment enterprise
    pay_name: Mapped[str] = mapped_column(String(100), default="")
    logistics_code: Mapped[str] = mapped_column(String(18), default="")    # logistics enterprise
    logistics_name: Mapped[str] = mapped_column(String(100), default="")
    dxp_id: Mapped[str] = mapped_column(String(30), default="")            # the sender's data exchange id


class CustomsDeclaration(CreatedAt, db.Model):
    __tablename__ = "customs_declarations"
    __table_args__ = tenant_args(
        CheckConstraint(f"regime IN {REGIMES}", name="regime"),
        CheckConstraint("dutiable >= 0 AND duty >= 0 AND consumption_tax >= 0 AND vat >= 0 AND tax_total >= 0",
                        name="amounts"),
        Index("ix_customs_declarations_payer_year", "payer_key", "year"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, unique=True)          # the order center's order, by id
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    payer_name: Mapped[str] = mapped_column(String(60))
    payer_id_sealed: Mapped[str] = mapped_column(Text)                      # the identity number, sealed
    payer_id_masked: Mapped[str] = mapped_column(String(24))                # 110105********002X
    payer_key: Mapped[str] = mapped_column(String(64))                      # keyed hash of the number
    payer_phone: Mapped[str] = mapped_column(String(30), default="")
    year: Mapped[int] = mapped_column(Integer)                              # calendar year (store time) it counts in
    regime: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16), default="")
    dutiable: Mapped[int] = mapped_column(BigInteger)
    year_before: Mapped[int] = mapped_column(BigInteger, default=0)
    duty: Mapped[int] = mapped_column(BigInteger, default=0)
    consumption_tax: Mapped[int] = mapped_column(BigInteger, default=0)
    vat: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[list] = mapped_column(JSONB, default=list)               # per line: sku, customs data, base, taxes
    void: Mapped[bool] = mapped_column(Boolean, default=False)             # the order was cancelled or closed
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
