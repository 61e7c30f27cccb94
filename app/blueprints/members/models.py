"""Member center tables (会员中心): shopper accounts and their address books."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt, tenant_args
from app.extensions import db


class Member(CreatedAt, db.Model):
    __tablename__ = "members"
    __table_args__ = tenant_args(Index("uq_members_email", text("lower(email)"), unique=True),
                                 CheckConstraint("status IN ('active', 'disabled')", name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    level: Mapped[str] = mapped_column(String(40), default="")     # member level code, for member prices
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    realm = "shopper"
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        from app.core.tenancy import current_store

        return f"shopper:{current_store().id}:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class Address(CreatedAt, db.Model):
    __tablename__ = "member_addresses"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("tenant.members.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(6), default="", server_default="")  # GB/T 2260
    province: Mapped[str] = mapped_column(String(60), default="")   # the names of region_code, kept
    city: Mapped[str] = mapped_column(String(60))                   # as the shopper saw them
    district: Mapped[str] = mapped_column(String(60), default="")
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def region_label(self) -> str:
        """Province, city and district in the reader's language (the stored names for old rows)."""
        from app.core import regions

        return regions.label(self.region_code) or " ".join(p for p in (self.province, self.city, self.district) if p)

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in ("name", "phone", "region_code", "province", "city", "district", "street",
                                              "postcode")}


class CartItem(db.Model):
    """A signed-in shopper's cart (guests keep theirs in a signed cookie until they sign in)."""

    __tablename__ = "cart_items"
    __table_args__ = tenant_args(UniqueConstraint("member_id", "sku_id"),
                                 CheckConstraint("quantity > 0", name="quantity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("tenant.members.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
