"""After-sales fixtures: orders a shopper paid through the sandbox gateway, shipped through
dispatch and delivered, and requests asked the way the shop asks them."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from tests import factories as f

_waybills = itertools.count(1)


def bought(store, member, lines=None, state: str = "paid", discounts: dict | None = None, shipping_fee: int = 0):
    """An order of `member` for `lines` [(sku, quantity)] paid through the sandbox gateway, then
    shipped through dispatch (one parcel) and delivered as `state` asks. `discounts` maps a line
    index to its discount share (set before paying, the payable follows)."""
    from app.blueprints.dispatch import services as dispatch
    from app.blueprints.orders import services as orders
    from app.blueprints.orders.models import Order

    order = f.order(store, lines=lines, member_obj=member)
    if discounts or shipping_fee:
        with f.bound(store) as session:
            row = session.get(Order, order.id)
            for index, share in (discounts or {}).items():
                row.lines[index].discount = share
            row.discount_total = sum(l.discount for l in row.lines)
            row.shipping_fee = shipping_fee
            row.payable = row.goods_total - row.discount_total + row.shipping_fee
    f.payment(store, order)
    if state in ("shipped", "delivered", "completed"):
        with f.bound(store, request=True) as session:
            dispatch.create_notices(order.id)
            while dispatch.next_unshipped(order.id) is not None:   # one parcel per warehouse
                dispatch.ship_order(None, order.id, "zhongtong", f"7310{next(_waybills):010d}")
            row = session.get(Order, order.id)
            if state in ("delivered", "completed"):
                orders.deliver(None, row)
            if state == "completed":
                orders.confirm_receipt(None, row)
    with f.bound(store) as session:
        row = session.get(Order, order.id)
        list(row.lines)
        session.expunge_all()
        return row


def ask(store, member, order, kind: str = "refund_only", quantities: dict | None = None, reason_id: int | None = None,
        images=(), exchange=None, description: str = ""):
    """A request through the service the shop pages call; returns it detached with its lines."""
    from app.blueprints.aftersales import services

    with f.bound(store, request=True) as session:
        reason_id = reason_id or services.reasons()[0].id
        req = services.create_request(member, member.id, order.number, services.Ask(
            kind, quantities or {line.id: line.quantity for line in order.lines}, reason_id, description,
            tuple(images), exchange))
        session.flush()
        list(req.lines)
        return req


def request_row(store, request_id: int):
    from app.blueprints.aftersales.models import AfterSalesRequest

    with f.bound(store) as session:
        req = session.get(AfterSalesRequest, request_id)
        list(req.lines)
        session.expunge_all()
        return req


def refunds_of(store, order_id: int) -> list[tuple[str, int, str]]:
    """(request id, amount, status) of the order's refunds."""
    from app.blueprints.payments import refunds

    with f.bound(store) as session:
        payment = refunds.order_payment(order_id)
        from app.blueprints.payments.models import Refund

        return [(r.request_id, r.amount, r.status) for r in session.scalars(
            select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id))]


def rules(store, **values):
    from app.blueprints.aftersales import services

    with f.bound(store, request=True):
        current = services.settings()
        merged = {"auto_approve_unshipped": current.auto_approve_unshipped,
                  "auto_approve_under": current.auto_approve_under, "refund_shipping": current.refund_shipping,
                  "reply_hours": current.reply_hours, "ship_back_days": current.ship_back_days,
                  "quarantine_warehouse_id": current.quarantine_warehouse_id, **values}
        services.save_settings(None, **merged)
