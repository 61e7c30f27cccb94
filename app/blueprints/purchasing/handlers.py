"""Reactions of purchasing to the inventory center's events."""
from app.core.outbox import handler


@handler("stock.low", queue="stock")
def suggest_on_low_stock(event) -> None:
    """A SKU fell to its reorder point in a warehouse: suggest what to order (idempotent:
    one open suggestion per SKU and warehouse, updated in place)."""
    from app.blueprints.purchasing import replenishment

    replenishment.compute([event.payload["sku_id"]], event.payload["warehouse_id"], trigger="stock_low")


@handler("inbound.completed", queue="stock")
def follow_completed_inbound(event) -> None:
    """A purchase inbound was completed (from the warehouse's own pages too): its notice and
    purchase orders follow (idempotent: a notice already received is left alone)."""
    from app.blueprints.purchasing import orders

    payload = event.payload
    if payload.get("kind") == "purchase":
        orders.follow_inbound("system", payload["number"], payload.get("lines") or [])
