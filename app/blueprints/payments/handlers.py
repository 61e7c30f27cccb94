"""payment.succeeded moves the order to paid (or flags a payment for a cancelled order)."""
from flask_babel import gettext as _, lazy_gettext as _l

from app.blueprints.orders import services as orders
from app.blueprints.orders.models import Order
from app.blueprints.payments.models import Payment
from app.core.outbox import handler, register_topic
from app.extensions import db

register_topic("payment.succeeded", _l("A payment succeeded"))


@handler("payment.succeeded", queue="finance")
def order_paid(event) -> None:
    order = db.session.get(Order, event.payload["order_id"], with_for_update=True)
    if order is None:
        return
    if order.status == "pending_payment":
        orders.mark_paid(None, order, event.payload.get("number", ""))
    elif order.status in ("cancelled", "closed"):
        payment = db.session.get(Payment, event.payload["payment_id"])
        payment.flagged = _("Paid after the order was %(status)s: refund it.", status=order.status)


register_topic("refund.succeeded", _l("A refund succeeded"))


@handler("refund.succeeded", queue="finance")
def order_refunded(event) -> None:
    """The order's timeline records the refund; a fully refunded paid order is closed."""
    from app.blueprints.orders.models import OrderEvent

    order = db.session.get(Order, event.payload["order_id"], with_for_update=True)
    if order is None:
        return
    db.session.add(OrderEvent(order_id=order.id, action="refunded", from_status=order.status, to_status=order.status,
                              reason=str(event.payload["amount"]), data=event.payload))
    if event.payload.get("full") and order.status in ("paid", "allocated"):
        orders.close_order(None, order, _("refunded in full"))
