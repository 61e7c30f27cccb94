"""Coupons (优惠券): templates, claiming in the shop, granting to members or a segment, bulk
codes, redeeming a code, expiry. A template's quantity is never over-issued and a member's
limit never exceeded, under any concurrency: each claim is two conditional statements (the
member's holding row, then the template's count) in the caller's transaction."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from app.blueprints.promotions.models import COUPON_KINDS, TARGET_TYPES, Coupon, CouponHolding, CouponTemplate
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db

KIND_LABELS = {"amount_off": _l("Amount off"), "percent_off": _l("Percent off"), "free_shipping": _l("Free shipping")}
STATUS_LABELS = {"unused": _l("Unused"), "locked": _l("Locked"), "used": _l("Used"), "expired": _l("Expired"),
                 "void": _l("Void")}
WALLET_LABELS = {**STATUS_LABELS, "not_yet_valid": _l("Not valid yet")}   # what a shopper's wallet says
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I
MAX_CODES = 10_000


class CouponGone(DomainError):
    """No coupon of this template can be had (all claimed, the member's limit, the window);
    `reason` is "sold_out" or "member_limit"."""

    def __init__(self, message, field=None, reason: str = "sold_out"):
        super().__init__(message, field=field)
        self.reason = reason


def _code(length: int = 12) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def save_template(actor, template: CouponTemplate | None, values: dict) -> CouponTemplate:
    """Create or change a coupon template (its issued coupons keep their validity)."""
    name = (values.get("name") or "").strip()[:120]
    if not name:
        raise DomainError(_("This field is required."), field="name")
    kind = values.get("kind")
    if kind not in COUPON_KINDS:
        raise DomainError(_("Choose a kind of coupon."), field="kind")
    amount, percent, cap = values.get("amount") or 0, values.get("percent"), values.get("max_discount")
    if kind == "amount_off" and amount <= 0:
        raise DomainError(_("Give the amount off."), field="amount")
    if kind == "percent_off" and (not isinstance(percent, int) or not 1 <= percent <= 99):
        raise DomainError(_("A percentage to pay from 1 to 99 (80 means 20 per cent off)."), field="percent")
    threshold = values.get("threshold") or 0
    if kind == "amount_off" and threshold and amount > threshold:
        raise DomainError(_("The amount off cannot exceed its threshold."), field="amount")
    quantity = values.get("quantity")
    if not isinstance(quantity, int) or quantity < 1:
        raise DomainError(_("How many coupons in all (1 or more)."), field="quantity")
    if template is not None and quantity < template.issued:
        raise DomainError(_("%(n)d were issued already; the quantity cannot be less.", n=template.issued),
                          field="quantity")
    limit = values.get("per_member_limit") or 1
    valid_days, valid_until = values.get("valid_days"), values.get("valid_until")
    if not valid_days and not valid_until:
        raise DomainError(_("Give a validity: an end date, or a number of days after the claim."), field="valid_days")
    if valid_days is not None and not 1 <= valid_days <= 3650:
        raise DomainError(_("From 1 to 3650 days."), field="valid_days")
    valid_from = values.get("valid_from")
    if valid_from and valid_until and valid_until <= valid_from:
        raise DomainError(_("The end comes after the start."), field="valid_until")
    target_type = values.get("target_type") or "all"
    if target_type not in TARGET_TYPES:
        raise DomainError(_("Choose what the promotion applies to."), field="target_type")
    target_ids = sorted({int(i) for i in values.get("target_ids") or ()})
    if target_type != "all" and not target_ids:
        raise DomainError(_("Choose at least one."), field="target_ids")
    created = template is None
    if created:
        template = CouponTemplate(issued=0, used=0, discount_given=0, gmv=0)
        db.session.add(template)
    template.name, template.kind, template.amount = name, kind, amount if kind == "amount_off" else 0
    template.percent = percent if kind == "percent_off" else 100
    template.max_discount = cap if kind == "percent_off" else None
    template.threshold, template.quantity, template.per_member_limit = threshold, quantity, limit
    template.target_type, template.target_ids = target_type, target_ids if target_type != "all" else []
    template.exclude_product_ids = sorted({int(i) for i in values.get("exclude_product_ids") or ()})
    template.combinable = bool(values.get("combinable", True))
    template.claimable = bool(values.get("claimable", True))
    template.claim_starts_at, template.claim_ends_at = values.get("claim_starts_at"), values.get("claim_ends_at")
    template.valid_from, template.valid_until, template.valid_days = valid_from, valid_until, valid_days or None
    template.enabled = bool(values.get("enabled", True))
    changes = {"name": [None, name], "kind": [None, kind]} if created else audit.changes_of(template)
    db.session.flush()
    audit.record(actor, "coupon.template_saved", template, label=name, changes=changes)
    return template


def _validity(template: CouponTemplate, now: datetime) -> tuple[datetime | None, datetime | None]:
    if template.valid_days:
        until = now + timedelta(days=template.valid_days)
        if template.valid_until is not None:
            until = min(until, template.valid_until)
        return now, until
    return template.valid_from, template.valid_until


def _take(template_id: int, member_id: int | None, count: int, now: datetime, *, claim: bool) -> CouponTemplate:
    """Count `count` coupons of the template for `member_id` (None: bulk codes), conditionally."""
    if member_id is not None:
        limit = db.session.scalar(select(CouponTemplate.per_member_limit).where(CouponTemplate.id == template_id))
        if limit is None:
            raise CouponGone(_("This coupon does not exist."))
        stmt = insert(CouponHolding).values(template_id=template_id, member_id=member_id, claimed=count)
        held = db.session.execute(stmt.on_conflict_do_update(
            index_elements=["template_id", "member_id"], set_={"claimed": CouponHolding.claimed + count},
            where=CouponHolding.claimed + count <= limit).returning(CouponHolding.claimed)).first()
        if held is None or held[0] > limit:
            raise CouponGone(_("You hold as many of these coupons as one shopper may."), reason="member_limit")
    conditions = [CouponTemplate.id == template_id, CouponTemplate.enabled.is_(True),
                  CouponTemplate.issued + count <= CouponTemplate.quantity,
                  or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > now)]
    if claim:
        conditions += [CouponTemplate.claimable.is_(True),
                       or_(CouponTemplate.claim_starts_at.is_(None), CouponTemplate.claim_starts_at <= now),
                       or_(CouponTemplate.claim_ends_at.is_(None), CouponTemplate.claim_ends_at > now)]
    taken = db.session.execute(update(CouponTemplate).where(*conditions)
                               .values(issued=CouponTemplate.issued + count).returning(CouponTemplate.id)).first()
    if taken is None:
        raise CouponGone(_("These coupons are all taken (or not to be had now)."))
    return db.session.get(CouponTemplate, template_id)


def claim_coupon(member_id: int, template_id: int, now: datetime | None = None) -> Coupon:
    """A shopper claims one coupon of a claimable template. CouponGone when none is left, the
    member holds their limit, or the claim window is shut; nothing changes then."""
    now = now or utcnow()
    _refuse_blacklisted(member_id)
    template = _take(template_id, member_id, 1, now, claim=True)
    valid_from, valid_until = _validity(template, now)
    coupon = Coupon(template_id=template_id, member_id=member_id, code=_code(), status="unused", source="claim",
                    valid_from=valid_from, valid_until=valid_until)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def _refuse_blacklisted(member_id: int) -> None:
    from app.blueprints.promotions.pricing import _members_queries

    try:
        pricing = getattr(_members_queries(), "member_pricing", None)
    except ImportError:
        return
    if pricing is not None and (pricing(member_id) or {}).get("blacklisted"):
        raise CouponGone(_("This account cannot claim coupons."))


def grant(actor, template: CouponTemplate, member_ids: list[int], now: datetime | None = None) -> int:
    """Give one coupon to each of these members (a segment's, a list). A member at their limit
    is skipped; the template's quantity is never exceeded (raises CouponGone, nothing granted)."""
    now = now or utcnow()
    granted = 0
    for member_id in sorted(set(member_ids)):
        try:
            with db.session.begin_nested():
                _take(template.id, member_id, 1, now, claim=False)
        except CouponGone as err:
            if err.reason != "member_limit":
                raise CouponGone(_("Not enough coupons left to grant one to each member."))
            continue
        valid_from, valid_until = _validity(template, now)
        db.session.add(Coupon(template_id=template.id, member_id=member_id, code=_code(), status="unused",
                              source="grant", valid_from=valid_from, valid_until=valid_until))
        granted += 1
    db.session.flush()
    audit.record(actor, "coupon.granted", template, label=template.name, changes={"members": [None, granted]})
    return granted


def grant_to_segment(actor, template: CouponTemplate, segment_id: int) -> int:
    """Grant to every member of a segment (the member center's saved filter)."""
    from app.blueprints.promotions.pricing import _members_queries

    members = getattr(_members_queries(), "segment_member_ids", None)
    if members is None:
        raise DomainError(_("Segments come with the member center; grant to members by email meanwhile."),
                          field="segment_id")
    return grant(actor, template, list(members(segment_id)))


def generate_codes(actor, template: CouponTemplate, count: int, now: datetime | None = None) -> int:
    """`count` codes of the template, not yet anyone's (a shopper redeems one); within its quantity."""
    if not isinstance(count, int) or not 1 <= count <= MAX_CODES:
        raise DomainError(_("From 1 to %(n)d codes at a time.", n=MAX_CODES), field="count")
    now = now or utcnow()
    _take(template.id, None, count, now, claim=False)
    fixed_from, fixed_until = (None, template.valid_until) if template.valid_days else _validity(template, now)
    rows = [{"template_id": template.id, "member_id": None, "code": _code(), "status": "unused", "source": "code",
             "valid_from": fixed_from, "valid_until": fixed_until} for _ in range(count)]
    db.session.execute(insert(Coupon).values(rows).on_conflict_do_nothing())
    audit.record(actor, "coupon.codes_generated", template, label=template.name, changes={"codes": [None, count]})
    return count


def redeem_code(member_id: int, code: str, now: datetime | None = None) -> Coupon:
    """A shopper types a bulk code: it becomes theirs (once; within their limit)."""
    now = now or utcnow()
    code = (code or "").strip().upper()
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == code, Coupon.member_id.is_(None),
                                                    Coupon.status == "unused").with_for_update(skip_locked=True))
    if coupon is None:
        raise CouponGone(_("No coupon with this code can be redeemed."), field="code")
    template = db.session.get(CouponTemplate, coupon.template_id)
    limit = template.per_member_limit
    stmt = insert(CouponHolding).values(template_id=template.id, member_id=member_id, claimed=1)
    held = db.session.execute(stmt.on_conflict_do_update(
        index_elements=["template_id", "member_id"], set_={"claimed": CouponHolding.claimed + 1},
        where=CouponHolding.claimed + 1 <= limit).returning(CouponHolding.claimed)).first()
    if held is None:
        raise CouponGone(_("You hold as many of these coupons as one shopper may."), field="code")
    coupon.member_id = member_id
    if template.valid_days:
        coupon.valid_from, coupon.valid_until = _validity(template, now)
    return coupon


def expire_coupons(now: datetime | None = None) -> int:
    """Unused coupons past their validity become expired (the wallet shows them so)."""
    now = now or utcnow()
    return db.session.execute(update(Coupon).where(Coupon.status == "unused", Coupon.valid_until <= now)
                              .values(status="expired")).rowcount


# --- reads ------------------------------------------------------------------------------------------

def wallet(member_id: int, now: datetime | None = None) -> list[tuple[Coupon, CouponTemplate]]:
    """The member's own coupons with their templates, usable ones first (one statement)."""
    now = now or utcnow()
    rows = db.session.execute(select(Coupon, CouponTemplate).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
                              .where(Coupon.member_id == member_id).order_by(Coupon.id.desc()).limit(200)).all()
    return sorted(rows, key=lambda r: (not usable(r[0], now), r[0].valid_until or datetime.max.replace(tzinfo=now.tzinfo)))


def usable(coupon: Coupon, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return coupon.status == "unused" and (coupon.valid_from is None or coupon.valid_from <= now) \
        and (coupon.valid_until is None or coupon.valid_until > now)


def wallet_status(coupon: Coupon, now: datetime | None = None) -> str:
    """The status a shopper's wallet shows (a key of WALLET_LABELS): an unused coupon before its
    first day is not valid yet, after its last day expired."""
    now = now or utcnow()
    if coupon.status != "unused" or usable(coupon, now):
        return coupon.status
    return "not_yet_valid" if coupon.valid_from is not None and coupon.valid_from > now else "expired"


def claimable_templates(now: datetime | None = None) -> list[CouponTemplate]:
    """Templates a shopper can claim now, with some left (one statement)."""
    now = now or utcnow()
    return db.session.scalars(select(CouponTemplate).where(
        CouponTemplate.enabled.is_(True), CouponTemplate.claimable.is_(True),
        CouponTemplate.issued < CouponTemplate.quantity,
        or_(CouponTemplate.claim_starts_at.is_(None), CouponTemplate.claim_starts_at <= now),
        or_(CouponTemplate.claim_ends_at.is_(None), CouponTemplate.claim_ends_at > now),
        or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > now))
        .order_by(CouponTemplate.id.desc()).limit(50)).all()


def template(template_id: int) -> CouponTemplate | None:
    return db.session.get(CouponTemplate, template_id)


def held_counts(member_id: int) -> dict[int, int]:
    return dict(db.session.execute(select(CouponHolding.template_id, CouponHolding.claimed)
                                   .where(CouponHolding.member_id == member_id)).all())


def codes_of(template_id: int):
    return select(Coupon).where(Coupon.template_id == template_id)


def describe(template: CouponTemplate, currency: str) -> str:
    """“¥30 off over ¥300”, “15 per cent off (at most ¥50)”, “Free shipping” — for people."""
    from app.core.money import format_money

    if template.kind == "amount_off":
        text = _("%(amount)s off", amount=format_money(template.amount, currency))
    elif template.kind == "percent_off":
        text = _("pay %(percent)d per cent", percent=template.percent)
        if template.max_discount:
            text += " " + _("(at most %(cap)s off)", cap=format_money(template.max_discount, currency))
    else:
        text = str(KIND_LABELS["free_shipping"])
    if template.threshold:
        text += " " + _("over %(threshold)s", threshold=format_money(template.threshold, currency))
    return text
