"""Freight templates (运费模板): how much delivery costs, by piece, weight or volume, per region.

A template has a default rule and per-region rules (first units at a first fee, each further
block of units at an additional fee), free-shipping conditions per region (goods amount or
number of pieces) and the regions it does not deliver to. Regions are GB/T 2260 codes of
provinces or cities (app.core.regions). Units are integers: pieces, grams or cubic centimetres;
fees are minor units of the store's currency. Products point at a template by id (catalog
keeps `freight_template_id`); one template is the store's default.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.extensions import db

BASES = ("piece", "weight", "volume")
FREE_KINDS = ("amount", "quantity")
_FEES = ("first_units > 0 AND first_fee >= 0 AND extra_units > 0 AND extra_fee >= 0")


class FreightTemplate(CreatedAt, db.Model):
    __tablename__ = "freight_templates"
    __table_args__ = tenant_args(
        CheckConstraint(f"basis IN {BASES}", name="basis"),
        CheckConstraint(_FEES, name="fees"),
        Index("uq_freight_templates_default", "is_default", unique=True, postgresql_where=text("is_default")),
        Index("uq_freight_templates_name", text("lower(name)"), unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    basis: Mapped[str] = mapped_column(String(8), default="piece")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # the default rule, for every region no rule names
    first_units: Mapped[int] = mapped_column(Integer, default=1)
    first_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    extra_units: Mapped[int] = mapped_column(Integer, default=1)
    extra_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    undeliverable: Mapped[list[str]] = mapped_column(ARRAY(String(6)), default=list)   # 不配送 regions
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    rules: Mapped[list["FreightRule"]] = relationship(order_by="FreightRule.position", cascade="all, delete-orphan",
                                                      lazy="selectin")
    free_rules: Mapped[list["FreeShippingRule"]] = relationship(order_by="FreeShippingRule.position",
                                                                cascade="all, delete-orphan", lazy="selectin")


class FreightRule(db.Model):
    """The fees for some regions (provinces or cities), instead of the template's default rule."""

    __tablename__ = "freight_rules"
    __table_args__ = tenant_args(CheckConstraint(_FEES, name="fees"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("tenant.freight_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(6)))
    first_units: Mapped[int] = mapped_column(Integer)
    first_fee: Mapped[int] = mapped_column(BigInteger)
    extra_units: Mapped[int] = mapped_column(Integer)
    extra_fee: Mapped[int] = mapped_column(BigInteger)


class FreeShippingRule(db.Model):
    """包邮: the template's lines ship free to these regions (all regions when empty) once their
    goods amount (minor units) or their number of pieces reaches `threshold`."""

    __tablename__ = "freight_free_rules"
    __table_args__ = tenant_args(CheckConstraint(f"kind IN {FREE_KINDS}", name="kind"),
                                 CheckConstraint("threshold >= 0", name="threshold"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("tenant.freight_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(6)), default=list)
    kind: Mapped[str] = mapped_column(String(8), default="amount")
    threshold: Mapped[int] = mapped_column(BigInteger)
