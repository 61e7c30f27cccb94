"""payment.succeeded moves the order to paid (or refunds or flags a payment for a cancelled order);
refund.succeeded goes on the order's timeline."""
from flask_babel import gettext as _

from app.blueprints.orders import services as orders
from app.blueprints.payments.models import Payment
from app.core.outbox import handler
from app.extensions import db


@handler("payment.succeeded", queue="finance")
def order_paid(event) -> None:
    order = orders.order_for_update(event.payload["order_id"])
    if order is None:
        return
    payment = db.session.get(Payment, event.payload["payment_id"])
    if order.status == "pending_payment":
        try:
            orders.record_payment(order, event.payload.get("number", ""), event.payload.get("amount"))
        except orders.StockGone:  # paid after the hold lapsed and the stock sold out: never paid without stock
            orders.cancel_order(None, order, _("paid after the stock hold lapsed; the stock has sold out"))
            unwanted_payment(payment, _("paid after the stock hold lapsed and the stock sold out"))
    elif order.status in ("cancelled", "closed"):
        unwanted_payment(payment, _("paid after the order was %(status)s", status=orders.STATUS_LABELS[order.status]))
    elif payment is not None and orders.paid_by(order, payment.number):
        return          # this payment is the one the order was paid by (the event came again)
    else:
        # the order was already paid, by another attempt or offline: the shopper paid twice
        unwanted_payment(payment, _("the order was already paid"))


def unwanted_payment(payment: Payment, why: str) -> None:
    """Money the order does not need: refund it at once or flag it, as the store chose."""
    from app.blueprints.payments import accounts, refunds

    if accounts.options().late_payment == "refund" and refunds.refundable(payment) > 0:
        refunds.refund(None, payment, f"late-{payment.number}", refunds.refundable(payment), reason=why)
        payment.flagged = _("Not needed (%(why)s): refunded automatically.", why=why)
    else:
        payment.flagged = _("Not needed (%(why)s): refund it.", why=why)


@handler("refund.succeeded", queue="finance")
def order_refunded(event) -> None:
    """The order's timeline records the refund (through the order center); a fully refunded paid order is closed."""
    order = orders.order_for_update(event.payload["order_id"])
    if order is None:
        return
    orders.record_refund(order, event.payload["amount"], refund_id=event.payload["refund_id"],
                         request_id=event.payload.get("request_id", ""), full=bool(event.payload.get("full")))

