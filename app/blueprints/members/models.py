"""Member center tables (会员中心): shopper accounts and their address books, levels and growth,
the points ledger, segments, and stored-value / gift cards with their balance ledger."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
from app.extensions import db


class Member(CreatedAt, db.Model):
    __tablename__ = "members"
    # a shopper who signed up by SMS has no email ('') and a verified phone, unique among verified ones
    __table_args__ = tenant_args(Index("uq_members_email", text("lower(email)"), unique=True,
                                       postgresql_where=text("email <> ''")),
                                 Index("uq_members_verified_phone", "phone", unique=True,
                                       postgresql_where=text("phone_verified")),
                                 Index("ix_members_tags", "tags", postgresql_using="gin"),
                                 CheckConstraint("status IN ('active', 'disabled')", name="status"),
                                 CheckConstraint("points >= 0", name="points"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    status: Mapped[str] = mapped_column(String(16), default="active")
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    level_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.member_levels.id", ondelete="SET NULL"), index=True)
    level_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # reached or last reviewed
    growth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")     # lifetime growth value
    points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")     # the points balance
    birthday: Mapped[date | None] = mapped_column(Date)
    birthday_year: Mapped[int | None] = mapped_column(Integer)     # the last year `member.birthday` was emitted
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list, server_default="{}")
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    blacklist_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # order figures kept by the order events (orders.queries is the source; these make the list filterable)
    order_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_order_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    level: Mapped["Level | None"] = relationship("Level", lazy="select")

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
    country: Mapped[str] = mapped_column(String(2), default="CN", server_default="CN")   # ISO 3166 alpha-2
    region_code: Mapped[str] = mapped_column(String(6), default="", server_default="")  # GB/T 2260 (CN only)
    province: Mapped[str] = mapped_column(String(60), default="")   # the names of region_code, kept
    city: Mapped[str] = mapped_column(String(60))                   # as the shopper saw them
    district: Mapped[str] = mapped_column(String(60), default="")
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def region_label(self) -> str:
        """Province, city and district in the reader's language (the stored names for old rows);
        abroad: city, state and the country's name."""
        from app.core import countries, regions

        if self.country and self.country != "CN":
            return ", ".join(p for p in (self.city, self.province, countries.name(self.country)) if p)
        return regions.label(self.region_code) or " ".join(p for p in (self.province, self.city, self.district) if p)

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in ("name", "phone", "country", "region_code", "province", "city", "district",
                                              "street", "postcode")}


class CartItem(db.Model):
    """A signed-in shopper's cart (guests keep theirs in a signed cookie until they sign in)."""

    __tablename__ = "cart_items"
    __table_args__ = tenant_args(UniqueConstraint("member_id", "sku_id"),
                                 CheckConstraint("quantity > 0", name="quantity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("tenant.members.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)


class MemberEvent(TimelineEntry, db.Model):
    """The member's timeline: level changes, blacklisting, tags, staff notes, points adjustments."""

    __tablename__ = "member_events"
    __table_args__ = tenant_args()
    owner_key = "member_id"

    member_id: Mapped[int] = mapped_column(ForeignKey("tenant.members.id", ondelete="CASCADE"), index=True)


class Level(CreatedAt, db.Model):
    """A member level (会员等级), reached by growth value, with its benefits."""

    __tablename__ = "member_levels"
    __table_args__ = tenant_args(Index("uq_member_levels_code", text("lower(code)"), unique=True),
                                 UniqueConstraint("threshold"),
                                 CheckConstraint("threshold >= 0", name="threshold"),
                                 CheckConstraint("discount_percent BETWEEN 1 AND 100", name="discount"),
                                 CheckConstraint("points_multiplier BETWEEN 100 AND 1000", name="multiplier"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))       # what catalog member prices are keyed by
    name: Mapped[str] = mapped_column(String(80))
    threshold: Mapped[int] = mapped_column(Integer)     # growth value needed
    discount_percent: Mapped[int] = mapped_column(Integer, default=100)    # level price: % of the sale price
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    points_multiplier: Mapped[int] = mapped_column(Integer, default=100)   # percent: 150 = 1.5x points
    birthday_coupon: Mapped[bool] = mapped_column(Boolean, default=False)


class LoyaltySettings(db.Model):
    """The store's one row of growth, level and points rules."""

    __tablename__ = "member_settings"
    __table_args__ = tenant_args(CheckConstraint("id = 1", name="one_row"))

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    growth_per_yuan: Mapped[int] = mapped_column(Integer, default=1)       # per ¥1 of completed orders
    growth_per_order: Mapped[int] = mapped_column(Integer, default=10)     # per completed order
    level_months: Mapped[int] = mapped_column(Integer, default=12)         # review period; 0 = never downgrade
    points_per_yuan: Mapped[int] = mapped_column(Integer, default=1)       # earned per ¥1 paid
    points_value: Mapped[int] = mapped_column(Integer, default=100)        # minor units that 100 points are worth
    points_max_share: Mapped[int] = mapped_column(Integer, default=50)     # % of the payable points may pay
    points_expiry_months: Mapped[int] = mapped_column(Integer, default=24)  # 0 = points never expire
    # does money paid from a stored-value or gift card earn growth and points (it was paid once already)?
    growth_from_cards: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class PointsEntry(db.Model):
    """One change of a member's points balance (the ledger); the balance is members.points."""

    __tablename__ = "points_ledger"
    __table_args__ = tenant_args(
        Index("uq_points_ledger_reference", "kind", "reference", unique=True, postgresql_where=text("reference <> ''")),
        CheckConstraint("kind IN ('earn', 'spend', 'adjust', 'expire', 'reverse', 'return')", name="kind"),
        CheckConstraint("balance_after >= 0", name="balance"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("tenant.members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reference: Mapped[str] = mapped_column(String(64), default="")   # what makes it once-only (order, refund)
    reason: Mapped[str] = mapped_column(String(300), default="")
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    member: Mapped[Member] = relationship(Member)


class GrowthEntry(db.Model):
    """Growth value a member earned (completed orders); levels are reviewed on the recent sum."""

    __tablename__ = "member_growth"
    __table_args__ = tenant_args(Index("ix_member_growth_member_at", "member_id", "at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("tenant.members.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Segment(CreatedAt, db.Model):
    """A saved rule filter over members (the member list's filters), for promotions to target."""

    __tablename__ = "member_segments"
    __table_args__ = tenant_args(Index("uq_member_segments_name", text("lower(name)"), unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    rules: Mapped[dict] = mapped_column(JSONB, default=dict)


class CardBatch(CreatedAt, db.Model):
    """A batch of stored-value or gift cards made at once, each with its code and PIN."""

    __tablename__ = "card_batches"
    __table_args__ = tenant_args(CheckConstraint("kind IN ('stored_value', 'gift')", name="kind"),
                                 CheckConstraint("face_value > 0 AND quantity > 0", name="amounts"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    face_value: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    expires_on: Mapped[date | None] = mapped_column(Date)
    actor_name: Mapped[str] = mapped_column(String(254), default="system")


class Card(CreatedAt, db.Model):
    """One card: issued (not yet sold), active (its balance can pay), void. A shopper binds an
    active card to the account with its code and PIN and pays with its balance."""

    __tablename__ = "cards"
    __table_args__ = tenant_args(CheckConstraint("status IN ('issued', 'active', 'void')", name="status"),
                                 CheckConstraint("balance >= 0", name="balance"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("tenant.card_batches.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    pin_sealed: Mapped[str] = mapped_column(String(400))          # sealed, so the batch export can print it
    status: Mapped[str] = mapped_column(String(16), default="issued")
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.members.id", ondelete="SET NULL"), index=True)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_on: Mapped[date | None] = mapped_column(Date)


class CardEntry(db.Model):
    """One change of a card's balance (the card ledger)."""

    __tablename__ = "card_ledger"
    __table_args__ = tenant_args(
        Index("uq_card_ledger_reference", "kind", "reference", unique=True, postgresql_where=text("reference <> ''")),
        CheckConstraint("kind IN ('activate', 'pay', 'refund', 'adjust', 'void')", name="kind"),
        CheckConstraint("balance_after >= 0", name="balance"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("tenant.cards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(64), default="")   # payment number, refund request id
    actor_name: Mapped[str] = mapped_column(String(254), default="system")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class SmsCode(db.Model):
    """A one-time sign-in code sent by SMS: only its keyed hash is kept; it expires, allows a
    few tries and is used at most once. The rows are also the send log the limits count."""
    __tablename__ = "sms_codes"
    __table_args__ = tenant_args(Index("ix_sms_codes_phone_created", "phone", "created_at"),
                                 Index("ix_sms_codes_client_created", "client", "created_at"),
                                 CheckConstraint("attempts >= 0", name="attempts"))

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    client: Mapped[str] = mapped_column(String(64))             # the address the request came from
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
