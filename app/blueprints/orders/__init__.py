"""Order center (订单中心)."""
from flask_babel import lazy_gettext as _l

from app.core import menu
from app.core.permissions import register
from app.core.tenancy import StoreBlueprint

CENTER = _l("Orders")

register("orders.view", _l("See orders"), CENTER, ("operations", "customer_service", "warehouse", "finance"))
register("orders.manage", _l("Create orders, add notes, change addresses, cancel"), CENTER,
         ("operations", "customer_service"))
register("orders.fulfil", _l("Allocate, ship and deliver orders"), CENTER, ("operations", "warehouse"))
register("orders.payment", _l("Mark orders paid offline"), CENTER, ("finance",))
register("orders.settings", _l("Change order deadlines and shipping fees"), CENTER)

bp = StoreBlueprint("orders", __name__, url_prefix="/orders")

menu.add("orders.orders", _l("Orders"), "orders.view", order=50, section=CENTER)
menu.add("orders.order_settings", _l("Order settings"), "orders.settings", order=55, section=CENTER)

from app.blueprints.orders import views  # noqa: E402,F401
