"""Order operations: placing an order (one transaction: check, price, reserve, snapshot,
emit), the status machine with its timeline, and the staff actions. The caller commits."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.blueprints.catalog import queries as catalog_queries, services as catalog
from app.blueprints.inventory import services as inventory
from app.blueprints.members import queries as member_queries
from app.blueprints.orders.models import ORDER_TYPES, Order, OrderEvent, OrderLine, OrderSettings
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

STATUS_LABELS = {"pending_payment": _l("Pending payment"), "paid": _l("Paid"), "allocated": _l("Allocated"),
                 "partially_shipped": _l("Partially shipped"),
                 "shipped": _lp("order status", "Shipped"), "delivered": _l("Delivered"), "completed": _l("Completed"),
                 "cancelled": _l("Cancelled"), "closed": _l("Closed")}
# Order.source, in the words of the order pages (the finance center's sales by channel uses them too)
SOURCE_LABELS = {"storefront": _l("Shop"), "api": _l("Shop API"), "staff": _l("Entered by staff")}
ACTION_LABELS = {"created": _l("Order placed"), "note": _l("Internal note"), "address_changed": _l("Address changed"),
                 "refunded": _l("Refunded %(amount)s"), "parcel_shipped": _l("Parcel %(notice)s shipped"),
                 "units_cancelled": _l("%(units)s unit(s) will not ship: refunded before shipment"),
                 # the after-sales center's steps on the order's timeline (record_aftersales)
                 "aftersales_requested": _l("After-sales request %(request)s opened"),
                 "aftersales_approved": _l("After-sales request %(request)s approved"),
                 "aftersales_rejected": _l("After-sales request %(request)s rejected"),
                 "aftersales_returned": _l("Goods of after-sales request %(request)s sent back"),
                 "aftersales_received": _l("Goods of after-sales request %(request)s received"),
                 "aftersales_refunded": _l("After-sales request %(request)s refunded"),
                 "aftersales_exchange_shipped": _l("Replacement of after-sales request %(request)s shipped"),
                 "aftersales_closed": _l("After-sales request %(request)s closed"),
                 "aftersales_cancelled": _l("After-sales request %(request)s cancelled")}
AFTERSALES_STEPS = {key.removeprefix("aftersales_") for key in ACTION_LABELS if key.startswith("aftersales_")}
ORDER_STATES = StateMachine("order", {
    "pending_payment": {"paid", "cancelled"},
    "paid": {"allocated", "closed"},
    "allocated": {"partially_shipped", "shipped", "closed"},
    # refunded in full after the goods left (everything came back, or never arrived): closed
    "partially_shipped": {"shipped", "closed"},
    "shipped": {"delivered", "closed"},
    "delivered": {"completed", "closed"},
    "completed": {"closed"},
}, STATUS_LABELS, timeline=OrderEvent, actions=ACTION_LABELS, emits=True, audit_label="number", internal={"note"},
    payload=lambda order, before: {"order_id": order.id, "number": order.number, "from": before})
ADDRESS_FIELDS = ("name", "phone", "province", "city", "district", "street", "postcode", "region_code")
MAX_LINES = 50


class IdempotencyConflict(DomainError):
    """The idempotency key was used for a different order (HTTP 409)."""


class StockGone(DomainError):
    """A payment came after the order's stock hold lapsed and the stock is sold out."""


@dataclass(frozen=True)
class LineRequest:
    sku_id: int
    quantity: int


def settings_for(order_type: str) -> OrderSettings:
    """The store's settings for an order type, created with defaults the first time."""
    from sqlalchemy.dialects.postgresql import insert

    settings = db.session.get(OrderSettings, order_type)
    if settings is None:  # concurrent first orders may race here: let the database decide
        db.session.execute(insert(OrderSettings).values(
            order_type=order_type, payment_timeout_minutes=30, auto_confirm_days=10, after_sales_days=7,
            shipping_fee=0, max_quantity_per_line=99, guest_checkout=False).on_conflict_do_nothing(index_elements=["order_type"]))
        settings = db.session.get(OrderSettings, order_type)
    return settings


def settings_or_defaults(order_type: str) -> OrderSettings:
    """Read only (a page view never writes): the stored settings, or unsaved defaults."""
    return db.session.get(OrderSettings, order_type) or OrderSettings(
        order_type=order_type, payment_timeout_minutes=30, auto_confirm_days=10, after_sales_days=7, shipping_fee=0,
        free_shipping_over=None, max_quantity_per_line=99, guest_checkout=False)


def lines_by_code(rows: list[tuple[str | None, int | None]]) -> list[LineRequest]:
    """Staff type SKU codes: each known code (any case) becomes a line of its quantity (1 when
    left empty); an unknown code is refused on its own row (`lines-N-sku_code`)."""
    out = []
    for index, (code, quantity) in enumerate(rows):
        code = (code or "").strip()
        if not code:
            continue
        sku_id = catalog_queries.sku_id_by_code(code)
        if sku_id is None:
            raise DomainError(_("No SKU with the code “%(code)s”.", code=code), field=f"lines-{index}-sku_code")
        out.append(LineRequest(sku_id, quantity or 1))
    return out


def _clean_address(address: dict) -> dict:
    clean = {f: str(address.get(f) or "").strip()[:120] for f in ADDRESS_FIELDS}
    country = str(address.get("country") or "CN").strip().upper()[:2]
    if country != "CN":         # an address abroad names its country (a mainland one keeps its old shape)
        clean["country"] = country
    for required in ("name", "phone", "city", "street"):
        if not clean[required]:
            raise DomainError(_("The address needs a %(field)s.", field=required), field=f"address_{required}")
    return clean


def _request_hash(lines, address, shopper, delivery_method, note, order_type) -> str:
    body = json.dumps({"lines": sorted((l.sku_id, l.quantity) for l in lines), "address": address, "shopper": shopper,
                       "delivery": delivery_method, "note": note, "type": order_type}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def fingerprint(**request_fields) -> str:
    """A digest of what a client sent with an idempotency key (the API body, the form), to
    tell a retry of the same request from a different request that reuses the key."""
    body = json.dumps(request_fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def order_for_key(shopper_id: int | None, key: str | None, request_hash: str) -> Order | None:
    """The order already placed by this shopper with this idempotency key, if any; the same key
    with a different request raises IdempotencyConflict. Keys are scoped to the shopper: another
    shopper's key is simply not found."""
    if not key:
        return None
    stmt = select(Order).where(Order.idempotency_key == key,
                               Order.shopper_id.is_(None) if shopper_id is None else Order.shopper_id == shopper_id)
    existing = db.session.scalar(stmt)
    if existing is not None and existing.request_hash != request_hash:
        raise IdempotencyConflict(_("This idempotency key was used for a different order."))
    return existing


def _number(order_id: int) -> str:
    """Date plus the order id: unique in the store without a race between checkouts."""
    return f"{utcnow():%y%m%d}{order_id:07d}"


def allocate_discount(line_amounts: list[int], discount: int) -> list[int]:
    """Split an order-level discount over lines in proportion to their amounts, in minor
    units, so that the shares add up exactly (the remainder goes to the largest lines).
    A later partial refund of a line knows its share."""
    total = sum(line_amounts)
    if discount < 0 or discount > total:
        raise DomainError(_("The discount cannot exceed the goods total."))
    if total == 0:
        return [0] * len(line_amounts)
    shares = [discount * amount // total for amount in line_amounts]
    remainder = discount - sum(shares)
    for index in sorted(range(len(line_amounts)), key=lambda i: (-line_amounts[i], i))[:remainder]:
        shares[index] += 1
    return shares


DELIVERY_METHODS = ("express", "pickup")


@dataclass(frozen=True)
class Shipping:
    """What delivery costs for an order: `source` is "pickup" (nothing), "template" (the
    store's freight templates, `quote` says how) or "settings" (the order type's flat fee,
    for a store without freight templates)."""

    fee: int
    source: str
    quote: object = None


def shipping_for(lines, region_code: str | None, delivery_method: str, goods: int, settings: OrderSettings,
                 member_free: bool = False) -> Shipping:
    """The shipping fee for these (SkuSnapshot, quantity, goods amount) lines to the region.
    Raises freight.Undeliverable when a product's template does not deliver there.
    `member_free`: the shopper's member level ships free (source "member"), where delivered."""
    from app.blueprints.logistics import freight

    if delivery_method == "pickup":
        return Shipping(0, "pickup")
    if member_free:
        freight.quote([freight.FreightLine(sku.freight_template_id, quantity, amount, sku.weight_grams,
                                           sku.volume_cm3, sku.title) for sku, quantity, amount in lines], region_code)
        return Shipping(0, "member")
    quote = freight.quote([freight.FreightLine(sku.freight_template_id, quantity, amount, sku.weight_grams,
                                               sku.volume_cm3, sku.title) for sku, quantity, amount in lines],
                          region_code)
    if quote is not None:
        return Shipping(quote.fee, "template", quote)
    free = settings.free_shipping_over is not None and goods >= settings.free_shipping_over
    return Shipping(0 if free else settings.shipping_fee, "settings")


@dataclass(frozen=True)
class CheckoutPreview:
    goods_total: int
    shipping: Shipping | None      # None when the address is not delivered to (see `error`)
    error: str | None = None
    priced: object = None          # promotions.pricing.Priced: the discounts, explained
    tax: object = None             # a cross-border store's tax estimate (crossborder.services.Estimate)

    @property
    def shipping_fee(self) -> int:
        return self.shipping.fee if self.shipping else 0

    @property
    def discount_total(self) -> int:
        return self.priced.result.discount_total if self.priced is not None else 0

    @property
    def shipping_payable(self) -> int:
        """The freight after shipping promotions (包邮)."""
        if self.priced is None or self.shipping is None:
            return self.shipping_fee
        return self.shipping_fee - self.priced.result.shipping_discount

    @property
    def tax_total(self) -> int:
        return self.tax.total if self.tax is not None else 0

    @property
    def payable(self) -> int:
        return self.goods_total - self.discount_total + self.shipping_payable + self.tax_total


def cross_border_tax(lines: list[tuple[int, int]], shipping_fee: int, payer: dict | None, *, required: bool,
                     lock: bool = False):
    """The cross-border tax of these (sku_id, paid amount) lines if the store sells cross-border,
    else None. `required`: placing the order needs the payer's name and identity number; a
    preview without them assumes the payer's yearly limit unused."""
    from app.blueprints.crossborder import services as crossborder

    if not crossborder.enabled():
        return None, None
    checked = None
    if payer and (payer.get("name") or payer.get("id_number")):
        checked = crossborder.check_payer(payer.get("name"), payer.get("id_number"), payer.get("phone", ""))
    estimate = crossborder.estimate([crossborder.CustomsLine(sku_id, paid) for sku_id, paid in lines], shipping_fee,
                                    checked, lock=lock)
    if checked is None and required:
        raise DomainError(_("A cross-border order needs the payer's real name and identity card number."),
                          field="payer_id_number")
    return estimate, checked


def preview_checkout(items: dict[int, int], region_code: str | None, delivery_method: str = "express",
                     member_group: str | None = None, order_type: str = "normal",
                     shopper_id: int | None = None, payer: dict | None = None, *, member_id: int | None = None,
                     coupon_ids=(), points: int = 0) -> CheckoutPreview:
    """What placing this cart would charge, before the shopper submits (a read: nothing is
    written or reserved): the goods at the member's price (the member center's level), the
    shipping fee exactly as place_order will compute it, the discounts of the pricing pipeline
    and the total; an address the products are not delivered to gives the refusal message."""
    from app.blueprints.logistics import freight
    from app.blueprints.promotions import pricing

    shopper_id = shopper_id or member_id
    membership = member_queries.member_pricing(shopper_id, segments=False)
    member_group, discount = membership.level_code or member_group, membership.discount_percent
    skus = catalog_queries.sellable_skus(items)
    lines, goods = [], 0
    for sku_id, quantity in items.items():
        sku = skus.get(sku_id)
        if sku is None or quantity < 1:
            continue
        total = sku.quote(quantity, member_group, discount).total
        lines.append((sku, quantity, total))
        goods += total
    try:
        shipping = shipping_for(lines, region_code, delivery_method, goods, settings_or_defaults(order_type),
                                membership.free_shipping)
    except freight.Undeliverable as err:
        shipping, error = None, err.message
    else:
        error = None
    priced = pricing.price_cart(items, skus=skus, shipping_fee=shipping.fee if shipping else 0, member_id=shopper_id,
                                member_group=member_group, coupon_ids=coupon_ids, points=points)
    estimate = None
    if shipping is not None and error is None and priced.lines:
        try:
            estimate, _payer = cross_border_tax([(l.item.sku_id, l.amount) for l in priced.lines],
                                                priced.result.shipping_payable, payer, required=False)
        except DomainError as err:
            error = err.message
    return CheckoutPreview(priced.result.goods_total, shipping, error, priced, estimate)


def place_order(lines: list[LineRequest], address: dict, *, shopper: dict, shopper_id: int | None = None,
                delivery_method: str = "express", note: str = "", order_type: str = "normal",
                idempotency_key: str | None = None, member_group: str | None = None, source: str = "storefront",
                request_hash: str | None = None, actor=None, key_checked: bool = False,
                payer: dict | None = None, coupon_ids=(), points: int = 0, flash_prices: dict | None = None,
                payment_minutes: int | None = None) -> Order:
    """Place an order in one transaction: check every line (on sale, enabled, quantity
    limits), price it through the price service, reserve the stock, write the order with
    snapshots and emit `order.created`. With an idempotency key a resubmission returns the
    same order (also when retries arrive at once); the same key with a different request
    raises IdempotencyConflict. `request_hash` (see `fingerprint`) names the request when its
    content is not the lines (a checkout from the cart); by default it is the order's content.
    `key_checked`: the caller has just looked the key up with `order_for_key` (a concurrent
    first use is still caught when the order is written).
    `payer` ({name, id_number, phone}): in a store that sells cross-border, the person who
    orders and pays; the order's cross-border tax is added to its payable and its customs
    declaration recorded (crossborder center). The discounts come from the promotion center's
    pricing pipeline (promotions, the shopper's `coupon_ids`, `points`); each line keeps its
    exact share (lines' discounts add up to the order's) and the order keeps the explanation."""
    if order_type not in ORDER_TYPES:
        raise DomainError(_("Unknown order type."), field="order_type")
    if order_type in ("flash_sale", "group_buy") and not flash_prices:
        # placed by the promotion center only: a flash claim or a group buy sets the price
        raise DomainError(_("Flash sale and group buy orders are placed from their promotion."), field="order_type")
    if order_type not in ("normal", "flash_sale", "group_buy"):
        raise DomainError(_("%(type)s orders open with the promotions work; use a normal order.", type=order_type))
    if not lines:
        raise DomainError(_("The order has no lines."), field="lines")
    if delivery_method not in DELIVERY_METHODS:
        raise DomainError(_("Choose express delivery or pickup."), field="delivery_method")
    if len(lines) > MAX_LINES:
        raise DomainError(_("At most %(n)d lines per order.", n=MAX_LINES), field="lines")
    address = _clean_address(address)
    membership = member_queries.member_pricing(shopper_id, segments=False)   # the level price, free shipping
    if membership.blacklisted:
        raise DomainError(_("This account cannot place orders. Please contact the shop."))
    member_group, level_discount = membership.level_code or member_group, membership.discount_percent
    shopper = {k: str(shopper.get(k) or "").strip()[:120] for k in ("name", "email", "phone")}
    note = (note or "").strip()[:500]
    digest = request_hash or _request_hash(lines, address, shopper, delivery_method, note, order_type)
    existing = None if key_checked else order_for_key(shopper_id, idempotency_key, digest)
    if existing is not None:
        return existing
    settings = settings_for(order_type)
    merged: dict[int, int] = {}
    for line in lines:
        if line.quantity < 1 or line.quantity > settings.max_quantity_per_line:
            raise DomainError(_("Quantities go from 1 to %(n)d.", n=settings.max_quantity_per_line), field="lines")
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    skus = catalog_queries.sellable_skus(merged)   # one read: SKU, product, main image, price tiers
    import uuid

    order = Order(number=f"tmp-{uuid.uuid4().hex[:16]}", order_type=order_type, status="pending_payment", shopper_id=shopper_id,
                  shopper=shopper, address=address, delivery_method=delivery_method, note=note,
                  currency=current_store().currency, idempotency_key=idempotency_key, request_hash=digest, source=source,
                  payment_deadline=utcnow() + timedelta(minutes=payment_minutes or settings.payment_timeout_minutes))
    from app.blueprints.promotions import pricing

    goods, priced = 0, []
    for sku_id, quantity in merged.items():
        sku = skus.get(sku_id)
        if sku is None:
            raise DomainError(_("Item %(id)s is not for sale.", id=sku_id), field="lines")
        quote = sku.quote(quantity, member_group, level_discount)
        priced.append((sku, quantity, quote.total))
        goods += quote.total
    fee = shipping_for(priced, address.get("region_code"), delivery_method, goods, settings,
                       membership.free_shipping).fee
    gone: set[str] = set()
    result = _priced_lines(order, merged, skus, fee, shopper_id, member_group, coupon_ids, points, gone, flash_prices)
    customs, checked_payer = cross_border_tax([(l.sku_id, l.unit_price * l.quantity - l.discount) for l in order.lines],
                                              order.shipping_fee, payer, required=True, lock=True)
    order.tax_total = customs.total if customs is not None else 0
    order.payable += order.tax_total
    if idempotency_key is None:  # nothing to race for: no savepoint needed
        db.session.add(order)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():  # a concurrent retry with the same key waits here for the first
                db.session.add(order)
                db.session.flush()
        except IntegrityError:
            existing = order_for_key(shopper_id, idempotency_key, digest)
            if existing is None:
                raise
            return existing
    order.number = _number(order.id)
    order.search_text = " ".join([order.number, *shopper.values(), address["name"], address["phone"],
                                  *[f"{l.sku_code} {l.title}" for l in order.lines]]).lower()
    while pricing.needs_claim(result):   # a promotion that ran out since the shopper looked is left out,
        try:                              # and the order priced again
            with db.session.begin_nested():
                pricing.claim(result, shopper_id)
            break
        except pricing.PromotionGone as err:
            if err.key in gone:
                raise
            gone.add(err.key)
            result = _priced_lines(order, merged, skus, fee, shopper_id, member_group, coupon_ids, points, gone,
                                   flash_prices)
            order.payable += order.tax_total
            db.session.flush()
    for line in order.lines:
        if line.price_rule == "gift":   # 满赠: the gift is reserved with the goods
            merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    inventory.reserve([inventory.Line(s, q) for s, q in merged.items()], order.reservation_ref,
                      expires_at=order.payment_deadline + timedelta(minutes=5), actor=actor, fresh=True)
    if customs is not None:
        from app.blueprints.crossborder import services as crossborder

        crossborder.record_declaration(order.id, order.number, customs, checked_payer)
    pricing.record(order.id, shopper_id, result, order.currency)
    ORDER_STATES.start(order, actor, payable=order.payable, source=source)
    emit("order.created", {"order_id": order.id, "number": order.number, "payable": order.payable,
                           "currency": order.currency, "shopper_id": shopper_id})
    return order


def _priced_lines(order: Order, merged: dict[int, int], skus: dict, fee: int, shopper_id, member_group, coupon_ids,
                  points: int, gone: set[str], flash_prices: dict | None = None):
    """The order's lines and totals from the promotion center's pricing pipeline (the lines are
    written afresh, so a second pricing after a promotion ran out replaces the first)."""
    from app.blueprints.promotions import pricing

    result = pricing.price_cart(merged, skus=skus, shipping_fee=fee, member_id=shopper_id, member_group=member_group,
                                coupon_ids=coupon_ids, points=points, exclude=gone, flash_prices=flash_prices,
                                special="group" if order.order_type == "group_buy" else "flash")
    order.lines[:] = []
    for line in result.lines:
        sku, quote = skus[line.item.sku_id], result.quotes[line.item.sku_id]
        order.lines.append(OrderLine(sku_id=sku.sku_id, product_id=sku.product_id, title=sku.title, sku_code=sku.code,
                                     options=dict(sku.options), image=sku.image, unit_price=quote.unit_price,
                                     quantity=line.item.quantity, discount=line.discount, price_rule=quote.code))
    for sku, quantity in pricing.gift_lines(result):   # 满赠: the gift rides along at no charge
        order.lines.append(OrderLine(sku_id=sku.sku_id, product_id=sku.product_id, title=sku.title, sku_code=sku.code,
                                     options=dict(sku.options), image=sku.image, unit_price=0, quantity=quantity,
                                     discount=0, price_rule="gift"))
    order.goods_total, order.discount_total = result.result.goods_total, result.result.discount_total
    order.shipping_fee = result.result.shipping_payable
    order.payable = result.result.payable
    return result


def _move(order: Order, actor, target: str, reason: str = "", **data) -> None:
    ORDER_STATES.move(order, target, actor, reason, **data)


def mark_paid(actor, order: Order, reference: str = "", offline: bool = False) -> Order:
    """Record the payment (offline by staff, or from the payment center). The order's stock
    hold becomes permanent; a hold that lapsed is reserved again, and if the stock is gone
    StockGone is raised and nothing changes: an order is never paid without its stock."""
    if offline and not (reference or "").strip():
        raise DomainError(_("Give the payment reference (bank transfer, receipt number)."), field="reference")
    return _pay(actor, order, _("paid offline") if offline else "", reference=reference.strip()[:80])


def record_payment(order: Order, payment_number: str, amount: int, actor=None) -> Order:
    """The payment center took the order's money: the order is paid (its timeline names the
    payment), with the same stock guarantee as mark_paid (StockGone when the stock is gone)."""
    return _pay(actor, order, "", payment=payment_number, amount=amount)


def paid_by(order: Order, payment_number: str) -> bool:
    """Was the order paid by this very payment (its timeline's "paid" row names it)?"""
    return any(e.action == "paid" and e.data.get("payment") == payment_number for e in ORDER_STATES.history(order))


def _pay(actor, order: Order, reason: str, **data) -> Order:
    ORDER_STATES.check(order.status, "paid")
    try:  # from now on the stock is held until the order ships or is closed
        inventory.hold(order.reservation_ref, actor)
    except inventory.OutOfStock:
        raise StockGone(_("Order %(number)s was paid after its stock hold lapsed, and the stock has sold out "
                          "since: the order cannot be paid; refund the payment.", number=order.number))
    _move(order, actor, "paid", reason, **data)
    order.paid_at = utcnow()
    return order


def record_refund(order: Order, amount: int, *, refund_id: int, request_id: str = "", full: bool = False,
                  actor=None) -> Order:
    """The payment center paid money back: the order's timeline says how much; a paid order
    refunded in full before it shipped is closed and its stock goes back. Idempotent per refund."""
    if any(e.data.get("refund_id") == refund_id for e in ORDER_STATES.history(order) if e.action == "refunded"):
        return order
    ORDER_STATES.record(order, actor, "refunded", amount=amount, refund_id=refund_id, request_id=request_id)
    if full and order.status in ("paid", "allocated"):
        close_order(actor, order, _("refunded in full"))
    return order


def close_refunded(actor, order: Order, reason: str) -> Order:
    """After-sales paid back everything of an order whose goods had left (all returned, or never
    arrived): the order is closed (an unshipped rest is intercepted by dispatch on order.closed).
    Before shipment this is close_order (the stock goes back). Closed already: nothing changes."""
    if order.status in ("closed", "cancelled"):
        return order
    if order.status in ("paid", "allocated"):
        return close_order(actor, order, reason)
    partly = order.status == "partially_shipped"
    _move(order, actor, "closed", reason)
    if partly:          # what has not left yet goes back to stock
        inventory.release(order.reservation_ref, actor)
    order.finished_at = utcnow()
    return order


def record_aftersales(actor, order: Order, step: str, request_number: str, reason: str = "") -> None:
    """The after-sales center's step on one of the order's requests goes on the order's timeline."""
    if step not in AFTERSALES_STEPS:
        raise ValueError(f"unknown after-sales step {step!r}")
    ORDER_STATES.record(order, actor, f"aftersales_{step}", reason, request=request_number)


def cancel_order(actor, order: Order, reason: str) -> Order:
    """Cancel an unpaid order; its reserved stock goes back."""
    if not (reason or "").strip():
        raise DomainError(_("Give a reason for cancelling."), field="reason")
    _move(order, actor, "cancelled", reason)
    inventory.release(order.reservation_ref, actor)
    order.finished_at = utcnow()
    return order


def close_order(actor, order: Order, reason: str) -> Order:
    """Close a paid order that will not ship (refund follows in the payment center). Once part
    of it has left, only a full refund closes it (close_refunded)."""
    if not (reason or "").strip():
        raise DomainError(_("Give a reason for closing."), field="reason")
    if order.status not in ("paid", "allocated"):
        raise IllegalTransition(_("Cannot go from “%(a)s” to “%(b)s”.", a=STATUS_LABELS[order.status],
                                  b=STATUS_LABELS["closed"]))
    _move(order, actor, "closed", reason)
    inventory.release(order.reservation_ref, actor)
    order.finished_at = utcnow()
    return order


def allocate(actor, order: Order) -> Order:
    _move(order, actor, "allocated")
    return order


def ship(actor, order: Order, tracking: str = "") -> Order:
    """The goods left: the reservation becomes a shipment in the stock ledger, once. If the
    warehouse shipped the order already (a sales outbound), this is refused and changes nothing."""
    ORDER_STATES.check(order.status, "shipped")
    inventory.commit(order.reservation_ref, actor)
    return _shipped(actor, order, tracking=tracking.strip()[:80])


def record_parcel(actor, order: Order, notice_number: str, quantities: dict[int, int], **data) -> Order:
    """A parcel of the order left (dispatch shipped a delivery notice): each line's shipped
    quantity goes up by `quantities` (order line id → quantity) and the order moves to
    partially shipped, or shipped once every line has left. Once per notice: the same
    notice again changes nothing; more than a line ordered is refused."""
    if any(e.data.get("notice") == notice_number for e in ORDER_STATES.history(order) if e.action == "parcel_shipped"):
        return order
    lines = {line.id: line for line in order.lines}
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None or quantity <= 0 or quantity > line.to_ship:
            raise DomainError(_("Parcel %(notice)s ships more than order %(number)s has left to ship.",
                                notice=notice_number, number=order.number))
    if order.status == "paid":
        _move(order, actor, "allocated")
    if order.status != "partially_shipped":
        ORDER_STATES.check(order.status, "shipped")   # a closed or delivered order ships nothing more
    for line_id, quantity in quantities.items():
        lines[line_id].shipped_quantity += quantity
    ORDER_STATES.record(order, actor, "parcel_shipped", notice=notice_number, **data)
    if all(line.to_ship <= 0 for line in order.lines):
        _shipped(actor, order, document=notice_number)
    elif order.status == "allocated":
        _move(order, actor, "partially_shipped", document=notice_number)
    return order


def cancel_units(actor, order: Order, quantities: dict[int, int], reason: str = "") -> Order:
    """Some units of a paid order will not ship (refunded before shipment): each line's
    cancelled quantity goes up by `quantities` (order line id → units), at most what it has
    left to ship (more is refused and changes nothing). The caller (dispatch) takes them off
    the delivery notices and out of the reservation. When what is left has shipped already,
    the order is shipped; when nothing at all leaves, use close_order instead."""
    if order.status not in ("paid", "allocated", "partially_shipped"):
        raise IllegalTransition(_("Order %(number)s has nothing left to ship.", number=order.number))
    lines = {line.id: line for line in order.lines}
    wanted = {line_id: quantity for line_id, quantity in quantities.items() if quantity}
    for line_id, quantity in wanted.items():
        line = lines.get(line_id)
        if line is None or quantity < 0 or quantity > line.to_ship:
            raise DomainError(_("Order %(number)s does not have that many units left to ship.", number=order.number))
    if not wanted:
        return order
    if all(line.shipped_quantity == 0 and line.to_ship == wanted.get(line.id, 0) for line in order.lines):
        raise DomainError(_("Nothing of order %(number)s would ship: close the order instead.", number=order.number))
    for line_id, quantity in wanted.items():
        lines[line_id].cancelled_quantity += quantity
    ORDER_STATES.record(order, actor, "units_cancelled", reason, units=sum(wanted.values()),
                        lines={str(k): v for k, v in wanted.items()})
    if order.status == "partially_shipped" and all(line.to_ship <= 0 for line in order.lines):
        _shipped(actor, order, document="")
    return order


def record_shipment(actor, order: Order, document: str) -> Order:
    """The warehouse shipped this order's stock (a sales outbound committed its reservation):
    the order follows to shipped without deducting stock again."""
    if order.status == "paid":
        _move(order, actor, "allocated")
    if order.status == "allocated":
        _shipped(actor, order, document=document)
    return order


def _shipped(actor, order: Order, **data) -> Order:
    _move(order, actor, "shipped", **data)
    for line in order.lines:
        line.shipped_quantity = line.quantity - line.cancelled_quantity
    catalog.mark_sold([line.sku_id for line in order.lines])
    order.shipped_at = utcnow()
    return order


def deliver(actor, order: Order) -> Order:
    _move(order, actor, "delivered")
    order.delivered_at = utcnow()
    return order


def confirm_receipt(actor, order: Order) -> Order:
    _move(order, actor, "completed")
    order.finished_at = utcnow()
    return order


def add_note(actor, order: Order, text: str) -> None:
    if not (text or "").strip():
        raise DomainError(_("Write the note first."), field="note")
    ORDER_STATES.record(order, actor, "note", text.strip())


def change_address(actor, order: Order, address: dict) -> Order:
    if not order.address_changeable:
        raise DomainError(_("The address cannot change once the order has shipped."))
    before, order.address = order.address, _clean_address(address)
    ORDER_STATES.record(order, actor, "address_changed", before=before, after=order.address)
    return order


def save_settings(actor, order_type: str, values: dict) -> OrderSettings:
    """Change an order type's deadlines and shipping fee (in minor units)."""
    if order_type not in ORDER_TYPES:
        raise DomainError(_("Unknown order type."), field="order_type")
    settings = settings_for(order_type)
    limits = {"payment_timeout_minutes": (1, 7 * 24 * 60), "auto_confirm_days": (1, 60), "after_sales_days": (0, 365),
              "shipping_fee": (0, 10 ** 7), "max_quantity_per_line": (1, 9999)}
    for field, (low, high) in limits.items():
        value = values.get(field)
        if not isinstance(value, int) or not low <= value <= high:
            raise DomainError(_("%(field)s must be between %(low)d and %(high)d.", field=field, low=low, high=high),
                              field=field)
        setattr(settings, field, value)
    free = values.get("free_shipping_over")
    if free is not None and (not isinstance(free, int) or free < 0):
        raise DomainError(_("Cannot be negative."), field="free_shipping_over")
    settings.free_shipping_over = free
    settings.guest_checkout = bool(values.get("guest_checkout"))
    changes = audit.changes_of(settings)
    if changes:
        audit.record(actor, "order.settings_changed", None, label=order_type, changes=changes)
    return settings


def cancel_unpaid(now=None) -> int:
    """Payment timeout: cancel orders whose payment deadline passed; stock goes back."""
    now = now or utcnow()
    orders = db.session.scalars(select(Order).where(Order.status == "pending_payment", Order.payment_deadline < now)
                                .order_by(Order.id).limit(500).with_for_update(skip_locked=True)).all()
    for order in orders:
        cancel_order(None, order, _("not paid in time"))
    return len(orders)


def auto_confirm(now=None, limit: int = 500) -> int:
    """Delivered orders confirm themselves after the type's number of days, counted from delivery
    (the carrier's signature). Only orders that are due are read, oldest delivery first, so a
    backlog of orders still within their days never hides the ones that are due."""
    now = now or utcnow()
    count = 0
    for order_type in ORDER_TYPES:
        days = settings_for(order_type).auto_confirm_days
        for order in db.session.scalars(select(Order).where(
                Order.status == "delivered", Order.order_type == order_type,
                Order.delivered_at < now - timedelta(days=days)).order_by(Order.delivered_at).limit(limit - count)):
            confirm_receipt(None, order)
            count += 1
        if count >= limit:
            break
    return count


def shopper_order(shopper_id: int, number: str) -> Order | None:
    """The shopper's own order, for an action on it (cancel, confirm, pay); another shopper's
    order is None, like a missing one."""
    return db.session.scalar(select(Order).where(Order.number == number, Order.shopper_id == shopper_id))


def guest_checkout_open() -> bool:
    """Does the store let shoppers buy without an account (normal orders)?"""
    return bool(db.session.scalar(select(OrderSettings.guest_checkout).where(OrderSettings.order_type == "normal")))


def guest_order(number: str, phone: str | None = None) -> Order | None:
    """A guest's order (placed without an account, on the shop's pages or through its API) by its
    number, and when `phone` is given only if it is the phone the guest gave (as typed, or its 11
    digits; a number abroad with its +country code, spaces aside). Orders staff entered or imported without a shopper are never a guest's."""
    order = db.session.scalar(select(Order).where(Order.number == number, Order.shopper_id.is_(None),
                                                  Order.source.in_(("storefront", "api"))))
    if order is None or phone is None:
        return order
    from app.core.phones import comparable

    wanted = comparable(phone)
    given = {(order.shopper or {}).get("phone") or "", (order.address or {}).get("phone") or ""}
    return order if wanted and wanted in {comparable(g) for g in given if g} else None


def order_for_update(order_id: int) -> Order | None:
    """The order, locked for the rest of the transaction (another center is about to record
    a payment or a refund on it through this module's services)."""
    return db.session.get(Order, order_id, with_for_update=True)
