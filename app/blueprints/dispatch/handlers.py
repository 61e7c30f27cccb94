"""Reactions of the dispatch center to the order center's events."""
from flask_babel import gettext as _

from app.blueprints.dispatch import services
from app.core.outbox import handler


@handler("order.paid", queue="logistics")
def route_paid_order(event) -> None:
    """A paid order gets its delivery notices (once, however often the event arrives)."""
    services.create_notices(event.payload["order_id"])


@handler("order.closed", queue="logistics")
def intercept_closed_order(event) -> None:
    """A paid order closed before it shipped: its notices and outbounds are stopped."""
    services.intercept_order(None, event.payload["order_id"], _("the order was closed"))


@handler("order.cancelled", queue="logistics")
def intercept_cancelled_order(event) -> None:
    services.intercept_order(None, event.payload["order_id"], _("the order was cancelled"))


@handler("group_buy.succeeded", queue="logistics")
def release_full_group(event) -> None:
    """A group buy filled: the notices held for it go to the warehouse."""
    for order_id in event.payload.get("order_ids", []):
        services.release_group_holds(order_id)
