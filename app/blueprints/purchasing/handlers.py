"""Reactions of purchasing to the inventory center's events."""
from app.core.outbox import handler


@handler("stock.low", queue="stock")
def suggest_on_low_stock(event) -> None:
    """A SKU fell to its reorder point in a warehouse: suggest what to order (idempotent:
    one open suggestion per SKU and warehouse, updated in place)."""
    from app.blueprints.purchasing import replenishment

    replenishment.compute([event.payload["sku_id"]], event.payload["warehouse_id"], trigger="stock_low")
