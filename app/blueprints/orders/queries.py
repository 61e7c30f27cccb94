"""Read side of the order center that the storefront, the API and other centers use: plain
snapshots of orders with their lines and the shopper-facing timeline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import selectinload

from app.blueprints.orders.models import AWAITING_SHIPMENT, Order, OrderEvent, OrderLine
from app.extensions import db


@dataclass(frozen=True)
class LineView:
    sku_id: int
    sku_code: str
    title: str
    options: dict
    unit_price: int
    quantity: int
    discount: int
    id: int = 0              # the line's id (refunds name lines by it)

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True)
class OrderView:
    number: str
    status: str
    order_type: str
    currency: str
    goods_total: int
    discount_total: int
    shipping_fee: int
    payable: int
    created_at: datetime
    payment_deadline: datetime | None
    address: dict
    lines: tuple[LineView, ...]
    timeline: tuple = ()         # the shopper's rows of the order's timeline (core timeline entries)
    tax_total: int = 0           # a cross-border order's tax, in the payable

    # what the shopper may do with it now (the pages ask these, never the status)
    @property
    def awaiting_payment(self) -> bool:
        """Payable now (and, while unpaid, cancellable by the shopper)."""
        return self.status == "pending_payment"

    @property
    def receipt_confirmable(self) -> bool:
        return self.status == "delivered"


def _view(o: Order, timeline: tuple = ()) -> OrderView:
    return OrderView(o.number, o.status, o.order_type, o.currency, o.goods_total, o.discount_total, o.shipping_fee,
                     o.payable, o.created_at, o.payment_deadline, dict(o.address or {}),
                     tuple(_line(l) for l in o.lines), timeline, o.tax_total or 0)


def _line(l: OrderLine) -> LineView:
    return LineView(l.sku_id, l.sku_code, l.title, dict(l.options or {}), l.unit_price, l.quantity, l.discount, l.id)


def _with_lines(*where) -> Order | None:
    """The one order matching `where`, its lines loaded with it (two statements)."""
    return db.session.scalar(select(Order).where(*where).options(selectinload(Order.lines)))


def _sold_lines(*columns):
    """`select(columns)` over order lines joined to their orders: what the sales reads group."""
    return select(*columns).join(Order, Order.id == OrderLine.order_id)


@dataclass(frozen=True)
class OrderRef:
    """What another center shows of an order: enough to name it and link to it."""

    id: int
    number: str
    status: str
    currency: str
    payable: int
    shopper_id: int | None = None
    created_at: datetime | None = None


_REF_COLUMNS = (Order.id, Order.number, Order.status, Order.currency, Order.payable, Order.shopper_id,
                Order.created_at)


def order_ref(order_id: int) -> OrderRef | None:
    row = db.session.execute(select(*_REF_COLUMNS).where(Order.id == order_id)).first()
    return OrderRef(*row) if row else None


def order_refs(order_ids) -> dict[int, OrderRef]:
    """Several orders' refs in one query, by order id."""
    ids = list(order_ids)
    return {row[0]: OrderRef(*row) for row in db.session.execute(select(*_REF_COLUMNS).where(Order.id.in_(ids)))} \
        if ids else {}


def shopper_order_refs(shopper_id: int, limit: int = 20) -> tuple[list[OrderRef], int]:
    """A shopper's newest orders for a staff page (the member's detail), and how many there are."""
    total = db.session.scalar(select(func.count()).select_from(Order).where(Order.shopper_id == shopper_id))
    rows = db.session.execute(select(*_REF_COLUMNS).where(Order.shopper_id == shopper_id)
                              .order_by(Order.id.desc()).limit(limit)).all()
    return [OrderRef(*row) for row in rows], total


def paying_payments(order_ids) -> dict[int, str]:
    """The number of the payment-center payment that paid each of these orders, as its timeline's
    "paid" row names it (one query). An order paid offline, or not paid, is missing: a later
    payment that the order did not need never counts as the one that paid it."""
    ids = list(order_ids)
    if not ids:
        return {}
    number = OrderEvent.data["payment"].astext
    rows = db.session.execute(select(OrderEvent.order_id, number).where(
        OrderEvent.order_id.in_(ids), OrderEvent.action == "paid", number.is_not(None)).order_by(OrderEvent.id))
    out: dict[int, str] = {}
    for order_id, payment_number in rows:
        out.setdefault(order_id, payment_number)      # the first "paid" row
    return out


def paying_payment(order_id: int) -> str | None:
    """The number of the payment that paid the order (see `paying_payments`); None: paid offline or not paid."""
    return paying_payments([order_id]).get(order_id)


def offline_payment(order_id: int) -> dict | None:
    """How staff recorded the order paid outside the payment center (a bank transfer, cash), from
    its timeline's first "paid" row: {"number", "reference", "amount" (the payable), "currency"}.
    None when a payment-center payment paid it, or it is not paid."""
    row = db.session.execute(select(OrderEvent.data).where(OrderEvent.order_id == order_id, OrderEvent.action == "paid")
                             .order_by(OrderEvent.id).limit(1)).first()
    if row is None or (row.data or {}).get("payment"):
        return None
    order = db.session.execute(select(Order.number, Order.payable, Order.currency).where(Order.id == order_id)).first()
    if order is None:
        return None
    return {"number": order.number, "reference": (row.data or {}).get("reference", ""), "amount": int(order.payable),
            "currency": order.currency}


def order_id_of(number: str) -> int | None:
    return db.session.scalar(select(Order.id).where(Order.number == number))


def lines_of(order_id: int) -> tuple[LineView, ...]:
    """An order's lines, in order (the payment center refunds by line)."""
    return tuple(_line(l) for l in db.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)
                                                      .order_by(OrderLine.id)))


def shopper_orders(shopper_id: int, status: str | None = None, page: int = 1,
                   per_page: int = 20) -> tuple[list[OrderView], int]:
    """A shopper's orders, newest first, one page with their lines, and how many there are
    (three statements)."""
    stmt = select(Order).where(Order.shopper_id == shopper_id)
    if status:
        stmt = stmt.where(Order.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(Order.id.desc()).options(selectinload(Order.lines))
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return [_view(o) for o in rows], total


def shopper_timeline(order_id: int) -> tuple:
    """What the shopper sees of an order's timeline (internal rows such as staff notes are
    left out); rows of the core timeline, which components/_timeline.html renders."""
    from app.blueprints.orders.services import ORDER_STATES

    return tuple(ORDER_STATES.history(order_id, public=True))


def shopper_order(shopper_id: int, number: str, timeline: bool = True) -> OrderView | None:
    """One of the shopper's orders with its lines (and timeline); another shopper's order is
    None, exactly like a missing one."""
    o = _with_lines(Order.number == number, Order.shopper_id == shopper_id)
    if o is None:
        return None
    return _view(o, shopper_timeline(o.id) if timeline else ())


def view_of(order: Order, timeline: bool = False) -> OrderView:
    """The snapshot of an order the caller already holds (after placing or cancelling it)."""
    return _view(order, shopper_timeline(order.id) if timeline else ())


@dataclass(frozen=True)
class FulfilmentLine:
    id: int
    sku_id: int
    sku_code: str
    title: str
    quantity: int
    shipped_quantity: int
    cancelled_quantity: int = 0

    @property
    def to_ship(self) -> int:
        return self.quantity - self.shipped_quantity - self.cancelled_quantity


@dataclass(frozen=True)
class FulfilmentView:
    """What dispatch needs to route and ship an order."""

    id: int
    number: str
    status: str
    address: dict
    shopper: dict
    delivery_method: str
    reservation_ref: str
    lines: tuple[FulfilmentLine, ...]
    order_type: str = "normal"


def for_fulfilment(order_id: int) -> FulfilmentView | None:
    o = _with_lines(Order.id == order_id)
    if o is None:
        return None
    return FulfilmentView(o.id, o.number, o.status, dict(o.address or {}), dict(o.shopper or {}), o.delivery_method,
                          o.reservation_ref, tuple(FulfilmentLine(l.id, l.sku_id, l.sku_code, l.title, l.quantity,
                                                                  l.shipped_quantity, l.cancelled_quantity)
                                                    for l in o.lines),
                          o.order_type)


def ids_by_number(numbers) -> dict[str, tuple[int, str]]:
    """Order number → (id, status) for the numbers that exist (bulk shipping files)."""
    numbers = list({n for n in numbers if n})
    if not numbers:
        return {}
    return {number: (order_id, status) for order_id, number, status in db.session.execute(
        select(Order.id, Order.number, Order.status).where(Order.number.in_(numbers)))}


def units_sold(sku_codes) -> dict[str, int]:
    """Units of each SKU code on orders that were paid (whatever happened after), for rates such as
    the service dashboard's after-sales rate."""
    codes = list(sku_codes)
    if not codes:
        return {}
    rows = db.session.execute(_sold_lines(OrderLine.sku_code, func.sum(OrderLine.quantity))
                              .where(OrderLine.sku_code.in_(codes), Order.status.not_in(("pending_payment", "cancelled")))
                              .group_by(OrderLine.sku_code))
    return {code: int(n) for code, n in rows}


@dataclass(frozen=True)
class AfterSalesLine:
    id: int
    sku_id: int
    product_id: int
    sku_code: str
    title: str
    unit_price: int
    quantity: int
    discount: int
    shipped_quantity: int
    cancelled_quantity: int = 0

    @property
    def to_ship(self) -> int:
        return self.quantity - self.shipped_quantity - self.cancelled_quantity

    @property
    def total(self) -> int:
        """The line's paid share: its price less its share of every discount."""
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True)
class AfterSalesView:
    """What the after-sales center needs to check and price a request on an order."""

    id: int
    number: str
    status: str
    order_type: str
    shopper_id: int | None
    shopper: dict
    address: dict
    currency: str
    shipping_fee: int
    payable: int
    paid_at: datetime | None
    delivered_at: datetime | None
    finished_at: datetime | None
    lines: tuple[AfterSalesLine, ...]


def for_aftersales(order_id: int | None = None, number: str | None = None) -> AfterSalesView | None:
    o = _with_lines(Order.id == order_id if order_id is not None else Order.number == number)
    if o is None:
        return None
    return AfterSalesView(o.id, o.number, o.status, o.order_type, o.shopper_id, dict(o.shopper or {}),
                          dict(o.address or {}), o.currency, o.shipping_fee, o.payable, o.paid_at, o.delivered_at,
                          o.finished_at, tuple(AfterSalesLine(l.id, l.sku_id, l.product_id, l.sku_code, l.title,
                                                              l.unit_price, l.quantity, l.discount, l.shipped_quantity,
                                                              l.cancelled_quantity)
                                               for l in o.lines))


def after_sales_days(order_type: str) -> int:
    """The order type's after-sales window in days (the order settings, default 7)."""
    from app.blueprints.orders.models import OrderSettings

    days = db.session.scalar(select(OrderSettings.after_sales_days).where(OrderSettings.order_type == order_type))
    return 7 if days is None else days


@dataclass(frozen=True)
class CustomsOrder:
    """An order as the customs order message (CEB311) needs it."""

    id: int
    number: str
    status: str
    currency: str
    goods_total: int
    discount_total: int
    shipping_fee: int
    tax_total: int
    payable: int
    shopper_id: int | None
    shopper: dict
    address: dict
    created_at: datetime
    paid_at: datetime | None
    lines: tuple[LineView, ...]


# paid and still standing: a closed order was refunded in full, so customs never hears of it
STANDING_PAID = ("paid", "allocated", "partially_shipped", "shipped", "delivered", "completed")


def paid_between(start: datetime, end: datetime, limit: int = 100_000) -> list[CustomsOrder]:
    """Orders paid in [start, end) and not closed since, oldest payment first, with their lines
    (two queries)."""
    rows = db.session.scalars(select(Order).where(Order.paid_at >= start, Order.paid_at < end,
                                                  Order.status.in_(STANDING_PAID))
                              .order_by(Order.paid_at, Order.id).limit(limit).options(selectinload(Order.lines))).all()
    return [CustomsOrder(o.id, o.number, o.status, o.currency, o.goods_total, o.discount_total, o.shipping_fee,
                         o.tax_total, o.payable, o.shopper_id, dict(o.shopper or {}), dict(o.address or {}),
                         o.created_at, o.paid_at, tuple(_line(l) for l in o.lines)) for o in rows]


@dataclass(frozen=True)
class PostingLine:
    id: int
    sku_id: int
    product_id: int
    sku_code: str
    title: str
    unit_price: int
    quantity: int
    discount: int


@dataclass(frozen=True)
class PostingOrder:
    """What finance books of an order: its amounts and lines."""

    id: int
    number: str
    currency: str
    goods_total: int
    discount_total: int
    shipping_fee: int
    tax_total: int
    payable: int
    lines: tuple[PostingLine, ...]


def for_posting(order_id: int) -> PostingOrder | None:
    o = _with_lines(Order.id == order_id)
    if o is None:
        return None
    return PostingOrder(o.id, o.number, o.currency, o.goods_total, o.discount_total, o.shipping_fee, o.tax_total or 0,
                        o.payable, tuple(PostingLine(l.id, l.sku_id, l.product_id, l.sku_code, l.title, l.unit_price,
                                                     l.quantity, l.discount) for l in o.lines))


PAID_STATUSES = ("paid", "allocated", "partially_shipped", "shipped", "delivered", "completed", "closed")


def sales_by_day(start: datetime, end: datetime, tz: str, source: str | None = None) -> dict:
    """Orders paid in [start, end) per local day: {day: (orders, GMV)}; GMV is what shoppers
    paid for them (the payable), whatever happened after; optionally from one channel
    (`Order.source`) only (one query)."""
    day = cast(func.timezone(tz, Order.paid_at), Date)
    stmt = select(day, func.count(), func.sum(Order.payable)).where(Order.paid_at >= start, Order.paid_at < end)
    if source:
        stmt = stmt.where(Order.source == source)
    return {d: (int(n), int(total)) for d, n, total in db.session.execute(stmt.group_by(day))}


def top_products(start: datetime, end: datetime, limit: int = 10) -> list[tuple[str, int, int]]:
    """The best-selling products of orders paid in [start, end): (title, units, paid amount)."""
    amount = func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount)
    return [(title, int(units), int(total)) for title, units, total in db.session.execute(
        _sold_lines(OrderLine.title, func.sum(OrderLine.quantity), amount)
        .where(Order.paid_at >= start, Order.paid_at < end).group_by(OrderLine.product_id, OrderLine.title)
        .order_by(amount.desc(), OrderLine.title).limit(limit))]


def awaiting_shipment() -> int:
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.status.in_(AWAITING_SHIPMENT)))


# --- sales reports (finance's sales by day, SKU, category and channel; refund rate by SKU) ----

@dataclass(frozen=True)
class SkuSales:
    sku_id: int
    product_id: int
    sku_code: str
    title: str
    orders: int
    units: int
    amount: int              # what shoppers paid for the units: price × quantity less the line's discounts


def _paid_in(stmt, start: datetime, end: datetime, source: str | None):
    stmt = stmt.where(Order.paid_at >= start, Order.paid_at < end)
    return stmt.where(Order.source == source) if source else stmt


def sales_by_sku(start: datetime, end: datetime, source: str | None = None) -> list[SkuSales]:
    """Units and paid amount per SKU of orders paid in [start, end), optionally from one channel
    (`Order.source`), best first (one query)."""
    amount = func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount)
    stmt = (select(OrderLine.sku_id, func.max(OrderLine.product_id), func.max(OrderLine.sku_code),
                   func.max(OrderLine.title), func.count(func.distinct(Order.id)), func.sum(OrderLine.quantity), amount)
            .join(Order, Order.id == OrderLine.order_id).group_by(OrderLine.sku_id)
            .order_by(amount.desc(), OrderLine.sku_id))
    return [SkuSales(s, p, code, title, int(n), int(u), int(a))
            for s, p, code, title, n, u, a in db.session.execute(_paid_in(stmt, start, end, source))]


def sales_by_source(start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """Orders paid in [start, end) per channel (`Order.source`): {source: (orders, GMV)} (one query)."""
    return {s: (int(n), int(total)) for s, n, total in db.session.execute(
        _paid_in(select(Order.source, func.count(), func.sum(Order.payable)), start, end, None).group_by(Order.source))}


def order_sources(order_ids) -> dict[int, str]:
    """Order id → its channel (`Order.source`), for these orders (one query)."""
    ids = list(set(order_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(Order.id, Order.source).where(Order.id.in_(ids))).all())


def line_skus(line_ids) -> dict[int, tuple[int, str, str, int]]:
    """Order line id → (SKU id, SKU code, title, order id), for these lines (one query)."""
    ids = list(set(line_ids))
    if not ids:
        return {}
    return {i: (s, code, title, o) for i, s, code, title, o in db.session.execute(
        select(OrderLine.id, OrderLine.sku_id, OrderLine.sku_code, OrderLine.title, OrderLine.order_id)
        .where(OrderLine.id.in_(ids)))}
