"""The storefront's read side, shared by the shopper pages and the JSON API: each answer is
put together from the owning centers' queries (plain snapshots), never from their tables."""
from __future__ import annotations

from dataclasses import dataclass

from app.blueprints.catalog import queries as catalog
from app.blueprints.inventory import services as inventory
from app.blueprints.orders import queries as orders

PER_PAGE = 24
ORDERS_PER_PAGE = 20


FEW_LEFT = 5                     # at most this many available reads "only a few left"


def stock_level(available: int) -> str:
    """What a shopper is told instead of a count: in_stock, few_left or sold_out."""
    return "sold_out" if available <= 0 else "few_left" if available <= FEW_LEFT else "in_stock"


@dataclass(frozen=True)
class ProductPage:
    product: catalog.ProductDetail
    stock: dict[int, int]        # SKU id → available

    @property
    def levels(self) -> dict[int, str]:
        """SKU id → in_stock / few_left / sold_out."""
        return {sku_id: stock_level(n) for sku_id, n in self.stock.items()}

    @property
    def attributes(self) -> list[tuple[str, list[str]]]:
        """The SKUs' attributes (colour, size...) in the order the first SKU lists them, each with
        its values in the order they first appear: one row of chips per attribute."""
        out: dict[str, list[str]] = {}
        for sku in self.product.skus:
            for name, value in sku.options.items():
                values = out.setdefault(str(name), [])
                if str(value) not in values:
                    values.append(str(value))
        return list(out.items())


@dataclass(frozen=True)
class CartLine:
    sku: catalog.SkuSnapshot
    quantity: int
    quote: object | None         # PriceQuote, None when the SKU cannot be bought
    available: int
    buyable: bool


def product_page(product_id: int) -> ProductPage | None:
    """A product on sale with its SKUs and their available stock, or None."""
    product = catalog.shop_product(product_id)
    if product is None:
        return None
    return ProductPage(product, inventory.sellable([s.id for s in product.skus]))


def products(q: str = "", category_id: int | None = None, low: int | None = None, high: int | None = None,
             sort: str = "new", page: int = 1) -> tuple[list[catalog.ProductCard], int]:
    return catalog.shop_products(q, category_id, low, high, sort, page, PER_PAGE)


def cart_lines(items: dict[int, int], member_group: str | None = None,
               level_discount: int = 100) -> tuple[list[CartLine], int]:
    """The cart's lines priced for the shopper's member level, with stock, and the goods total."""
    if not items:
        return [], 0
    skus = catalog.sku_snapshots(items)
    stock = inventory.sellable(list(skus))
    lines, total = [], 0
    for sku_id, quantity in items.items():
        sku = skus.get(sku_id)
        if sku is None:
            continue
        quote = sku.quote(quantity, member_group or None, level_discount) if sku.sellable else None
        available = stock.get(sku_id, 0)
        lines.append(CartLine(sku, quantity, quote, available, sku.sellable and available >= quantity))
        total += quote.total if quote else 0
    return lines, total


def cart_limit(sku_id: int) -> int:
    """How many of a SKU a cart may hold: what is available for sale now, and at most the
    cart's per-line maximum."""
    from app.blueprints.members.services import MAX_CART_QUANTITY

    return max(0, min(inventory.sellable([sku_id]).get(sku_id, 0), MAX_CART_QUANTITY))


def my_orders(shopper_id: int, status: str | None = None, page: int = 1) -> tuple[list[orders.OrderView], int]:
    return orders.shopper_orders(shopper_id, status, page, ORDERS_PER_PAGE)


def my_order(shopper_id: int, number: str, timeline: bool = True) -> orders.OrderView | None:
    """The shopper's order with lines (and timeline); None for anyone else's."""
    return orders.shopper_order(shopper_id, number, timeline)


def order_view(order, timeline: bool = False) -> orders.OrderView:
    """The snapshot of an order just placed, found by its key or cancelled."""
    return orders.view_of(order, timeline)
