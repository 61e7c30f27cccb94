"""What orders and payments mean for members: a paid order counts in the member's figures, a
completed one earns points and growth value (levels rise), a refund takes back the share of
points and growth value the order earned and gives back the share of points it spent (the outbox
runs each handler once per event)."""
from app.blueprints.members import loyalty
from app.blueprints.orders import queries as orders
from app.core.outbox import handler


@handler("order.paid")
def count_paid_order(event) -> None:
    order = orders.order_ref(event.payload["order_id"])
    if order is not None and order.shopper_id:
        loyalty.record_order_paid(order.shopper_id, order.payable, event.created_at)


@handler("order.completed")
def reward_completed_order(event) -> None:
    order = orders.order_ref(event.payload["order_id"])
    if order is not None and order.shopper_id:
        loyalty.order_completed(order.shopper_id, order.id, loyalty.earning_basis(order.id))


@handler("refund.succeeded")
def refund_points(event) -> None:
    order_id = event.payload.get("order_id")
    order = orders.order_ref(order_id) if order_id else None
    if order is None or not order.shopper_id:
        return
    amount = int(event.payload.get("amount") or 0)
    # points and growth were earned on the goods paid for, and points spent came off the goods:
    # both are prorated on the goods, never the freight, and all come back once the goods are
    basis, refunded = loyalty.growth_refund_basis(order.id)
    full = bool(event.payload.get("full")) or refunded >= basis
    loyalty.refund_points(order.shopper_id, order.id, refund_id=event.payload["refund_id"], amount=amount,
                          payable=basis, full=full)
    loyalty.refund_growth(order.shopper_id, order.id, amount=amount, basis=basis, full=full)
    loyalty.record_order_refund(order.shopper_id, amount)
