"""Product center tables (商品中心): categories, brands, attribute templates, products (SPU),
SKUs and their price history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.extensions import db

ATTRIBUTE_KINDS = ("key", "descriptive", "sales")
INPUT_TYPES = ("choice", "text", "number")
PRODUCT_STATUSES = ("draft", "on_sale", "off_shelf", "archived")


class AttributeTemplate(CreatedAt, db.Model):
    __tablename__ = "attribute_templates"
    __table_args__ = tenant_args(Index("uq_attribute_templates_name", text("lower(name)"), unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")

    attributes: Mapped[list["Attribute"]] = relationship(
        back_populates="template", order_by="Attribute.position, Attribute.id", cascade="all, delete-orphan")


class Attribute(db.Model):
    __tablename__ = "attributes"
    __table_args__ = tenant_args(
        UniqueConstraint("template_id", "name"),
        CheckConstraint(f"kind IN {ATTRIBUTE_KINDS}", name="kind"),
        CheckConstraint(f"input_type IN {INPUT_TYPES}", name="input_type"),
        CheckConstraint("kind <> 'sales' OR input_type = 'choice'", name="sales_is_choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("tenant.attribute_templates.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))            # key | descriptive | sales
    input_type: Mapped[str] = mapped_column(String(16))      # choice | text | number
    unit: Mapped[str] = mapped_column(String(20), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    searchable: Mapped[bool] = mapped_column(Boolean, default=False)
    filterable: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)   # for choice inputs

    template: Mapped[AttributeTemplate] = relationship(back_populates="attributes")


class Category(CreatedAt, db.Model):
    """A node of the category tree. `path` is the chain of ids ("/1/5/9/"), so a subtree
    is one indexed prefix match."""

    __tablename__ = "categories"
    __table_args__ = tenant_args(
        Index("ix_categories_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
        UniqueConstraint("parent_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.categories.id"))
    name: Mapped[str] = mapped_column(String(80))
    path: Mapped[str] = mapped_column(String(400), default="/")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.attribute_templates.id"))

    template: Mapped[AttributeTemplate | None] = relationship()

    @property
    def effective_template(self) -> AttributeTemplate | None:
        """Its own attribute template, else the nearest ancestor's: a sub-category inherits its
        parent's template unless it sets its own."""
        if self.template_id is not None:
            return self.template
        ancestors = [int(i) for i in (self.path or "/").strip("/").split("/") if i and int(i) != self.id]
        if not ancestors:
            return None
        from sqlalchemy import select

        nearest = db.session.scalar(select(Category).where(Category.id.in_(ancestors), Category.template_id.is_not(None))
                                    .order_by(Category.depth.desc()).limit(1))
        return nearest.template if nearest is not None else None


class Brand(CreatedAt, db.Model):
    __tablename__ = "brands"
    __table_args__ = tenant_args(Index("uq_brands_name", text("lower(name)"), unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    first_letter: Mapped[str] = mapped_column(String(1), default="#", index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    logo: Mapped[str | None] = mapped_column(String(300))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Product(CreatedAt, db.Model):
    __tablename__ = "products"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {PRODUCT_STATUSES}", name="status"),
        Index("ix_products_search", "search_vector", postgresql_using="gin"),
        Index("ix_products_tags", "tags", postgresql_using="gin"),
        Index("ix_products_attributes", "attribute_values", postgresql_using="gin",
              postgresql_ops={"attribute_values": "jsonb_path_ops"}),
        Index("ix_products_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("tenant.categories.id"), index=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.brands.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    description_html: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    volume_cm3: Mapped[int | None] = mapped_column(Integer)
    freight_template_id: Mapped[int | None] = mapped_column(Integer)   # logistics' freight template, by id
    attribute_values: Mapped[dict] = mapped_column(JSONB, default=dict)   # {attribute_id: value}
    sales_options: Mapped[dict] = mapped_column(JSONB, default=dict)      # {attribute_id: [values]}
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unpublish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    min_price: Mapped[int | None] = mapped_column(BigInteger, index=True)   # lowest enabled SKU sale price
    max_price: Mapped[int | None] = mapped_column(BigInteger)
    ever_sold: Mapped[bool] = mapped_column(Boolean, default=False)
    search_vector: Mapped[str | None] = mapped_column(TSVECTOR)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship(lazy="joined")
    brand: Mapped[Brand | None] = relationship(lazy="joined")
    skus: Mapped[list["Sku"]] = relationship(back_populates="product", order_by="Sku.id",
                                             cascade="all, delete-orphan")

    @property
    def deletable(self) -> bool:
        """It can be deleted (not archived): it never sold and is not on sale."""
        return not self.ever_sold and self.status != "on_sale"


class Sku(CreatedAt, db.Model):
    __tablename__ = "skus"
    __table_args__ = tenant_args(
        Index("uq_skus_code", text("lower(code)"), unique=True),
        UniqueConstraint("product_id", "option_key"),
        CheckConstraint("list_price >= 0 AND sale_price >= 0 AND cost_price >= 0", name="prices"),
        Index("ix_skus_barcode", "barcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("tenant.products.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str] = mapped_column(String(64), default="")
    options: Mapped[dict] = mapped_column(JSONB, default=dict)      # {attribute name: value}
    option_key: Mapped[str] = mapped_column(String(400), default="")
    list_price: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units, store currency
    sale_price: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_price: Mapped[int] = mapped_column(BigInteger, default=0)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    image: Mapped[str | None] = mapped_column(String(300))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    ever_sold: Mapped[bool] = mapped_column(Boolean, default=False)
    # customs data for cross-border sales (see catalog.customs)
    hs_code: Mapped[str] = mapped_column(String(10), default="")
    origin_country: Mapped[str] = mapped_column(String(3), default="")      # JGS-20 country code
    declared_value: Mapped[int | None] = mapped_column(BigInteger)          # per unit, minor units
    consumption_tax_bp: Mapped[int] = mapped_column(Integer, default=0)     # basis points
    duty_bp: Mapped[int] = mapped_column(Integer, default=0)                # general-trade duty, basis points

    product: Mapped[Product] = relationship(back_populates="skus")

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.options.values()) or "—"


class PriceChange(db.Model):
    __tablename__ = "price_changes"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.skus.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(16))    # list_price | sale_price | cost_price
    old: Mapped[int | None] = mapped_column(BigInteger)
    new: Mapped[int] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ProductImage(db.Model):
    """An image of a product; the one at position 1 is the main image."""

    __tablename__ = "product_images"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("tenant.products.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=1)
    alt: Mapped[str] = mapped_column(String(200), default="")


class TierPrice(db.Model):
    """A member-level price (`group`) or a quantity ladder price (`min_quantity`) for one SKU."""

    __tablename__ = "tier_prices"
    __table_args__ = tenant_args(
        CheckConstraint("(member_group IS NULL) <> (min_quantity IS NULL)", name="one_kind"),
        CheckConstraint("price >= 0 AND (min_quantity IS NULL OR min_quantity > 1)", name="values"),
        UniqueConstraint("sku_id", "member_group", "min_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("tenant.skus.id", ondelete="CASCADE"))
    member_group: Mapped[str | None] = mapped_column(String(40))
    min_quantity: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(BigInteger)
