"""Inventory and warehouse (库存 / WMS): warehouses, locations, stock, ledger, reservations."""
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("inventory", __name__, url_prefix="/inventory")

center = Center(
    __name__, _l("Inventory"), position=50, blueprints=[bp], models=["models"], jobs=["jobs"],
    topics={"stock.low": _l("Available stock fell to the reorder point"),
            "stock.shipped": _l("The warehouse shipped an order's reserved stock"),
            "inbound.completed": _l("An inbound order was completed and its goods posted to stock")},
    permissions=[Perm("inventory.view", _l("See stock and the stock ledger"),
                      ("operations", "customer_service", "warehouse", "finance", "purchasing")),
                 Perm("inventory.adjust", _l("Adjust stock and set reorder points"), ("warehouse",)),
                 Perm("inventory.setup", _l("Edit warehouses and locations"), ("warehouse",)),
                 Perm("inventory.documents", _l("Work inbound and outbound orders, transfers and stocktakes"),
                      ("warehouse",))],
    menu=[Entry("inventory.stock", _l("Stock"), "inventory.view", order=200),
          Entry("inventory.reservations", _l("Reservations"), "inventory.view", order=210),
          Entry("inventory.ledger", _l("Stock ledger"), "inventory.view", order=211),
          Entry("inventory.inbound", _l("Inbound orders"), "inventory.view", order=212),
          Entry("inventory.outbound", _l("Outbound orders"), "inventory.view", order=214),
          Entry("inventory.transfer", _l("Transfers"), "inventory.view", order=216),
          Entry("inventory.stocktake", _l("Stocktakes"), "inventory.view", order=218),
          Entry("inventory.warehouses", _l("Warehouses"), "inventory.setup", order=220)],
    audit_actions={"warehouse.created": _l("Warehouse created"), "warehouse.updated": _l("Warehouse edited"),
                   "location.created": _l("Location added"), "stock.adjusted": _l("Stock adjusted"),
                   "stock.thresholds": _l("Safety stock and reorder point set"),
                   "stock.drift_found": _l("Stock drift found"), "inbound.*": _l("Inbound order"),
                   "outbound.*": _l("Outbound order"), "transfer.*": _lp("stock document", "Transfer"),
                   "stocktake.*": _lp("stock document", "Stocktake")},
    audit_fields={"code": _l("Code"), "kind": _l("Kind"), "priority": _l("Priority"),
                  "warehouse.address": _lp("warehouse", "Address"), "on_hand": _l("On hand"),
                  "safety_stock": _l("Safety stock"), "reorder_point": _l("Reorder point"), "drift": _l("Drift")},
)

from app.blueprints.inventory import views, document_views  # noqa: E402,F401
