"""Prices beyond the SKU's own: member-level prices, quantity ladders, and the one price
service that orders and promotions call."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.catalog.models import Sku, TierPrice
from app.core import audit
from app.core.errors import DomainError, DuplicateCode
from app.core.tenancy import current_store
from app.extensions import db


@dataclass(frozen=True)
class PriceQuote:
    sku_id: int
    quantity: int
    unit_price: int          # minor units
    total: int
    currency: str
    rule: str                # "sale" | "member" | "ladder"
    reason: str              # for people: why this price
    detail: str = ""         # the member group, or the ladder's minimum quantity

    @property
    def code(self) -> str:
        """What an order line keeps: "sale", "member:<group>" or "ladder:<n>" (see rule_label)."""
        return f"{self.rule}:{self.detail}" if self.detail else self.rule


def add_tier_price(actor, sku: Sku, price: int, member_group: str | None = None,
                   min_quantity: int | None = None) -> TierPrice:
    """A member-level price (give `member_group`) or a ladder price (give `min_quantity` > 1)."""
    group = (member_group or "").strip() or None
    if (group is None) == (min_quantity is None):
        raise DomainError(_("Give either a member level or a minimum quantity."), field="member_group")
    if group is not None:
        from app.blueprints.members import queries as members

        if group not in {code for code, _name in members.level_choices()}:
            raise DomainError(_("Choose one of the store's member levels."), field="member_group")
    if min_quantity is not None and min_quantity < 2:
        raise DomainError(_("A ladder price starts at 2 pieces or more."), field="min_quantity")
    if price < 0:
        raise DomainError(_("Prices must be amounts of zero or more."), field="price")
    clash = select(TierPrice.id).where(TierPrice.sku_id == sku.id,
                                       TierPrice.member_group == group if group else TierPrice.min_quantity == min_quantity)
    if db.session.scalar(clash):
        raise DuplicateCode(_("That SKU has this price rule already; delete it first."), field="member_group")
    tier = TierPrice(sku_id=sku.id, member_group=group, min_quantity=min_quantity, price=price)
    db.session.add(tier)
    audit.record(actor, "price.tier_added", sku, label=sku.code,
                 changes={"member_group": [None, group], "min_quantity": [None, min_quantity], "price": [None, price]})
    return tier


def remove_tier_price(actor, tier: TierPrice) -> None:
    sku = db.session.get(Sku, tier.sku_id)
    audit.record(actor, "price.tier_removed", sku, label=sku.code,
                 changes={"member_group": [tier.member_group, None], "min_quantity": [tier.min_quantity, None]})
    db.session.delete(tier)


def quote(sku_id: int, quantity: int = 1, member_group: str | None = None, level_discount: int = 100) -> PriceQuote:
    """The unit price of a SKU for this quantity and customer group, and why: the lowest of
    the sale price, the group's member price (its own price for the SKU, else `level_discount`
    percent of the sale price) and the best ladder price reached."""
    if quantity < 1:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    sku = db.session.get(Sku, sku_id)
    if sku is None or not sku.enabled:
        raise DomainError(_("This SKU does not exist or is disabled."), field="sku_id")
    tiers = db.session.execute(select(TierPrice.member_group, TierPrice.min_quantity, TierPrice.price)
                               .where(TierPrice.sku_id == sku_id)).all()
    return best_price(sku_id, sku.sale_price, tiers, quantity, member_group, level_discount)


def best_price(sku_id: int, sale_price: int, tiers, quantity: int, member_group: str | None = None,
               level_discount: int = 100) -> PriceQuote:
    """The price rule itself, on values already read: `tiers` are (member group, minimum
    quantity, price) rows of the SKU (a snapshot from catalog.queries carries them).
    `member_group` is the code of the shopper's member level (members.queries.member_pricing);
    the level's own price for the SKU wins over its `level_discount` (percent of the sale price)."""
    if quantity < 1:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    candidates = [(sale_price, "sale", "")]
    level_price = None
    for group, min_quantity, price in tiers:
        if member_group and group == member_group:
            level_price = price
        elif min_quantity is not None and quantity >= min_quantity:
            candidates.append((price, "ladder", str(min_quantity)))
    if member_group and level_price is None and 0 < level_discount < 100:
        level_price = sale_price * level_discount // 100
    if member_group and level_price is not None:
        candidates.append((level_price, "member", member_group))
    unit, rule, detail = min(candidates, key=lambda c: (c[0], c[1] != "sale"))
    return PriceQuote(sku_id, quantity, unit, unit * quantity, current_store().currency, rule,
                      rule_label(f"{rule}:{detail}" if detail else rule), detail)


def rule_label(code: str) -> str:
    """A kept price rule in the reader's language; text kept before rules were codes stays as it is."""
    rule, _sep, detail = (code or "").partition(":")
    if rule == "sale" and not detail:
        return _("sale price")
    if rule == "member" and detail:
        return _("member price for %(group)s", group=detail)
    if rule == "ladder" and detail.isdigit():
        return _("%(n)d or more pieces", n=int(detail))
    return code or ""
