"""Reactions of the order center to other centers' events."""
from sqlalchemy import select

from app.blueprints.orders import services
from app.blueprints.orders.models import Order
from app.core.outbox import handler
from app.extensions import db


@handler("stock.shipped", queue="stock")
def order_left_the_warehouse(event) -> None:
    """A sales outbound shipped an order's reserved stock: the order moves to shipped."""
    reference = event.payload.get("reference", "")
    if not reference.startswith("order:"):
        return
    order = db.session.scalar(select(Order).where(Order.number == reference.removeprefix("order:")).with_for_update())
    if order is not None:
        services.record_shipment(None, order, event.payload.get("document", ""))


@handler("shipment.signed")
def order_signed_for(event) -> None:
    """The carrier says the last of the order's parcels was signed for: the order is delivered
    (and the automatic receipt confirmation starts counting from now)."""
    if not event.payload.get("all_signed"):
        return
    order = db.session.scalar(select(Order).where(Order.id == event.payload.get("order_id")).with_for_update())
    if order is not None and order.status == "shipped":
        services.deliver(None, order)
