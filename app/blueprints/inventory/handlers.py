"""Topics the inventory center emits."""
from flask_babel import lazy_gettext as _l

from app.core.outbox import register_topic

register_topic("stock.low", _l("Available stock fell to the reorder point"))
