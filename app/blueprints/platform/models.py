"""Platform tables: stores, plans, platform staff, supplier accounts and their links."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index,
                        Integer, String, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, platform_args, utcnow
from app.extensions import db

STORE_STATUSES = ("active", "suspended", "deleted")
# the default plans (platform.services.ensure_plans): code -> (stored English name, what a reader sees)
DEFAULT_PLANS = {"free": ("Free", _l("Free")), "standard": ("Standard", _l("Standard")), "pro": ("Pro", _l("Pro"))}


class Plan(CreatedAt, db.Model):
    __tablename__ = "plans"
    __table_args__ = platform_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    max_staff: Mapped[int] = mapped_column(Integer, default=20)
    price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        """The plan's name in the reader's language (a default plan not renamed), else as named."""
        stored, label = DEFAULT_PLANS.get(self.code, (None, None))
        return str(label) if label is not None and self.name == stored else self.name


class Store(CreatedAt, db.Model):
    __tablename__ = "stores"
    __table_args__ = platform_args(
        CheckConstraint(f"status IN {STORE_STATUSES}", name="status"),
        # a deleted store keeps its record but frees its slug
        Index("uq_stores_live_slug", "slug", unique=True, postgresql_where=text("status <> 'deleted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    schema_name: Mapped[str | None] = mapped_column(String(63), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("platform.plans.id"))
    owner_email: Mapped[str] = mapped_column(String(254))
    default_locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    schema_version: Mapped[str | None] = mapped_column(String(32))
    staff_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspend_reason: Mapped[str | None] = mapped_column(String(500))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    plan: Mapped[Plan | None] = relationship(lazy="joined")

    @property
    def live(self) -> bool:
        """Not deleted: it can be signed in to (once active again), suspended or deleted."""
        return self.status != "deleted"

    @property
    def suspendable(self) -> bool:
        return self.status == "active"

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


class _Account(CreatedAt):
    """A sign-in account of the platform schema (Flask-Login user)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    realm = ""
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.realm}:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active


class PlatformUser(_Account, db.Model):
    __tablename__ = "platform_users"
    __table_args__ = platform_args(Index("uq_platform_users_email", text("lower(email)"), unique=True))

    realm = "platform"


SUPPLIER_ROLES = ("admin", "sales", "warehouse")


class SupplierAccount(_Account, db.Model):
    """A supplier's sign-in. The supplier itself is its first (admin) account, whose `org_id`
    is empty; the further users its admin adds point to it with `org_id`, each with a role."""

    __tablename__ = "supplier_accounts"
    __table_args__ = platform_args(Index("uq_supplier_accounts_email", text("lower(email)"), unique=True),
                                   CheckConstraint(f"role IN {SUPPLIER_ROLES}", name="role"))

    company: Mapped[str] = mapped_column(String(200), default="")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("platform.supplier_accounts.id", ondelete="CASCADE"),
                                               index=True)
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")
    links: Mapped[list["SupplierLink"]] = relationship(back_populates="account", cascade="all, delete-orphan")

    realm = "supplier"

    @property
    def supplier_id(self) -> int:
        """The supplier this user works for (its first account's id)."""
        return self.org_id or self.id


class SupplierLink(CreatedAt, db.Model):
    """One supplier account serves one store; the store's own supplier record is named by
    code, never by a foreign key into the store's schema."""

    __tablename__ = "supplier_links"
    __table_args__ = platform_args(UniqueConstraint("account_id", "store_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("platform.supplier_accounts.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("platform.stores.id", ondelete="CASCADE"), index=True)
    supplier_code: Mapped[str] = mapped_column(String(40))

    account: Mapped[SupplierAccount] = relationship(back_populates="links")
    store: Mapped[Store] = relationship(lazy="joined")


class PooledSchema(CreatedAt, db.Model):
    """A store schema built ahead of time (``pool_<id>``, at tenant revision `version`),
    waiting for a new store to claim it by renaming it (platform/schema_pool.py)."""
    __tablename__ = "schema_pool"
    __table_args__ = platform_args()

    id: Mapped[int] = mapped_column(primary_key=True)
    schema_name: Mapped[str | None] = mapped_column(String(63), unique=True)
    version: Mapped[str | None] = mapped_column(String(32))


class StoreUsage(db.Model):
    """Platform table: one store's usage and revenue over its last `days` local days (GMV, paid
    orders, refunds) and its database space, written by the finance center's periodic
    `finance.jobs.refresh_usage` job in each store through `platform.services.record_store_usage`,
    so platform staff read one table instead of opening every store."""

    __tablename__ = "store_usage"
    __table_args__ = platform_args()

    store_id: Mapped[int] = mapped_column(ForeignKey("platform.stores.id", ondelete="CASCADE"), primary_key=True,
                                          autoincrement=False)
    days: Mapped[int] = mapped_column(Integer, default=30)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
