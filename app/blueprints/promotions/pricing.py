"""The pricing pipeline (one service for the cart, the checkout, the staff's manual order, the
API and the simulator): `price_cart` reads what it needs and runs `engine.run`; `claim` and
`record` make a placed order's discounts real (budgets, uses, coupons, points) in the order's
transaction; `explain` turns a result into the breakdown every page and the API show."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, text, update

from app.blueprints.promotions import engine
from app.blueprints.promotions.models import (Coupon, CouponTemplate, GroupMember, OrderPricing, Promotion,
                                              PromotionUse)
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db

STAGE_LABELS = {"member": _l("Member price"), "item": _l("Item promotions"), "order": _l("Order promotions"),
                "coupon": _l("Coupons"), "points": _l("Points"), "shipping": _l("Shipping promotions")}
KIND_LABELS = {"item_discount": _l("Limited-time discount"), "flash_price": _l("Flash price"),
               "group_price": _l("Group price"),
               "amount_off": _l("Amount off over a threshold (满减)"), "percent_off": _l("Percent off over a threshold (满折)"),
               "nth_discount": _l("N pieces at a discount (N件M折)"), "gift": _l("Gift over a threshold (满赠)"),
               "free_shipping": _l("Free shipping (包邮)"), "level_discount": _l("Member level discount"),
               "level_free_shipping": _l("Free shipping for the member level"), "points": _l("Points deduction")}
REASONS = {
    "not_started": _l("not started yet"), "ended": _l("ended"), "level": _l("not for this member level"),
    "segment": _l("not for this member group"), "budget": _l("its budget is used up"),
    "uses": _l("used the number of times it allows"), "member_limit": _l("this member used it as often as allowed"),
    "no_items": _l("no item in the cart qualifies"), "threshold": _l("the threshold is not reached"),
    "group": _l("another promotion of the same group gives more"),
    "exclusive": _l("does not combine with an exclusive promotion"),
    "combination_better": _l("the promotions that combine give more"),
    "floor": _l("the items are at their lowest allowed price"), "better_item": _l("another item promotion gives more"),
    "not_combinable": _l("this coupon does not combine with order promotions"),
    "one_coupon": _l("one coupon of this kind per order"), "already_free": _l("shipping is free already"),
    "gift_gone": _l("the gift is out of stock"), "points_off": _l("points cannot be used in this shop yet"),
    "coupon_gone": _l("this coupon cannot be used (used, expired or not yours)"),
    "blacklisted": _l("this account cannot use promotions"),
}


class PromotionGone(DomainError):
    """A promotion's budget or a coupon ran out between pricing and placing (the caller prices again)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


@dataclass
class Priced:
    """A cart through the pipeline: the engine's result plus what was read for it."""

    result: engine.Result
    skus: dict
    quotes: dict                 # sku id -> catalog PriceQuote (member / ladder price)
    shopper: engine.Shopper
    coupon_ids: tuple = ()
    points: int = 0
    rules: dict = field(default_factory=dict)   # key -> engine.Rule (promotions and coupons used)

    @property
    def lines(self):
        return self.result.lines

    def line_for(self, sku_id: int):
        return next((l for l in self.result.lines if l.item.sku_id == sku_id), None)

    @property
    def payable(self) -> int:
        return self.result.payable


# --- the member, through the member center's queries -----------------------------------------------

def _members_queries():
    from app.blueprints.members import queries

    return queries


def shopper_of(member_id: int | None, member_group: str | None = None, points: int = 0) -> engine.Shopper:
    """The shopper as pricing sees them: level (price rule, discount, free shipping), segments,
    points balance and the shop's points rule, from `members.queries`. A guest is a shopper
    without a level; where the member center does not offer a query yet, that stage is skipped."""
    if not member_id:
        return engine.Shopper(level_code=member_group or "")
    try:
        queries = _members_queries()
    except ImportError:
        queries = None
    info = {}
    pricing = getattr(queries, "member_pricing", None)
    if pricing is not None:
        info = pricing(member_id) or {}
    # the level's price (a percentage of the sale price, or the SKU's own member price) is the
    # catalog price rule's; a separate level discount at the member stage only if one is named so
    percent = info.get("level_discount_percent")
    percent = int(percent) if isinstance(percent, (int, float)) and 0 < percent < 100 else None
    price_percent = info.get("discount_percent")
    price_percent = int(price_percent) if isinstance(price_percent, (int, float)) and 0 < price_percent < 100 else 100
    rule, balance = None, 0
    if points > 0 and getattr(queries, "points_rule", None) is not None:
        rule = _points_rule(queries.points_rule())
        balance = int(queries.points_balance(member_id) or 0) if rule else 0
    return engine.Shopper(member_id=member_id, level_code=info.get("level_code") or member_group or "",
                          level_name=str(info.get("level_name") or ""),
                          segment_ids=tuple(info.get("segment_ids") or ()), level_discount_percent=percent,
                          level_price_percent=price_percent, free_shipping=bool(info.get("free_shipping")),
                          points_balance=balance, points_rule=rule)


def _points_rule(raw) -> dict | None:
    """The member center's points rule as {value_per_100, max_percent} (None: points off)."""
    if not raw:
        return None
    raw = raw if isinstance(raw, dict) else vars(raw)
    if raw.get("enabled") is False:
        return None
    value = raw.get("value_per_100")
    if value is None and raw.get("points_per_yuan"):      # points worth ¥1
        value = 10_000 // int(raw["points_per_yuan"])
    percent = raw.get("max_share_percent") or raw.get("max_percent") or 100
    return {"value_per_100": int(value or 100), "max_percent": int(percent)} if value != 0 else None


def quote_for(sku, quantity: int, shopper: engine.Shopper):
    """The catalog's price for the shopper's level (its member price or level percentage)."""
    if shopper.level_code and shopper.level_price_percent < 100:
        try:
            return sku.quote(quantity, shopper.level_code, shopper.level_price_percent)
        except TypeError:    # a catalog price rule without level percentages
            pass
    return sku.quote(quantity, shopper.level_code or None)


# --- rules ------------------------------------------------------------------------------------------

def rule_of(p: Promotion, key: str | None = None) -> engine.Rule:
    def left(limit, used):
        return None if limit is None else limit - used

    return engine.Rule(key or f"p:{p.id}", p.name, p.kind, dict(p.params or {}), p.target_type,
                       tuple(p.target_ids or ()), tuple(p.exclude_product_ids or ()), tuple(p.level_codes or ()),
                       tuple(p.segment_ids or ()), p.stack_group or "", bool(p.exclusive), bool(p.allow_below_cost),
                       p.priority if p.priority is not None else 100, p.starts_at, p.ends_at,
                       left(p.budget_total, p.budget_used or 0), left(p.uses_limit, p.uses_count or 0),
                       seq=p.id or 2 ** 31)


def coupon_rule(coupon: Coupon, template: CouponTemplate) -> engine.Rule:
    params = {"threshold": template.threshold, "amount": template.amount, "percent": template.percent,
              "max_discount": template.max_discount}
    return engine.Rule(f"c:{coupon.id}", template.name, template.kind, params, template.target_type,
                       tuple(template.target_ids or ()), tuple(template.exclude_product_ids or ()),
                       starts_at=coupon.valid_from, ends_at=coupon.valid_until, combinable=template.combinable,
                       source="coupon")


def live_promotions(now: datetime) -> list[Promotion]:
    """The active promotions whose window has not ended (one statement)."""
    return db.session.scalars(select(Promotion).where(
        Promotion.status == "active", or_(Promotion.ends_at.is_(None), Promotion.ends_at > now))
        .order_by(Promotion.priority, Promotion.id)).all()


def _member_uses(member_id: int, promotion_ids: list[int]) -> dict[int, int]:
    if not member_id or not promotion_ids:
        return {}
    return dict(db.session.execute(select(PromotionUse.promotion_id, func.count()).where(
        PromotionUse.member_id == member_id, PromotionUse.promotion_id.in_(promotion_ids),
        PromotionUse.released.is_(False)).group_by(PromotionUse.promotion_id)).all())


def _coupons(member_id: int | None, coupon_ids) -> list[tuple[Coupon, CouponTemplate]]:
    ids = [int(c) for c in coupon_ids or () if str(c).isdigit()]
    if not member_id or not ids:
        return []
    return db.session.execute(select(Coupon, CouponTemplate).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
                              .where(Coupon.id.in_(ids), Coupon.member_id == member_id, Coupon.status == "unused")
                              .order_by(Coupon.id)).all()


# --- the service ----------------------------------------------------------------------------------------

def price_cart(items: dict[int, int], *, skus: dict | None = None, shipping_fee: int = 0, member_id: int | None = None,
               member_group: str | None = None, coupon_ids=(), points: int = 0, now: datetime | None = None,
               draft: Promotion | None = None, live: bool = True, exclude=(), flash_prices: dict | None = None,
               gift_stock=None, trial_coupons=(), special: str = "flash") -> Priced:
    """Price a cart ({SKU id: quantity}) for a shopper through every stage of the pipeline. A
    read: nothing is written or reserved. `skus` are catalog snapshots the caller read already;
    `draft` adds an unsaved or draft promotion (the simulator); `trial_coupons` are coupon
    templates priced as if the shopper held one of each (the simulator); `live=False` leaves the
    live promotions out; `exclude` names rule keys to leave out (ran out since); `flash_prices`
    are a flash claim's or (`special="group"`) a group buy's prices."""
    from app.blueprints.catalog import queries as catalog

    now = now or utcnow()
    skus = skus if skus is not None else catalog.sellable_skus(items)
    shopper = shopper_of(member_id, member_group, points)
    quotes, lines = {}, []
    for sku_id, quantity in items.items():
        sku = skus.get(sku_id)
        if sku is None or quantity < 1:
            continue
        quote = quote_for(sku, quantity, shopper)
        quotes[sku_id] = quote
        lines.append(engine.Item(sku_id, sku.product_id, quantity, quote.unit_price, sku.cost_price, sku.category_id,
                                 sku.brand_id, sku.title, sku.label, sku.list_price, quote.code))
    promotions = live_promotions(now) if live and not flash_prices else []   # a flash price stands alone
    if draft is not None:
        promotions = [p for p in promotions if p.id != draft.id] + [draft]
    uses = _member_uses(member_id, [p.id for p in promotions if p.per_member_limit and p.id])
    rules = {}
    for p in promotions:
        rule = rule_of(p, "draft" if p is draft else None)
        if p.per_member_limit and member_id:
            rule.member_uses_left = p.per_member_limit - uses.get(p.id, 0)
        if rule.key not in exclude:
            rules[rule.key] = rule
    coupons = []
    for coupon, template in _coupons(member_id, () if flash_prices else coupon_ids):
        rule = coupon_rule(coupon, template)
        if rule.key not in exclude:
            coupons.append(rule)
            rules[rule.key] = rule
    for template in trial_coupons:
        rule = coupon_rule(Coupon(id=f"t{template.id}", valid_from=template.valid_from, valid_until=template.valid_until),
                           template)
        coupons.append(rule)
        rules[rule.key] = rule
    available = gift_stock or _gift_available
    result = engine.run(lines, [r for r in rules.values() if r.source != "coupon"], shopper, now, shipping_fee,
                        coupons, points, flash_prices, available, special)
    return Priced(result, skus, quotes, shopper, tuple(coupon_ids or ()), points, rules)


def _gift_available(sku_id, quantity) -> bool:
    from app.blueprints.catalog import queries as catalog
    from app.blueprints.inventory import services as inventory

    if not isinstance(sku_id, int) or not catalog.sellable_skus([sku_id]):
        return False
    return inventory.sellable([sku_id]).get(sku_id, 0) >= quantity


def gift_lines(priced: Priced) -> list[tuple]:
    """(SKU snapshot, quantity) of the gifts the order promotions gave."""
    from app.blueprints.catalog import queries as catalog

    ids = [sku_id for _k, sku_id, _q in priced.result.gifts]
    snaps = catalog.sellable_skus(ids) if ids else {}
    return [(snaps[sku_id], quantity) for _k, sku_id, quantity in priced.result.gifts if sku_id in snaps]


# --- placing: budgets, uses, coupons, points, the kept explanation --------------------------------

def _lock_member(promotion_id: int, member_id: int) -> None:
    db.session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": 7_150_000 + promotion_id % 1_000_000,
                                                                     "b": member_id})


def needs_claim(priced: Priced) -> bool:
    """Whether placing this priced order takes from a promotion or a coupon (else nothing to claim)."""
    return any(step.key.startswith(("p:", "c:")) for step in priced.result.steps)


def claim(priced: Priced, member_id: int | None) -> None:
    """Take what the priced order uses from each promotion's budget and uses, check the member's
    limit and lock the coupons, each with one conditional UPDATE (in the caller's transaction;
    run it inside a savepoint). Raises PromotionGone naming the rule that ran out."""
    amounts: dict[str, int] = {}
    for step in priced.result.steps:
        if step.key.startswith(("p:", "c:")):
            amounts[step.key] = amounts.get(step.key, 0) + step.amount
    goods = priced.result.goods_total
    for key, amount in sorted(amounts.items()):
        kind, _sep, raw = key.partition(":")
        rule_id = int(raw)
        if kind == "p":
            if member_id and (rule := priced.rules.get(key)) is not None and rule.member_uses_left is not None:
                _lock_member(rule_id, member_id)
                used = _member_uses(member_id, [rule_id]).get(rule_id, 0)
                limit = db.session.scalar(select(Promotion.per_member_limit).where(Promotion.id == rule_id))
                if limit is not None and used >= limit:
                    raise PromotionGone(key, _("You have used “%(name)s” as often as it allows.", name=rule.name))
            done = db.session.execute(update(Promotion).where(
                Promotion.id == rule_id, Promotion.status == "active",
                or_(Promotion.budget_total.is_(None), Promotion.budget_used + amount <= Promotion.budget_total),
                or_(Promotion.uses_limit.is_(None), Promotion.uses_count < Promotion.uses_limit))
                .values(budget_used=Promotion.budget_used + amount, uses_count=Promotion.uses_count + 1,
                        gmv=Promotion.gmv + goods).returning(Promotion.id)).first()
            if done is None:
                name = priced.rules[key].name if key in priced.rules else key
                raise PromotionGone(key, _("“%(name)s” ran out a moment ago; the total is worked out again.",
                                           name=name))
        else:
            now = utcnow()
            done = db.session.execute(update(Coupon).where(
                Coupon.id == rule_id, Coupon.member_id == member_id, Coupon.status == "unused",
                or_(Coupon.valid_from.is_(None), Coupon.valid_from <= now),
                or_(Coupon.valid_until.is_(None), Coupon.valid_until > now))
                .values(status="used", used_at=now).returning(Coupon.template_id)).first()
            if done is None:
                raise PromotionGone(key, _("That coupon cannot be used any more."))
            db.session.execute(update(CouponTemplate).where(CouponTemplate.id == done[0]).values(
                used=CouponTemplate.used + 1, discount_given=CouponTemplate.discount_given + amount,
                gmv=CouponTemplate.gmv + goods))


def record(order_id: int, member_id: int | None, priced: Priced, currency: str) -> None:
    """After the order row exists: its uses, its coupons' order, the points spent (through the
    member center) and the explanation kept with the order."""
    goods = priced.result.goods_total
    amounts: dict[str, int] = {}
    for step in priced.result.steps:
        if step.key.startswith(("p:", "c:")):
            amounts[step.key] = amounts.get(step.key, 0) + step.amount
    for key, amount in amounts.items():
        kind, _sep, raw = key.partition(":")
        if kind == "p":
            db.session.add(PromotionUse(promotion_id=int(raw), order_id=order_id, member_id=member_id, amount=amount,
                                        goods=goods))
        else:
            db.session.execute(update(Coupon).where(Coupon.id == int(raw)).values(order_id=order_id))
    if priced.result.points_used:
        from app.blueprints.members import services as members

        members.spend_points(member_id, priced.result.points_used, order_id)
    r = priced.result
    if r.steps or r.skipped:   # an order no promotion looked at has nothing to explain
        db.session.add(OrderPricing(order_id=order_id, explanation=explanation(priced, currency)))


def release(order_id: int) -> int:
    """An order cancelled unpaid gives back what it took: budgets and uses of its promotions and
    its coupons (unused again while still valid). Once per order."""
    uses = db.session.scalars(select(PromotionUse).where(PromotionUse.order_id == order_id,
                                                         PromotionUse.released.is_(False)).with_for_update()).all()
    for use in uses:
        use.released = True
        db.session.execute(update(Promotion).where(Promotion.id == use.promotion_id).values(
            budget_used=func.greatest(Promotion.budget_used - use.amount, 0),
            uses_count=func.greatest(Promotion.uses_count - 1, 0), gmv=func.greatest(Promotion.gmv - use.goods, 0)))
    now = utcnow()
    coupons = db.session.scalars(select(Coupon).where(Coupon.order_id == order_id, Coupon.status == "used")
                                 .with_for_update()).all()
    for coupon in coupons:
        coupon.status = "unused" if coupon.valid_until is None or coupon.valid_until > now else "expired"
        coupon.order_id, coupon.used_at = None, None
        db.session.execute(update(CouponTemplate).where(CouponTemplate.id == coupon.template_id).values(
            used=func.greatest(CouponTemplate.used - 1, 0)))
    return len(uses) + len(coupons)


# --- explaining --------------------------------------------------------------------------------------

def explanation(priced: Priced, currency: str) -> dict:
    """The breakdown as plain JSON (kept with the order, answered by the API): every line with
    the steps that took from it, every rule applied in order with its amount, every rule skipped
    with its reason code. Labels are added at display time in the reader's language (`describe`)."""
    r = priced.result
    return {
        "currency": currency,
        "lines": [{"sku_id": l.item.sku_id, "title": l.item.title, "label": l.item.label, "quantity": l.item.quantity,
                   "unit_price": l.item.unit_price, "list_price": l.item.list_price, "price_rule": l.item.price_rule,
                   "base": l.base, "floor": l.floor, "discount": l.discount, "paid": l.amount,
                   "steps": [{"key": k, "amount": a} for k, a in l.steps]} for l in r.lines],
        "applied": [{"key": s.key, "name": s.name, "kind": s.kind, "stage": s.stage, "amount": s.amount,
                     "note": s.note} for s in r.applied()],
        "skipped": [{"key": s.key, "name": s.name, "stage": s.stage, "reason": s.reason, "params": s.params}
                    for s in r.skipped],
        "gifts": [{"key": k, "sku_id": sku_id, "quantity": q} for k, sku_id, q in r.gifts],
        "goods_total": r.goods_total, "discount_total": r.discount_total, "shipping_fee": r.shipping_fee,
        "shipping_discount": r.shipping_discount, "shipping_payable": r.shipping_payable,
        "points_used": r.points_used, "points_amount": r.points_amount, "payable": r.payable,
    }


def describe(data: dict) -> dict:
    """An explanation with its labels in the reader's language (stage, kind, reason), and the
    goods after their discounts (`goods_after_discounts`, before freight), which the cart shows."""
    def name_of(item):
        if item["key"] == "points":
            return _("Points")
        if item["key"] == "flash":
            return _("Flash price")
        if item["key"] == "group":
            return _("Group price")
        if item["key"] == "level" and not item.get("name"):
            return _("Member level")
        return item.get("name") or item["key"]

    applied = [{**a, "name": name_of(a), "stage_label": str(STAGE_LABELS.get(a["stage"], a["stage"])),
                "kind_label": str(KIND_LABELS.get(a["kind"], a["kind"]))} for a in data.get("applied", [])]
    skipped = [{**s, "name": name_of(s), "stage_label": str(STAGE_LABELS.get(s["stage"], s["stage"])),
                "reason_label": str(REASONS.get(s["reason"], s["reason"]))} for s in data.get("skipped", [])]
    return {**data, "applied": applied, "skipped": skipped,
            "goods_after_discounts": data.get("goods_total", 0) - data.get("discount_total", 0)}


def order_explanation(order_id: int) -> dict | None:
    """The breakdown kept for an order (None for an order placed before promotions existed).
    A group order kept before group prices had their own key says "flash": it reads "group"."""
    row = db.session.get(OrderPricing, order_id)
    if row is None:
        return None
    data = row.explanation
    if any(a["key"] == "flash" for a in data.get("applied", [])) and db.session.scalar(
            select(GroupMember.id).where(GroupMember.order_id == order_id)):
        data = _as_group(data)
    return describe(data)


def _as_group(data: dict) -> dict:
    def fix(step):
        return {**step, "key": "group", "kind": "group_price"} if step.get("key") == "flash" else step

    return {**data, "applied": [fix(a) for a in data.get("applied", [])],
            "lines": [{**l, "steps": [fix(st) for st in l.get("steps", [])]} for l in data.get("lines", [])]}
