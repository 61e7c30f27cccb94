"""Topics the order center emits."""
from flask_babel import lazy_gettext as _l

from app.core.outbox import register_topic

for _topic, _label in (("order.created", _l("An order was placed")), ("order.paid", _l("An order was paid")),
                       ("order.allocated", _l("An order was allocated")), ("order.shipped", _l("An order shipped")),
                       ("order.delivered", _l("An order was delivered")), ("order.completed", _l("An order completed")),
                       ("order.cancelled", _l("An order was cancelled")), ("order.closed", _l("An order was closed"))):
    register_topic(_topic, _label)
