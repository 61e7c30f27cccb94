"""Topics the product center emits."""
from flask_babel import lazy_gettext as _l

from app.core.outbox import register_topic

register_topic("product.published", _l("A product went on sale"))
register_topic("product.unpublished", _l("A product was taken off sale"))
register_topic("sku.price_changed", _l("A SKU's sale price changed"))
