"""Reactions of the promotion center to the order center's events."""
from app.blueprints.promotions import flash, groupbuy, pricing
from app.core.outbox import handler


@handler("order.cancelled")
def release_cancelled_order(event) -> None:
    """An order cancelled unpaid gives its promotions' budgets and uses and its coupons back (once),
    and a flash sale order its units back to the pool."""
    pricing.release(event.payload["order_id"])
    flash.return_unpaid(event.payload["order_id"])
    groupbuy.order_cancelled(event.payload["order_id"])


@handler("order.paid")
def count_group_payment(event) -> None:
    """A group order paid: the leader's opens the group, the last place's completes it."""
    groupbuy.order_paid(event.payload["order_id"])


@handler("refund.failed")
def flag_failed_group_refund(event) -> None:
    """A failed group's refund that the gateway refused: the order is flagged to refund by hand."""
    groupbuy.refund_failed(event.payload.get("request_id", ""), event.payload.get("reason", ""))


@handler("refund.succeeded")
def clear_group_refund_due(event) -> None:
    """A group refund that had failed went through after all: nothing is due by hand any more."""
    groupbuy.refund_succeeded(event.payload.get("request_id", ""))
