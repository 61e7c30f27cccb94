"""Inventory and warehouse (库存 / WMS): warehouses, locations, stock, ledger, reservations."""
from flask_babel import lazy_gettext as _l

from app.core import menu
from app.core.permissions import register
from app.core.tenancy import StoreBlueprint

CENTER = _l("Inventory")

register("inventory.view", _l("See stock and the stock ledger"), CENTER,
         ("operations", "customer_service", "warehouse", "finance", "purchasing"))
register("inventory.adjust", _l("Adjust stock and set reorder points"), CENTER, ("warehouse",))
register("inventory.setup", _l("Edit warehouses and locations"), CENTER, ("warehouse",))
register("inventory.documents", _l("Work inbound and outbound orders, transfers and stocktakes"), CENTER,
         ("warehouse",))

bp = StoreBlueprint("inventory", __name__, url_prefix="/inventory")

menu.add("inventory.stock", _l("Stock"), "inventory.view", order=200, section=CENTER)
menu.add("inventory.reservations", _l("Reservations"), "inventory.view", order=210, section=CENTER)
menu.add("inventory.inbound", _l("Inbound orders"), "inventory.view", order=212, section=CENTER)
menu.add("inventory.outbound", _l("Outbound orders"), "inventory.view", order=214, section=CENTER)
menu.add("inventory.transfer", _l("Transfers"), "inventory.view", order=216, section=CENTER)
menu.add("inventory.stocktake", _l("Stocktakes"), "inventory.view", order=218, section=CENTER)
menu.add("inventory.warehouses", _l("Warehouses"), "inventory.setup", order=220, section=CENTER)

from app.blueprints.inventory import views, document_views  # noqa: E402,F401
