"""Order center (订单中心)."""
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("orders", __name__, url_prefix="/orders")

center = Center(
    __name__, _l("Orders"), position=60, blueprints=[bp], models=["models"], jobs=["jobs"], handlers=["handlers"],
    topics={"order.created": _l("An order was placed"), "order.paid": _l("An order was paid"),
            "order.allocated": _l("An order was allocated"), "order.shipped": _l("An order shipped"),
            "order.partially_shipped": _l("Part of an order shipped"),
            "order.delivered": _l("An order was delivered"), "order.completed": _l("An order completed"),
            "order.cancelled": _l("An order was cancelled"), "order.closed": _l("An order was closed")},
    permissions=[Perm("orders.view", _l("See orders"), ("operations", "customer_service", "warehouse", "finance")),
                 Perm("orders.manage", _l("Create orders, add notes, change addresses, cancel"),
                      ("operations", "customer_service")),
                 Perm("orders.fulfil", _l("Allocate, ship and deliver orders"), ("operations", "warehouse")),
                 Perm("orders.payment", _l("Mark orders paid offline"), ("finance",)),
                 Perm("orders.settings", _l("Change order deadlines and shipping fees"))],
    menu=[Entry("orders.orders", _l("Orders"), "orders.view", order=50),
          Entry("orders.order_settings", _l("Order settings"), "orders.settings", order=55)],
    audit_actions={"order.*": _lp("noun", "Order"), "order.settings_changed": _l("Order settings changed")},
)

from app.blueprints.orders import views  # noqa: E402,F401
