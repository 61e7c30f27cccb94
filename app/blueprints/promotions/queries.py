"""Read side of the promotion center: figures for the list pages, the simulator, and the
breakdown other centers show (the cart, the checkout, the order pages, the API)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.blueprints.promotions import pricing
from app.blueprints.promotions.models import Promotion
from app.core.errors import DomainError
from app.core.money import format_money
from app.core.tenancy import current_store
from app.extensions import db


class SimulatorError(DomainError):
    """The simulator's input cannot be priced (unknown SKU, order or member)."""


def budget_text(p: Promotion) -> str:
    parts = []
    if p.budget_total is not None:
        parts.append(_("%(used)s of %(total)s", used=format_money(p.budget_used, current_store().currency),
                       total=format_money(p.budget_total, current_store().currency)))
    if p.uses_limit is not None:
        parts.append(_("%(used)d of %(limit)d orders", used=p.uses_count, limit=p.uses_limit))
    return "; ".join(parts) or _("No limit")


def draft_choices() -> list[tuple[int, str]]:
    return db.session.execute(select(Promotion.id, Promotion.name).where(Promotion.status.in_(("draft", "paused")))
                              .order_by(Promotion.id.desc()).limit(200)).all()


def cart_breakdown(items: dict[int, int], member_id: int | None = None, member_group: str | None = None,
                   coupon_ids=(), skus: dict | None = None) -> dict:
    """The cart priced through the pipeline, described for a page or the API (no freight yet);
    `skus`: catalog snapshots the caller read already."""
    priced = pricing.price_cart(items, skus=skus, member_id=member_id, member_group=member_group,
                                coupon_ids=coupon_ids)
    return pricing.describe(pricing.explanation(priced, current_store().currency))


def describe(priced) -> dict:
    return pricing.describe(pricing.explanation(priced, current_store().currency))


def simulate(form) -> tuple[dict, dict | None]:
    """(the breakdown under the live promotions, the breakdown with the chosen draft added or None;
    the draft's `difference` is its payable less the live one)."""
    from app.blueprints.catalog import queries as catalog
    from app.blueprints.orders import queries as orders

    items: dict[int, int] = {}
    member_id = None
    if form.order_number.data:
        order_id = orders.order_id_of(form.order_number.data.strip())
        if order_id is None:
            raise SimulatorError(_("No order with the number “%(number)s”.", number=form.order_number.data.strip()))
        ref = orders.order_ref(order_id)
        for line in orders.lines_of(order_id):
            if line.unit_price > 0:   # a gift line is the promotions' to give again
                items[line.sku_id] = items.get(line.sku_id, 0) + line.quantity
        del ref
    try:
        lines = form.parsed_lines()
    except ValueError as err:
        raise SimulatorError(_("Line %(n)s: write a SKU code and a quantity, like ABC-01 x 2.", n=err.args[0]))
    for code, quantity in lines:
        sku_id = catalog.sku_id_by_code(code)
        if sku_id is None:
            raise SimulatorError(_("No SKU with the code “%(code)s”.", code=code))
        items[sku_id] = items.get(sku_id, 0) + quantity
    if not items:
        raise SimulatorError(_("Add a SKU to the cart, or give a past order's number."))
    if form.member_email.data:
        from app.blueprints.members import services as members

        member_id = members.member_id_by_email(form.member_email.data.strip())
        if member_id is None:
            raise SimulatorError(_("No shopper with the email “%(email)s”.", email=form.member_email.data.strip()))
    fee = form.shipping_fee.data or 0
    trial = trial_coupon(form.coupon_id.data)
    trial = (trial,) if trial is not None else ()
    live = pricing.price_cart(items, member_id=member_id, shipping_fee=fee, trial_coupons=trial)
    draft = None
    if form.draft_id.data and str(form.draft_id.data).isdigit():
        promotion = db.session.get(Promotion, int(form.draft_id.data))
        if promotion is not None and promotion.status in ("draft", "paused"):
            draft = describe(pricing.price_cart(items, member_id=member_id, shipping_fee=fee, draft=promotion,
                                                trial_coupons=trial))
            draft["difference"] = draft["payable"] - live.result.payable     # what the draft changes
    return describe(live), draft


def trial_coupon(raw):
    """The coupon template the simulator was asked to try (None: none, or not a template of this store)."""
    from app.blueprints.promotions.models import CouponTemplate

    if not raw or not str(raw).isdigit() or not 0 < int(raw) < 2 ** 31:
        return None
    return db.session.get(CouponTemplate, int(raw))


def coupon_choices() -> list[tuple[int, str]]:
    """(id, name) of the enabled coupon templates, newest first, for the simulator."""
    from app.blueprints.promotions.models import CouponTemplate

    return db.session.execute(select(CouponTemplate.id, CouponTemplate.name).where(CouponTemplate.enabled.is_(True))
                              .order_by(CouponTemplate.id.desc()).limit(200)).all()


def coupon_budget(template) -> dict:
    """What a coupon template has left to give: coupons still to issue, issued and unused, and
    the discount given so far (the simulator shows it beside the price)."""
    return {"left": template.quantity - template.issued, "issued": template.issued,
            "unused": template.issued - template.used, "given": template.discount_given}


def order_breakdown(order_id: int) -> dict | None:
    """How an order was priced (kept at placement), described; None before promotions existed."""
    return pricing.order_explanation(order_id)


def order_breakdown_by_number(number: str) -> dict | None:
    from app.blueprints.orders import queries as orders

    order_id = orders.order_id_of(number)
    return pricing.order_explanation(order_id) if order_id is not None else None


def has_promotions() -> bool:
    return db.session.scalar(select(Promotion.id).limit(1)) is not None


def group_waiting(order_id: int, lock: bool = False) -> bool:
    """Whether a group-buy order must wait for its group to fill before it ships (see
    groupbuy.waiting)."""
    from app.blueprints.promotions import groupbuy

    return groupbuy.waiting(order_id, lock=lock)


def group_teams(activity_id: int, limit: int = 100) -> list:
    """The newest groups of an activity, for its staff page (one statement)."""
    from app.blueprints.promotions.models import GroupTeam

    return db.session.scalars(select(GroupTeam).where(GroupTeam.activity_id == activity_id)
                              .order_by(GroupTeam.id.desc()).limit(limit)).all()


def group_of_order_number(number: str):
    """The group-buy group an order belongs to (None for other orders), for the order pages."""
    from app.blueprints.orders import queries as orders
    from app.blueprints.promotions import groupbuy

    order_id = orders.order_id_of(number)
    return groupbuy.team_of_order(order_id) if order_id is not None else None


def member_coupons(member_id: int, limit: int = 20) -> list[dict]:
    """A member's coupons for the staff member page, usable ones first: name, what it gives,
    status (an unused one past its validity reads expired), validity (one statement)."""
    from app.blueprints.promotions import coupons

    currency = current_store().currency
    out = []
    for coupon, template in coupons.wallet(member_id)[:limit]:
        status = "expired" if coupon.status == "unused" and not coupons.usable(coupon) else coupon.status
        out.append({"id": coupon.id, "name": template.name, "text": coupons.describe(template, currency),
                    "status": status, "status_label": str(coupons.STATUS_LABELS[status]),
                    "valid_until": coupon.valid_until, "order_id": coupon.order_id})
    return out


def discount_sources(order_id: int) -> dict[int, dict[str, int]]:
    """What each SKU's discount on an order was made of, from the breakdown kept at placement:
    {sku id: {"promotion": n, "coupon": n, "points": n}} in minor units (coupons are the coupon
    steps, points the points deduction, the rest promotions and member prices). Empty for an
    order without a kept breakdown (finance books its discount as promotions)."""
    from app.blueprints.promotions.models import OrderPricing

    row = db.session.get(OrderPricing, order_id)
    out: dict[int, dict[str, int]] = {}
    for line in ((row.explanation or {}).get("lines") or []) if row is not None else []:
        parts = out.setdefault(int(line["sku_id"]), {"promotion": 0, "coupon": 0, "points": 0})
        for step in line.get("steps") or []:
            key = str(step.get("key") or "")
            parts["coupon" if key.startswith("c:") else "points" if key == "points" else "promotion"] += \
                int(step.get("amount") or 0)
    return out
