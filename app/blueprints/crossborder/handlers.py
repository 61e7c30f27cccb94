"""Reactions of the cross-border center to the order center's events."""
from app.blueprints.crossborder import services
from app.core.outbox import handler


@handler("order.cancelled")
def cancelled_order(event) -> None:
    """An unpaid order was cancelled: its value leaves the payer's yearly total."""
    services.void_declaration(event.payload["order_id"])


@handler("order.closed")
def closed_order(event) -> None:
    """A paid order was closed before it shipped (refunded): the same."""
    services.void_declaration(event.payload["order_id"])
