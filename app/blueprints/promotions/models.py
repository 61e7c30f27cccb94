"""Promotion center tables (促销中心): promotions with their targets, stacking and budgets, the
uses that spend a budget, coupons (templates and issued coupons), and each order's pricing
explanation."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt, tenant_args, utcnow
from app.extensions import db

# item promotions act on each line's unit price; order promotions on the eligible goods amount;
# shipping promotions on the freight
PROMOTION_KINDS = ("item_discount", "amount_off", "percent_off", "nth_discount", "gift", "free_shipping")
PROMOTION_STATUSES = ("draft", "active", "paused", "ended")
TARGET_TYPES = ("all", "categories", "brands", "products")
COUPON_KINDS = ("amount_off", "percent_off", "free_shipping")
COUPON_STATUSES = ("unused", "locked", "used", "expired", "void")


class Promotion(CreatedAt, db.Model):
    """One rule of the pricing pipeline. `params` by kind:
    item_discount {"percent": 80} (pay 80 %) or {"price": 990} (a unit price);
    amount_off {"tiers": [[30000, 3000], ...], "repeat": false} (满减, per threshold reached);
    percent_off {"tiers": [[20000, 90], ...]} (满折, pay 90 % over the threshold);
    nth_discount {"count": 2, "percent": 80} (N 件 M 折: from N eligible pieces they cost 80 %);
    gift {"threshold": 20000, "sku_id": 7, "quantity": 1} (满赠);
    free_shipping {"threshold": 9900} (包邮 over the amount; 0 = always)."""

    __tablename__ = "promotions"
    __table_args__ = tenant_args(
        CheckConstraint(f"kind IN {PROMOTION_KINDS}", name="kind"),
        CheckConstraint(f"status IN {PROMOTION_STATUSES}", name="status"),
        CheckConstraint(f"target_type IN {TARGET_TYPES}", name="target_type"),
        CheckConstraint("budget_total IS NULL OR budget_used <= budget_total", name="budget"),
        CheckConstraint("uses_limit IS NULL OR uses_count <= uses_limit", name="uses"),
        CheckConstraint("budget_used >= 0 AND uses_count >= 0 AND gmv >= 0", name="figures"),
        Index("ix_promotions_status_window", "status", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    params: Mapped[dict] = mapped_column(JSONB, default=dict)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    target_type: Mapped[str] = mapped_column(String(12), default="all")
    target_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    exclude_product_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    level_codes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)   # empty: every level
    segment_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)      # empty: everyone
    stack_group: Mapped[str] = mapped_column(String(40), default="")   # one rule per group applies
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)     # applies alone in its stage and blocks coupons
    allow_below_cost: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=100)          # lower first within a stage
    budget_total: Mapped[int | None] = mapped_column(BigInteger)         # discount it may give in all
    budget_used: Mapped[int] = mapped_column(BigInteger, default=0)
    uses_limit: Mapped[int | None] = mapped_column(Integer)              # orders it may apply to
    uses_count: Mapped[int] = mapped_column(Integer, default=0)
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)              # goods of the orders it applied to
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def is_draft(self) -> bool:
        """Never published (publishing it is 'publish'; a paused one 'resumes')."""
        return self.status == "draft"

    @property
    def simulable(self) -> bool:
        """Not live: staff try it in the price simulator before it applies to orders."""
        return self.status in ("draft", "paused")


class PromotionUse(CreatedAt, db.Model):
    """A promotion (or coupon) applied to a placed order: what it took, for whom; released when
    the order is cancelled unpaid (the budget and the member's use come back)."""

    __tablename__ = "promotion_uses"
    __table_args__ = tenant_args(UniqueConstraint("promotion_id", "order_id"),
                                 Index("ix_promotion_uses_member", "promotion_id", "member_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    promotion_id: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)   # orders center's order, by id
    member_id: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    goods: Mapped[int] = mapped_column(BigInteger, default=0)
    released: Mapped[bool] = mapped_column(Boolean, default=False)


class OrderPricing(CreatedAt, db.Model):
    """How an order was priced: the pipeline's explanation, kept as it was at placement."""

    __tablename__ = "order_pricings"
    __table_args__ = tenant_args()

    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    explanation: Mapped[dict] = mapped_column(JSONB, default=dict)


class CouponTemplate(CreatedAt, db.Model):
    """What a coupon gives and who may have it: amount off, percent off with a cap, or free
    shipping, over a threshold, on a scope with exclusions; valid in a fixed window or for N
    days after the claim; `quantity` coupons in all, `per_member_limit` each."""

    __tablename__ = "coupon_templates"
    __table_args__ = tenant_args(
        CheckConstraint(f"kind IN {COUPON_KINDS}", name="kind"),
        CheckConstraint("issued <= quantity AND issued >= 0", name="issued"),
        CheckConstraint("per_member_limit >= 1", name="per_member"),
        CheckConstraint("valid_days IS NOT NULL OR valid_until IS NOT NULL", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)        # amount_off: minor units
    percent: Mapped[int] = mapped_column(Integer, default=100)        # percent_off: pay this %
    max_discount: Mapped[int | None] = mapped_column(BigInteger)       # percent_off cap
    threshold: Mapped[int] = mapped_column(BigInteger, default=0)
    target_type: Mapped[str] = mapped_column(String(12), default="all")
    target_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    exclude_product_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    combinable: Mapped[bool] = mapped_column(Boolean, default=True)   # with order promotions
    quantity: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[int] = mapped_column(Integer, default=0)
    per_member_limit: Mapped[int] = mapped_column(Integer, default=1)
    claimable: Mapped[bool] = mapped_column(Boolean, default=True)    # shoppers claim it in the shop
    claim_starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_days: Mapped[int | None] = mapped_column(Integer)           # N days after the claim
    discount_given: Mapped[int] = mapped_column(BigInteger, default=0)
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class CouponHolding(db.Model):
    """How many coupons of a template a member holds in all: the row a claim updates
    conditionally, so that the per-member limit holds under concurrency."""

    __tablename__ = "coupon_holdings"
    __table_args__ = tenant_args(CheckConstraint("claimed >= 0", name="claimed"))

    template_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claimed: Mapped[int] = mapped_column(Integer, default=0)


class Coupon(CreatedAt, db.Model):
    """An issued coupon: a member's (claimed or granted) or a bulk code not yet redeemed."""

    __tablename__ = "coupons"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {COUPON_STATUSES}", name="status"),
        Index("uq_coupons_code", "code", unique=True),
        Index("ix_coupons_member_status", "member_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    template_id: Mapped[int] = mapped_column(Integer, index=True)
    member_id: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10), default="unused")
    source: Mapped[str] = mapped_column(String(10), default="claim")   # claim | grant | code
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


FLASH_STATUSES = ("draft", "armed", "ended")


class FlashSession(CreatedAt, db.Model):
    """A flash sale (秒杀) time slot: armed, its items' pools are taken from inventory and loaded
    into Redis; ended, what is left goes back."""

    __tablename__ = "flash_sessions"
    __table_args__ = tenant_args(CheckConstraint(f"status IN {FLASH_STATUSES}", name="status"),
                                 CheckConstraint("ends_at > starts_at", name="window"),
                                 CheckConstraint("payment_minutes BETWEEN 1 AND 120", name="payment"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    payment_minutes: Mapped[int] = mapped_column(Integer, default=5)

    @property
    def editable(self) -> bool:
        """A draft: items may be added and it may be armed."""
        return self.status == "draft"

    @property
    def armed(self) -> bool:
        """Its pools are set aside: it sells in its window and may be ended early."""
        return self.status == "armed"


class FlashItem(db.Model):
    """A SKU in a flash session: its flash price, the pool of units it sells and the limit per shopper."""

    __tablename__ = "flash_items"
    __table_args__ = tenant_args(UniqueConstraint("session_id", "sku_id"),
                                 CheckConstraint("pool > 0 AND flash_price >= 0 AND per_member_limit >= 1", name="values"),
                                 CheckConstraint("sold >= 0 AND sold <= pool", name="sold"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(Integer)     # indexed by the unique (session_id, sku_id)
    sku_id: Mapped[int] = mapped_column(Integer)
    flash_price: Mapped[int] = mapped_column(BigInteger)
    pool: Mapped[int] = mapped_column(Integer)
    per_member_limit: Mapped[int] = mapped_column(Integer, default=1)
    sold: Mapped[int] = mapped_column(Integer, default=0)     # units in orders not cancelled


class FlashClaim(CreatedAt, db.Model):
    """A shopper's claim that became an order; `returned` once its unpaid units went back to the pool."""

    __tablename__ = "flash_claims"
    __table_args__ = tenant_args(Index("ix_flash_claims_order", "order_id", unique=True))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    member_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(BigInteger)
    returned: Mapped[bool] = mapped_column(Boolean, default=False)


GROUP_BUY_STATUSES = ("draft", "active", "ended")
GROUP_STATUSES = ("pending", "open", "succeeded", "failed", "cancelled")
GROUP_MEMBER_STATUSES = ("pending", "paid", "refund_due", "refunded", "cancelled")


class GroupBuy(CreatedAt, db.Model):
    """A group-buy activity (拼团) on one SKU: `group_size` shoppers buy at `group_price` if they
    all pay within `time_limit_minutes` of the group's opening; figures for the list."""

    __tablename__ = "group_buys"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {GROUP_BUY_STATUSES}", name="status"),
        CheckConstraint("group_size BETWEEN 2 AND 50", name="size"),
        CheckConstraint("group_price >= 0", name="price"),
        CheckConstraint("time_limit_minutes BETWEEN 5 AND 10080", name="time_limit"),
        CheckConstraint("ends_at > starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    sku_id: Mapped[int] = mapped_column(Integer, index=True)
    group_price: Mapped[int] = mapped_column(BigInteger)
    group_size: Mapped[int] = mapped_column(Integer)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    groups_succeeded: Mapped[int] = mapped_column(Integer, default=0)
    groups_failed: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)           # paid orders of succeeded groups
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)           # their payable

    @property
    def is_draft(self) -> bool:
        """Not published yet: staff may still publish it."""
        return self.status == "draft"

    @property
    def endable(self) -> bool:
        """Draft or running: staff may end it (open groups run to their time)."""
        return self.status != "ended"


class GroupTeam(CreatedAt, db.Model):
    """One group (团) of an activity: opened by its leader's order, open once the leader paid and
    until `expires_at`; `taken` places are held by unpaid or paid orders, `paid` of them paid.
    Full (paid = size): succeeded, its orders ship; out of time: failed, every paid order refunded."""

    __tablename__ = "group_teams"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {GROUP_STATUSES}", name="status"),
        CheckConstraint("taken >= 0 AND taken <= size AND paid >= 0 AND paid <= taken", name="places"),
        Index("uq_group_teams_code", "code", unique=True),
        Index("ix_group_teams_status_expires", "status", "expires_at"),
        Index("ix_group_teams_activity", "activity_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))          # the share link's code
    leader_id: Mapped[int] = mapped_column(Integer)        # member
    status: Mapped[str] = mapped_column(String(10), default="pending")
    size: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_open(self) -> bool:
        """The leader paid and the time has not run out yet: the group is gathering members."""
        return self.status == "open"

    @property
    def has_room(self) -> bool:
        """Open with a place not yet held by anyone's order: another shopper may join."""
        return self.is_open and self.taken < self.size


class GroupMember(CreatedAt, db.Model):
    """A shopper's place in a group: their order, unpaid, paid, refunded (the group failed) or
    cancelled (not paid in time: the place is free again). `refund_due`: the group failed and the
    order cannot be refunded automatically (paid offline, or the gateway's refund failed); staff
    refund it by hand and record it. Why it is due, then what was done, is a code of
    `groupbuy.REFUND_NOTES` with its values (`refund_code`, `refund_params`), put in words when
    shown; `refund_note` holds the sentence of a row written before codes were kept."""

    __tablename__ = "group_members"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {GROUP_MEMBER_STATUSES}", name="status"),
        Index("uq_group_members_order", "order_id", unique=True),
        Index("uq_group_members_place", "team_id", "member_id", unique=True,
              postgresql_where=text("status IN ('pending', 'paid')")),
        Index("ix_group_members_team", "team_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(BigInteger)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    refund_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    refund_code: Mapped[str | None] = mapped_column(String(40))
    refund_params: Mapped[dict | None] = mapped_column(JSONB)
    # what is still owed to the shopper when the place is due a refund by hand (minor units)
    refund_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
